"""Synthetic threat reports of a chosen size, deterministic per seed (tests and bench/throughput.py).

Each report mixes prose with what real write-ups carry: defanged network indicators, hashes,
CVE ids, ATT&CK ids and behaviour phrases, so every analysis stage has work to do.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

ACTORS = ["Ashen Lynx", "Copper Wren", "Hollow Finch", "Tidal Marten", "Quiet Heron", "Basalt Kite"]
MALWARE = ["LanternBeacon", "VelvetLoader", "BurrowDNS", "GrainLock", "TallyDrop", "NightSpool"]
BEHAVIOURS = [
    "The loader runs an encoded PowerShell command (powershell.exe -enc) to fetch the second stage.",
    "Persistence is set up with a scheduled task named {name} that runs every 30 minutes via schtasks /create.",
    "The operators dumped LSASS memory with procdump and comsvcs.dll MiniDump to harvest credentials.",
    "A registry Run key under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run launches the implant at logon.",
    "Command and control uses HTTPS to {domain} with a fixed user agent and 60-second beacon jitter.",
    "Data was staged in a password-protected RAR archive before exfiltration over the C2 channel.",
    "The ransomware deletes volume shadow copies with vssadmin delete shadows /all /quiet before encryption.",
    "Initial access came from a spearphishing email carrying an ISO attachment with a malicious LNK file.",
    "The actors exploited {cve} in the internet-facing gateway to gain a foothold.",
    "DNS tunnelling through TXT queries to subdomains of {domain} carried the exfiltrated data.",
    "They used rundll32.exe to execute a DLL side-loaded next to a signed binary.",
    "Lateral movement relied on PsExec and remote services with stolen administrator credentials.",
    "Discovery commands included whoami /all, net group \"domain admins\" /domain and nltest /dclist.",
    "Web shells were planted on the IIS server and used to run cmd.exe commands.",
]
FILLER = [
    "Our telemetry shows the campaign has been active since early autumn and targets logistics firms.",
    "Defenders should review the indicators below and hunt for the behaviours described in this report.",
    "The infrastructure rotates frequently, so network indicators are best treated as short-lived.",
    "We have notified affected organisations and shared the samples with industry partners.",
    "Several victims were in the manufacturing and healthcare sectors across Europe and North America.",
    "The intrusion set overlaps with activity reported earlier this year by other vendors.",
]


def _defang_ip(rng: random.Random) -> str:
    return f"{rng.randint(11, 197)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}[.]{rng.randint(1, 254)}"


def _domain(rng: random.Random) -> str:
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(6, 11)))
    return f"{word}[.]{rng.choice(['com', 'net', 'org', 'info', 'top'])}"


def report(seed: int, size: int = 5000) -> tuple[str, str]:
    """(title, text) of a report of about ``size`` characters."""
    rng = random.Random(seed)
    actor, malware = rng.choice(ACTORS), rng.choice(MALWARE)
    title = f"{actor} deploys {malware} against {rng.choice(['logistics', 'energy', 'retail', 'finance'])} targets"
    parts = [title, "", f"{actor} is using {malware} in a new campaign. " + rng.choice(FILLER)]
    iocs = ["", "Indicators of compromise:"]
    while sum(len(p) + 1 for p in parts) + sum(len(i) + 1 for i in iocs) < size:
        domain = _domain(rng)
        cve = f"CVE-{rng.randint(2019, 2026)}-{rng.randint(1000, 49999)}"
        line = rng.choice(BEHAVIOURS).format(name=f"Update{rng.randint(100, 999)}", domain=domain, cve=cve)
        parts.append(line + " " + rng.choice(FILLER))
        kind = rng.randrange(5)
        if kind == 0:
            iocs.append(f"- C2 server: {_defang_ip(rng)}")
        elif kind == 1:
            iocs.append(f"- Domain: {domain}")
        elif kind == 2:
            iocs.append(f"- SHA256: {hashlib.sha256(f'{seed}-{len(iocs)}'.encode()).hexdigest()}")
        elif kind == 3:
            iocs.append(f"- MD5: {hashlib.md5(f'{seed}-{len(iocs)}'.encode()).hexdigest()}")
        else:
            iocs.append(f"- Technique: T{rng.choice([1059, 1053, 1003, 1547, 1071, 1486, 1566, 1021])}")
    return title, "\n".join(parts + iocs)[: size + 200]


def write_jsonl(path: Path, n: int, size: int = 5000, *, start: int = 0) -> Path:
    """An archive of n synthetic reports as backfill JSONL."""
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            title, text = report(i, size)
            fh.write(json.dumps({"id": f"syn-{i}", "title": title, "text": text, "source": "Synthetic Labs",
                                 "published": "2026-11-01T00:00:00Z"}) + "\n")
    return path
