"""huntfeed's extractor side by side with ioc-finder, iocextract, iocsearcher and msticpy.

Prints precision / recall / F1 per type and micro on ../shared/eval/ioc_cases.jsonl (raw mode:
every tool returns everything it finds), then MB/s of each tool on a generated corpus of
realistic reports (bench/make_ioc_corpus.py, >= 5 MB), with ratios against ioc-finder measured
in the same run. Peers live in a separate environment, never in huntfeed's dependencies:

    python -m venv .venv-bench && .venv-bench/bin/pip install ioc-finder iocextract iocsearcher msticpy
    .venv-bench/bin/python bench/ioc_peers.py [--mb 5] [--budget 60]
    .venv-bench/bin/python bench/ioc_peers.py --real [--size 30000] [--repeat 3] [--runs 5] [--base-src DIR]

A peer that is not installed is skipped. Each tool gets the corpus report by report (as the
pipeline feeds articles); a tool stops after --budget CPU seconds and is rated on what it
finished. Rates are per CPU second of this process (stable on a shared machine), wall time beside.

``--real`` is the real-report mode instead: the development write-ups
(``../shared/eval/reports_dev.jsonl``, ``full_text``) concatenated into reports of about 30 KB
(bench/real_reports.py), and each tool timed as a whole process, start and imports included:
``huntfeed extract --all --jsonl`` on them, each peer's own process over the same file, and both
on a one-line file (the start). CPU time of the process itself, median of ``--runs``.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import gc
import os
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import real_reports as rr  # noqa: E402
from make_ioc_corpus import corpus  # noqa: E402

from huntfeed.extract import extract  # noqa: E402
from huntfeed.extract.evaluate import CORE_TYPES, load_cases, score  # noqa: E402

SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared"
)
Result = dict[str, set[str]]


def _norm(kind: str, value: str) -> str:
    value = value.strip()
    if kind in ("domain", "email", "ipv6", "md5", "sha1", "sha256", "sha512"):
        return value.lower().rstrip(".")
    if kind == "cve":
        return value.upper()
    if kind == "url" and "://" in value:
        scheme, rest = value.split("://", 1)
        host, sep, tail = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{sep}{tail}"
    return value


def _collect(pairs: Iterable[tuple[str, str]]) -> Result:
    out: Result = defaultdict(set)
    for kind, value in pairs:
        if kind in CORE_TYPES and value:
            out[kind].add(_norm(kind, str(value)))
    return out


def huntfeed_tool(text: str) -> Result:
    return _collect((i.type.value, i.value) for i in extract(text, all=True))


def _ioc_finder() -> Callable[[str], Result] | None:
    try:
        from ioc_finder import find_iocs
    except ImportError:
        return None
    keys = {
        "domains": "domain",
        "urls": "url",
        "ipv4s": "ipv4",
        "ipv6s": "ipv6",
        "email_addresses": "email",
        "md5s": "md5",
        "sha1s": "sha1",
        "sha256s": "sha256",
        "sha512s": "sha512",
        "cves": "cve",
    }

    def run(text: str) -> Result:
        found = find_iocs(text)
        return _collect((keys[k], v) for k, vs in found.items() if k in keys for v in vs)

    return run


def _iocextract() -> Callable[[str], Result] | None:
    try:
        import iocextract as ie
    except ImportError:
        return None

    def run(text: str) -> Result:
        pairs: list[tuple[str, str]] = []
        pairs += [("url", v) for v in ie.extract_urls(text, refang=True)]
        pairs += [("ipv4", v) for v in ie.extract_ipv4s(text, refang=True)]
        pairs += [("ipv6", v) for v in ie.extract_ipv6s(text)]
        pairs += [("email", v) for v in ie.extract_emails(text, refang=True)]
        pairs += [("md5", v) for v in ie.extract_md5_hashes(text)]
        pairs += [("sha1", v) for v in ie.extract_sha1_hashes(text)]
        pairs += [("sha256", v) for v in ie.extract_sha256_hashes(text)]
        pairs += [("sha512", v) for v in ie.extract_sha512_hashes(text)]
        return _collect(pairs)

    return run


def _iocsearcher() -> Callable[[str], Result] | None:
    try:
        from iocsearcher.searcher import Searcher
    except ImportError:
        return None
    searcher = Searcher()
    keys = {
        "fqdn": "domain",
        "url": "url",
        "ip4": "ipv4",
        "ip6": "ipv6",
        "email": "email",
        "md5": "md5",
        "sha1": "sha1",
        "sha256": "sha256",
        "sha512": "sha512",
        "cve": "cve",
    }

    def run(text: str) -> Result:
        found = searcher.search_data(text)
        return _collect((keys[i.name], i.value) for i in found if i.name in keys)

    return run


def _msticpy() -> Callable[[str], Result] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from msticpy.transform.iocextract import IoCExtract
    except ImportError:
        return None
    extractor = IoCExtract()
    keys = {
        "dns": "domain",
        "url": "url",
        "ipv4": "ipv4",
        "ipv6": "ipv6",
        "email": "email",
        "md5_hash": "md5",
        "sha1_hash": "sha1",
        "sha256_hash": "sha256",
        "sha512_hash": "sha512",
    }

    def run(text: str) -> Result:
        found = extractor.extract(src=text)
        return _collect((keys[k], v) for k, vs in found.items() if k in keys for v in vs)

    return run


def _safe(tool: Callable[[str], Result]) -> Callable[[str], Result]:
    def run(text: str) -> Result:
        try:
            return tool(text)
        except Exception:  # noqa: BLE001 - a peer crashing on one case scores as finding nothing
            return {}

    return run


def _throughput(tool: Callable[[str], Result], docs: list[str], budget: float) -> tuple[float, float, float]:
    """(MB/s of CPU time, MB/s of wall time, MB done): CPU time is what a shared machine can't skew."""
    # Every tool starts from a collected heap: the accuracy runs before leave the collector one
    # step short of a full pass over every peer's modules, which would land on whoever runs next.
    gc.collect()
    done_bytes, cpu0, wall0 = 0, time.process_time(), time.perf_counter()
    for doc in docs:
        with contextlib.suppress(Exception):  # a peer crashing on one report is timed all the same
            tool(doc)
        done_bytes += len(doc.encode("utf-8"))
        if time.process_time() - cpu0 > budget:
            break
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return done_bytes / 1e6 / cpu, done_bytes / 1e6 / wall, done_bytes / 1e6


def _real_mode(size: int, repeat: int, runs: int, base_src: Path | None = None) -> None:
    shared = rr.shared_dir()
    if shared is None:
        print("# ../shared/eval/reports_dev.jsonl not found (set HUNTFEED_SHARED): real-report mode skipped")
        return
    reports = rr.real_reports(rr.dev_texts(shared), size, repeat)
    mb = sum(len(r.encode("utf-8")) for r in reports) / 1e6
    with tempfile.TemporaryDirectory(prefix="huntfeed-real-") as tmp:
        docs = rr.write_jsonl(Path(tmp) / "reports.jsonl", reports)
        one = Path(tmp) / "one-line.txt"
        one.write_text("C2 at evil[.]example.com and 203.0.113.7\n", encoding="utf-8")
        tools = {"huntfeed": (rr.huntfeed_cmd() + ["extract", "--all", "--jsonl", str(docs)],
                              rr.huntfeed_cmd() + ["extract", "--all", str(one)])}
        for name in rr.PEERS:
            if rr.peer_available(name):
                tools[name] = (rr.peer_cmd(name, docs), rr.peer_cmd(name, one))
            else:
                print(f"# {name}: not installed, skipped")
        core = min(os.sched_getaffinity(0))
        print(f"# huntfeed: {' '.join(rr.huntfeed_cmd())}")
        print(f"## Real reports: {len(reports)} reports of {mb * 1e6 / len(reports) / 1000:.1f} KB on average "
              f"({mb:.2f} MB), whole process on one core (each pinned to CPU {core}, single-threaded), "
              f"CPU time, median of {runs} runs, the tools' runs interleaved\n")
        print("| tool | CPU s, all reports | reports/s | MB/s | x ioc-finder | start (one-line file), CPU s "
              "| peak RSS | spread (all reports) |")
        print("|---|---|---|---|---|---|---|---|")
        envs: dict[str, dict[str, str] | None] = {name: None for name in tools}
        if base_src is not None:  # another tree of huntfeed, timed in the same rounds (before/after)
            tools["huntfeed (base)"] = tools["huntfeed"]
            envs["huntfeed (base)"] = {"PYTHONPATH": str(base_src)}
            tools = {k: tools[k] for k in ("huntfeed", "huntfeed (base)", *[t for t in tools if t.startswith("ioc")])}
        # Bytecode for every timed tree, written here: with PYTHONDONTWRITEBYTECODE set (as in some
        # shells and CI images) the warm-up run writes none, and a tree without it (a `git archive`
        # for --base-src) then compiles every module in every timed process (190 M instructions).
        for src in [ROOT / "src", *([base_src] if base_src is not None else [])]:
            compileall.compile_dir(str(src), quiet=1)
        for name, (_, cmd_one) in tools.items():
            rr.timed_process(cmd_one, cpu=core, env=envs.get(name))  # warm the page cache, caches: untimed
        # Round-robin: each round runs every tool once, so a change in the machine's load between
        # rounds weighs on every tool alike and the same-run ratio stays fair.
        big: dict[str, list[rr.Run]] = {name: [] for name in tools}
        small: dict[str, list[rr.Run]] = {name: [] for name in tools}
        for _ in range(runs):
            for name, (cmd_all, cmd_one) in tools.items():
                big[name].append(rr.timed_process(cmd_all, cpu=core, env=envs.get(name)))
                small[name].append(rr.timed_process(cmd_one, cpu=core, env=envs.get(name)))
        results = {name: (rr.median_run(big[name]), rr.median_run(small[name]), rr.spread(big[name])) for name in tools}
        base = results["ioc-finder"][0].cpu if "ioc-finder" in results else 0.0
        for name, (big_run, small_run, sp) in results.items():
            ratio = f"{base / big_run.cpu:.1f}" if base else "n/a"
            print(f"| {name} | {big_run.cpu:.2f} | {len(reports) / big_run.cpu:.1f} | {mb / big_run.cpu:.2f} | "
                  f"{ratio} | {small_run.cpu:.2f} | {big_run.rss_mb:.0f} MB | {sp} |")
        if base:
            ratios = sorted(b.cpu / h.cpu for b, h in zip(big["ioc-finder"], big["huntfeed"], strict=True))
            print("\nioc-finder CPU / huntfeed CPU, each round (sorted): "
                  + ", ".join(f"x{r:.1f}" for r in ratios))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=5.0, help="corpus size (default 5 MB)")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds each tool may spend on the corpus")
    ap.add_argument("--real", action="store_true", help="real-report mode: whole processes on ~30 KB reports")
    ap.add_argument("--size", type=int, default=30_000, help="real mode: characters per report (at least)")
    ap.add_argument("--repeat", type=int, default=3, help="real mode: passes over the write-ups")
    ap.add_argument("--runs", type=int, default=5, help="real mode: runs per tool (the median is reported)")
    ap.add_argument("--base-src", type=Path, help="real mode: also time huntfeed from this src folder (PYTHONPATH)")
    args = ap.parse_args()
    if args.real:
        _real_mode(args.size, args.repeat, args.runs, args.base_src)
        return

    tools: dict[str, Callable[[str], Result]] = {"huntfeed": huntfeed_tool}
    for name, factory in (
        ("ioc-finder", _ioc_finder),
        ("iocextract", _iocextract),
        ("iocsearcher", _iocsearcher),
        ("msticpy", _msticpy),
    ):
        tool = factory()
        if tool is None:
            print(f"# {name}: not installed, skipped")
        else:
            tools[name] = tool

    cases_path = SHARED / "eval" / "ioc_cases.jsonl"
    if cases_path.is_file():
        cases = load_cases(cases_path)
        print(f"## Accuracy on {cases_path.name} ({len(cases)} cases): F1 per type (P/R in micro)\n")
        print("| tool | " + " | ".join(CORE_TYPES) + " | micro P | micro R | micro F1 |")
        print("|---" * (len(CORE_TYPES) + 4) + "|")
        for name, tool in tools.items():
            res = score(cases, _safe(tool))
            cells = [f"{res.per_type[t].f1:.3f}" for t in CORE_TYPES]
            m = res.micro
            print(f"| {name} | " + " | ".join(cells) + f" | {m.precision:.3f} | {m.recall:.3f} | **{m.f1:.3f}** |")
    else:
        print(f"# {cases_path} not found: accuracy table skipped")

    text = corpus(args.mb)
    docs = text.split("\n\n\n")
    print(f"\n## Throughput on a generated corpus of {len(text.encode()) / 1e6:.1f} MB ({len(docs)} reports)\n")
    print("| tool | MB/s (CPU time) | MB/s (wall) | MB processed | x ioc-finder (CPU) |")
    print("|---|---|---|---|---|")
    rates: dict[str, tuple[float, float, float]] = {}
    for name, tool in tools.items():
        tool("warm-up 1.2.3.4 evil[.]com d41d8cd98f00b204e9800998ecf8427e")
        rates[name] = _throughput(tool, docs, args.budget)
    base = rates.get("ioc-finder", (0.0, 0.0, 0.0))[0]
    for name, (rate, wall, done) in rates.items():
        ratio = f"{rate / base:.1f}" if base else "n/a"
        print(f"| {name} | {rate:.2f} | {wall:.2f} | {done:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
