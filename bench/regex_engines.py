"""Would Hyperscan or RE2 speed up extraction on real reports? The ceiling, measured, not an engine change.

    .venv-bench/bin/pip install hyperscan google-re2
    .venv-bench/bin/python bench/regex_engines.py [--repeat 3]

On the real-report texts (bench/real_reports.py, ~30 KB each) this prints, in CPU time:
1. the whole of ``huntfeed.extract.extract(text, all=True)``;
2. the pattern passes alone: every pattern the scanner runs over the whole refanged text
   (``finditer`` consumed, so every match object is built), which is all a faster engine could take
   over; the validation of each match in Python stays whatever the engine;
3. the same passes with google-re2 (pattern by pattern, those RE2 accepts) and with Hyperscan
   (one database of the patterns it accepts, one scan per text, a Python callback per match).
The patterns with look-behind or look-ahead (most of them: they keep the anchors cheap in Python's
engine) are not accepted by either engine as written; their count is printed.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]

import real_reports as rr  # noqa: E402

from huntfeed.extract import extract  # noqa: E402
from huntfeed.extract import patterns as P  # noqa: E402
from huntfeed.extract.fang import fang_map  # noqa: E402

# The patterns scan.py runs with finditer over the whole refanged text (see its scan function).
# IPv6, Windows paths and registry keys are matched only at their possible starts since issue 15's
# second pass: no whole-text pass of theirs is left to hand over. HEX_RE stands for the hash pass,
# which scan.hex_runs makes over a two-class byte copy of the text since the fourth (same runs).
SCANNED = ("URL_SEP_RE", "AT_RE", "DOMAIN_TAIL_RE", "IPV4_TAIL_RE", "HEX_RE", "CVE_RES", "ATTACK_RES",
           "ASN_RES", "BITCOIN_RES", "MONERO_RE", "FILE_EXT_RE", "PACKAGE_RES", "GUID_TAIL_RE", "UNIXPATH_RE")


def scanned_patterns() -> list[re.Pattern[str]]:
    out: list[re.Pattern[str]] = []
    for name in SCANNED:
        value = getattr(P, name, None)
        if isinstance(value, re.Pattern):
            out.append(value)
        elif isinstance(value, tuple):
            out += [v for v in value if isinstance(v, re.Pattern)]
    return out


def cpu(fn: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="passes over the write-ups (3: about 2 MB)")
    args = ap.parse_args()
    shared = rr.shared_dir()
    if shared is None:
        sys.exit("../shared/eval/reports_dev.jsonl not found (set HUNTFEED_SHARED)")
    reports = rr.real_reports(rr.dev_texts(shared), repeat=args.repeat)
    mb = sum(len(r.encode()) for r in reports) / 1e6
    texts = [fang_map(r).text for r in reports]
    pats = scanned_patterns()
    print(f"{len(reports)} real reports, {mb:.2f} MB; {len(pats)} whole-text patterns; best of 3, CPU time\n")
    whole = cpu(lambda: [extract(r, all=True) for r in reports])
    py = cpu(lambda: [list(rx.finditer(t)) for t in texts for rx in pats])
    print("| what | CPU s | MB/s | share of extraction |")
    print("|---|---|---|---|")
    print(f"| huntfeed extract, all | {whole:.3f} | {mb / whole:.1f} | 100% |")
    print(f"| its whole-text pattern passes, Python re | {py:.3f} | {mb / py:.1f} | {py / whole:.0%} |")
    _re2(pats, texts, mb, whole, py)
    _hyperscan(pats, texts, mb, whole, py)


def _re2(pats: list[re.Pattern[str]], texts: list[str], mb: float, whole: float, py: float) -> None:
    try:
        import re2
    except ImportError:
        print("| google-re2 | not installed | | |")
        return
    ok, same_py = [], []
    for rx in pats:
        try:
            ok.append(re2.compile(rx.pattern))
            same_py.append(rx)
        except Exception:  # noqa: BLE001 - look-around and other constructs RE2 refuses
            continue
    t2 = cpu(lambda: [list(r.finditer(t)) for t in texts for r in ok])
    tp = cpu(lambda: [list(r.finditer(t)) for t in texts for r in same_py])
    print(f"| the {len(ok)} of {len(pats)} RE2 accepts: Python re | {tp:.3f} | {mb / tp:.1f} | {tp / whole:.0%} |")
    print(f"| the same with google-re2 | {t2:.3f} | {mb / t2:.1f} | {t2 / whole:.0%} |")


def _hyperscan(pats: list[re.Pattern[str]], texts: list[str], mb: float, whole: float, py: float) -> None:
    try:
        import hyperscan
    except ImportError:
        print("| hyperscan | not installed | | |")
        return
    accepted: list[tuple[bytes, int]] = []
    same_py = []
    for i, rx in enumerate(pats):
        db = hyperscan.Database()
        try:
            db.compile(expressions=[rx.pattern.encode()], ids=[i], flags=[hyperscan.HS_FLAG_SOM_LEFTMOST])
        except Exception:  # noqa: BLE001 - hyperscan refuses look-behind, back-references...
            continue
        accepted.append((rx.pattern.encode(), i))
        same_py.append(rx)
    if not accepted:
        print(f"| hyperscan | accepts none of the {len(pats)} patterns as written | | |")
        return
    db = hyperscan.Database()
    db.compile(expressions=[e for e, _ in accepted], ids=[i for _, i in accepted],
               flags=[hyperscan.HS_FLAG_SOM_LEFTMOST] * len(accepted))
    data = [t.encode("utf-8") for t in texts]
    found: list[tuple[int, int, int]] = []

    def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
        found.append((pid, start, end))

    th = cpu(lambda: [db.scan(d, match_event_handler=on_match) for d in data])
    tp = cpu(lambda: [list(r.finditer(t)) for t in texts for r in same_py])
    print(f"| the {len(accepted)} of {len(pats)} Hyperscan accepts: Python re | {tp:.3f} | {mb / tp:.1f} "
          f"| {tp / whole:.0%} |")
    print(f"| the same, one Hyperscan database (a callback per match) | {th:.3f} | {mb / th:.1f} | "
          f"{th / whole:.0%} |")


if __name__ == "__main__":
    main()
