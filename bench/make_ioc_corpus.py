"""Generate a realistic threat-report corpus with planted indicators in every defang style.

Each report is 10-20 kB: prose paragraphs (5% of sentences name a C2 host, 8% carry dotted
distractors such as versions, code identifiers, file names and reference links) and an IOC
appendix of 8-40 values, about 3 indicators per kB overall, like published vendor write-ups.

Prose is assembled from sentence templates written for this benchmark; indicators are random
but well-formed, written plain or defanged (hxxp, [.], (.), {.}, [dot], \\., [:]//, [://], [@],
[at], 1.2.3[.]4, "evil . com"), and every report has an IOC section, reference links, code
identifiers and file names, as published write-ups do. Deterministic for a given seed.

    python bench/make_ioc_corpus.py --mb 5 --out /tmp/ioc_corpus.txt
"""

from __future__ import annotations

import argparse
import random
import string
from pathlib import Path

WORDS = (  # noqa: SIM905 - a sentence of words reads better than a list literal
    "campaign operator loader implant victim network credential persistence registry service "
    "scheduled task beacon archive attachment invoice macro document script payload stage server "
    "infrastructure certificate sample variant cluster activity intrusion lateral movement account "
    "mailbox tenant session token browser extension update installer driver kernel module"
).split()
PROSE = (
    "The {w} observed in this {w} relied on a {w} that had been quietly prepared weeks earlier.",
    "Analysts tracked the {w} across several sectors, noting that each {w} reused the same {w}.",
    "Once inside, the actor abused a legitimate {w} to move between hosts without raising alerts.",
    "We assess with moderate confidence that the {w} and the {w} belong to the same operator.",
    "Initial access came through a phishing message that impersonated a shipping company's {w}.",
    "The operators spent roughly two weeks in the environment before the {w} was discovered.",
    "Several of the affected organisations had not applied the vendor's patch for the {w}.",
    "After gaining a foothold, the group enumerated domain controllers and collected a {w}.",
    "Defenders who hunt for this {w} should focus on unusual parent and child process pairs.",
    "The same tooling appeared in an unrelated intrusion last year, which suggests a shared {w}.",
    "Persistence was achieved by registering a {w} that launched at every user logon.",
    "Credentials were harvested from memory and reused to reach the backup {w} within hours.",
    "The ransom note directed victims to a negotiation portal reachable only through Tor.",
    "We notified the affected hosting providers, and most of the servers were taken offline.",
    "It is worth stressing that none of these steps required an exploit for an unknown flaw.",
    "The {w} checks the keyboard layout and exits early on systems configured for some regions.",
    "Strings in the binary are encrypted with a simple rolling XOR key derived from the {w}.",
    "Lateral movement relied on remote service creation and on stolen administrator tokens.",
)
SENTENCES = (
    "The {w} observed in this {w} relied on a {w} that had been quietly prepared weeks earlier.",
    "Analysts tracked the {w} across several sectors, noting that each {w} reused the same {w}.",
    "Once inside, the actor abused a legitimate {w} to move between hosts without raising alerts.",
    "We assess with moderate confidence that the {w} and the {w} belong to the same operator.",
    "Telemetry from version 10.0.19045.1 and build 4.2.1 showed no trace of the {w} after reboot.",
    "The script instantiated WScript.Shell and ADODB.Stream, then called System.Net.WebClient to fetch it.",
    "Victims received an email with invoice.pdf and payload.zip attached, plus a shortcut named readme.lnk.",
    "See the technique write-up at https://attack.mitre.org/techniques/T1059/001/ for background.",
    "Our earlier research is on https://www.example-vendor.com/blog/previous-campaign "
    "and on twitter.com/vendor.",
    "Microsoft documents the setting at https://learn.microsoft.com/en-us/windows/security/threat-protection.",
    "Internal hosts such as 10.1.2.3 and 192.168.10.20 were scanned before the {w} was deployed.",
    "The malware resolves names through 8.8.8.8 before contacting its {w}.",
    "Defenders should review the {w} logs for the period between 2024.03.01 and 2024.03.15.",
    "The loader was compiled with Go 1.21.5 and packed, which slowed down the {w} considerably.",
    "A Python helper, analysis.md and build.sh were left in the repository by the operator.",
)
TLDS = ("com", "net", "org", "info", "xyz", "top", "ru", "io", "biz", "online", "site", "club")
C2_SENTENCES = (
    "The implant beacons to {ioc} every ten minutes over HTTPS.",
    "A second stage was downloaded from {ioc} and executed in memory.",
    "Command and control traffic went to {ioc}, which resolved to a VPS.",
    "Stolen data was exfiltrated to {ioc} in compressed chunks.",
)


def _label(rng: random.Random, lo: int = 5, hi: int = 12) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(lo, hi)))


def _domain(rng: random.Random) -> str:
    parts = [_label(rng)] + ([_label(rng, 3, 6)] if rng.random() < 0.3 else [])
    return ".".join(parts[::-1]) + "." + rng.choice(TLDS)


def _ip(rng: random.Random) -> str:
    return ".".join(str(rng.randint(11, 223) if i == 0 else rng.randint(0, 255)) for i in range(4))


def _hexs(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _dot_style(rng: random.Random, value: str) -> str:
    style = rng.choice(("[.]", "(.)", "{.}", "[dot]", "\\.", ".", "[.]", "[.]"))
    if style == "." or "." not in value:
        return value
    head, _, tail = value.rpartition(".")
    return head.replace(".", style if rng.random() < 0.5 else ".") + style + tail


def _defanged(rng: random.Random, kind: str) -> str:
    if kind == "domain":
        d = _domain(rng)
        return (
            f"{d.split('.')[0]} . {'.'.join(d.split('.')[1:])}" if rng.random() < 0.05 else _dot_style(rng, d)
        )
    if kind == "ip":
        ip = _ip(rng)
        r = rng.random()
        if r < 0.4:
            return ip.rpartition(".")[0] + "[.]" + ip.rpartition(".")[2]
        return ip.replace(".", "[.]") if r < 0.8 else ip
    if kind == "url":
        scheme = rng.choice(("hxxp://", "hxxps://", "hXXps://", "http[:]//", "https[://]", "https://"))
        path = "/".join(_label(rng, 3, 8) for _ in range(rng.randint(1, 3)))
        ext = rng.choice(("php", "exe", "dll", "js", "bin", "html"))
        return f"{scheme}{_dot_style(rng, _domain(rng))}/{path}.{ext}"
    if kind == "email":
        at = rng.choice(("[@]", "[at]", "@", "(at)"))
        return f"{_label(rng)}{at}{_dot_style(rng, _domain(rng))}"
    if kind == "sha256":
        return _hexs(rng, 64)
    if kind == "md5":
        return _hexs(rng, 32)
    if kind == "sha1":
        return _hexs(rng, 40)
    return f"CVE-{rng.randint(2015, 2025)}-{rng.randint(1000, 99999)}"


def report(rng: random.Random) -> str:
    """One synthetic report: prose with C2 sentences, then an IOC section."""
    out: list[str] = [
        f"{_label(rng, 6, 10).title()} {rng.choice(WORDS).title()} targets {rng.choice(WORDS)}s",
        "",
    ]
    for _ in range(rng.randint(14, 34)):
        para = []
        for _ in range(rng.randint(3, 7)):
            r = rng.random()
            if r < 0.05:
                kind = rng.choice(("domain", "ip", "url"))
                para.append(rng.choice(C2_SENTENCES).format(ioc=_defanged(rng, kind)))
            elif r < 0.87:
                para.append(rng.choice(PROSE).format(w=rng.choice(WORDS)).replace("{w}", rng.choice(WORDS)))
            else:
                para.append(
                    rng.choice(SENTENCES).format(w=rng.choice(WORDS)).replace("{w}", rng.choice(WORDS))
                )
        out.append(" ".join(para))
        out.append("")
    out.append("Indicators of Compromise")
    for kind in ("domain", "ip", "url", "email", "sha256", "md5", "sha1", "cve"):
        for _ in range(rng.randint(1, 5)):
            out.append(f"{_defanged(rng, kind)}\t{kind}")
    out.append("")
    out.append("Conclusion")
    out.append(" ".join(rng.choice(SENTENCES).format(w=rng.choice(WORDS)) for _ in range(4)))
    out.append("")
    return "\n".join(out)


def corpus(mb: float, seed: int = 7) -> str:
    """Concatenated reports, at least ``mb`` megabytes of UTF-8."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < mb * 1_000_000:
        r = report(rng)
        parts.append(r)
        size += len(r.encode("utf-8")) + 2
    return "\n\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.write_text(corpus(args.mb, args.seed), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
