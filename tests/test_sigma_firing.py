"""Imported Sigma rules fire by platform, named threat and specificity (rules written here, SigmaHQ shapes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.import_sigma import import_dir
from huntfeed.hunts.imported import save_imported
from huntfeed.model import Inference, TechniqueHit

RULE = """title: {title}
id: 00000000-0000-4000-8000-0000000002{n:02d}
status: test
logsource: {logsource}
detection:
  sel:
    {field}: '{value}'
  condition: sel
level: {level}
tags: [{tags}]
"""

# title, logsource, field, value, level, tags, path under the rules folder
ROWS = [
    ("win proc", "{category: process_creation, product: windows}", "CommandLine|contains", "whoami", "medium",
     "attack.t1033", "windows/a.yml"),
    ("lin proc", "{category: process_creation, product: linux}", "CommandLine|contains", "whoami", "medium",
     "attack.t1033", "linux/a.yml"),
    ("aws trail", "{product: aws, service: cloudtrail}", "eventName", "GetCallerIdentity", "medium",
     "attack.t1033", "cloud/aws/a.yml"),
    ("azure vault", "{product: azure, service: activitylogs}", "operationName", "MICROSOFT.KEYVAULT/VAULTS/DELETE",
     "medium", "attack.t1033", "cloud/azure/a.yml"),
    ("okta only service", "{service: okta}", "eventtype", "user.session.start", "medium", "attack.t1033",
     "cloud/okta/a.yml"),
    ("proxy exe", "{category: proxy}", "c-uri|endswith", "\\\\whoami.exe", "medium", "attack.t1033", "web/a.yml"),
    ("web any", "{category: webserver}", "cs-uri-query|contains", "whoami", "medium", "attack.t1033", "web/b.yml"),
    ("kapeka", "{category: process_creation, product: windows}", "CommandLine|contains", "whoami", "high",
     "attack.t1033, detection.emerging-threats",
     "emerging_threats/proc_creation_win_malware_kapeka_backdoor_whoami.yml"),
    ("cve rule", "{category: webserver}", "cs-uri-query|contains", "whoami", "high", "attack.t1033, cve.2024-3400",
     "web/c.yml"),
    ("Log4j RCE CVE-2021-44228 Generic", "{category: webserver}", "cs-uri-query|contains", "whoami", "high",
     "attack.t1033", "web/web_cve_2021_44228_log4j.yml"),
    ("HackTool - HandleKatz", "{category: process_creation, product: windows}", "CommandLine|contains", "whoami",
     "high", "attack.t1033", "windows/proc_creation_win_hktl_handlekatz_whoami.yml"),
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> HuntLibrary:
    root = tmp_path_factory.mktemp("rules")
    for n, (title, logsource, field, value, level, tags, path) in enumerate(ROWS):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(RULE.format(title=title, n=n, logsource=logsource, field=field, value=value,
                                             level=level, tags=tags))
    report = import_dir(root)
    assert len(report.imported) == len(ROWS), report.failed
    return HuntLibrary.load(imports=save_imported(report.imported, root / "imports.json"))


def _fired(lib: HuntLibrary, text: str) -> list[str]:
    inference = Inference(observed=(TechniqueHit(id="T1033", name="System Owner/User Discovery"),))
    return sorted(h.title for h in lib.hunts_for(text, (), inference) if h.kind == "sigma-import")


# Class of error: cloud, SaaS and product-less rules always passed the platform gate, and rules written for
# one named threat fired on reports that never name it. Each row: report text, imported rules that fire.
@pytest.mark.parametrize(
    ("text", "fired"),
    [
        # a Windows-only advisory: no AWS, Azure or Okta hunt; the proxy rule looks for a Windows program
        ("The implant ran whoami from cmd.exe on Windows hosts.", ["proxy exe", "web any", "win proc"]),
        # a Linux and Kubernetes post: Linux rules, no Azure Key Vault, no Windows-program proxy rule
        ("The botnet spread across Kubernetes clusters on Linux nodes and ran whoami.", ["lin proc", "web any"]),
        # an npm supply-chain post names no platform: host rules fit, cloud rules need their cloud named
        ("A malicious npm package ran whoami after install.",
         ["lin proc", "proxy exe", "web any", "win proc"]),
        # naming the cloud lets its rule in, and never keeps host rules out
        ("Stolen AWS keys were used; the actor then ran whoami on a Windows server.",
         ["aws trail", "proxy exe", "web any", "win proc"]),
        ("Entra ID sign-ins from the Okta tenant preceded key vault deletions.",
         ["azure vault", "lin proc", "okta only service", "proxy exe", "web any", "win proc"]),
        # a cloud named only inside a file path is not the report's platform
        ("The stealer read ~/.aws/credentials and ran whoami on Linux.", ["lin proc", "web any"]),
        # the named threat, the CVE (a tag, or in the title) and the hack tool must be in the report
        ("Kapeka, a backdoor, ran whoami on Windows.", ["kapeka", "proxy exe", "web any", "win proc"]),
        ("Exploitation of CVE-2024-3400 ran whoami.", ["cve rule", "lin proc", "proxy exe", "web any", "win proc"]),
        ("Log4Shell (CVE-2021-44228) probes ran whoami.",
         ["Log4j RCE CVE-2021-44228 Generic", "lin proc", "proxy exe", "web any", "win proc"]),
        ("HandleKatz ran whoami on Windows.", ["HackTool - HandleKatz", "proxy exe", "web any", "win proc"]),
    ],
)
def test_imported_rules_gated_by_platform_and_named_threat(lib: HuntLibrary, text: str, fired: list[str]) -> None:
    assert _fired(lib, text) == fired


RANK_RULE = """title: {title}
id: 00000000-0000-4000-8000-0000000003{n:02d}
status: test
logsource: {logsource}
detection:
  sel:
    {field}: 'x{n}'
  condition: sel
level: {level}
tags: [attack.credential-access, attack.t1003.001]
"""


def test_imported_rules_ranked_by_specificity_and_the_cut_is_said(tmp_path: Path) -> None:
    # Class of error: imported hunts were the first 8 in file-path order: an AWS rule kept, the
    # Procdump and comsvcs LSASS rules cut. Ranked: log source the report implies, platform, level.
    rows = [("aaa aws", "{product: aws, service: cloudtrail}", "eventName", "high")]
    rows += [(f"low proc {i}", "{category: process_creation, product: windows}", "CommandLine|contains", "low")
             for i in range(8)]
    rows += [("comsvcs lsass access", "{category: process_access, product: windows}", "TargetImage|endswith",
              "high"),
             ("procdump lsass", "{category: process_creation, product: windows}", "CommandLine|contains", "high")]
    for n, (title, logsource, field, level) in enumerate(rows):
        (tmp_path / f"r{n:02d}.yml").write_text(
            RANK_RULE.format(title=title, n=n, logsource=logsource, field=field, level=level))
    lib = HuntLibrary.load(imports=save_imported(import_dir(tmp_path).imported, tmp_path / "imports.json"))
    text = "The actor dumped LSASS process memory on Windows hosts with procdump and comsvcs.dll."
    inference = Inference(observed=(TechniqueHit(id="T1003.001", name="LSASS Memory"),))
    hunts = [h for h in lib.hunts_for(text, (), inference) if h.kind == "sigma-import"]
    assert [h.title for h in hunts] == [
        "comsvcs lsass access",  # technique + platform named + log source implied + high
        "procdump lsass",  # technique + platform named + high
        *(f"low proc {i}" for i in range(6)),  # ties broken by rule id
    ]
    assert hunts[0].reasons == (
        "technique T1003.001 observed (imported Sigma rule)",
        "platform windows named in the report",
        "log source process_access implied by the report",
    )
    assert hunts[-1].reasons[-1] == (
        "2 more imported Sigma rules fitted this report and were left out (at most 8, most specific first)"
    )


# Class of error: rules written for one named threat (emerging threats, CVEs, hack tools) fired on reports
# that never name it. Each row: rule path, title, tags, then the names one of which the report must carry.
@pytest.mark.parametrize(
    ("path", "title", "tags", "names"),
    [
        ("rules-emerging-threats/2024/Malware/Kapeka/proc_creation_win_malware_kapeka_rundll32.yml",
         "Kapeka Backdoor Execution", ["detection.emerging-threats"], ("kapeka",)),
        ("rules-emerging-threats/2024/Exploits/CVE-2024-3400/web_exploit_cve_2024_3400_x.yml", "Exploit",
         [], ("cve-2024-3400",)),
        ("emerging_threats/dns_query_win_apt_dprk_malicious_domains.yml", "DPRK domains",
         ["detection.emerging-threats"], ("dprk",)),
        ("rules/web/web_cve_2021_44228_log4j.yml", "Log4j RCE CVE-2021-44228 Generic", [], ("cve-2021-44228",)),
        ("rules/windows/proc_creation_win_hktl_mimikatz_command_line.yml", "HackTool - Mimikatz", [],
         ("mimikatz",)),
        ("rules/windows/pipe_created_pua_paexec_default_pipe.yml", "PAExec Default Named Pipe", [], ("paexec",)),
        ("rules/windows/x.yml", "Apt-get style", ["cve.2023-1234"], ("cve-2023-1234",)),
        # outside emerging threats a "malware_" file name is no threat's name
        ("rules/windows/proc_creation_win_malware_like_behaviour.yml", "Generic", [], ()),
        ("rules/windows/proc_creation_win_susp_whoami.yml", "Whoami", ["attack.t1033"], ()),
    ],
)
def test_rule_names(path: str, title: str, tags: list[str], names: tuple[str, ...]) -> None:
    from pathlib import PurePosixPath

    from huntfeed.hunts.convert import parse_rule
    from huntfeed.hunts.sigma_meta import rule_names

    rule = parse_rule(
        f"title: {title}\nlogsource: {{category: process_creation, product: windows}}\n"
        f"detection:\n  sel:\n    CommandLine|contains: x\n  condition: sel\nlevel: low\ntags: {tags}\n"
    )
    assert rule_names(rule, PurePosixPath(path)) == names


# Class of error: rules without a product always passed the platform gate. Each row: logsource and the
# detection's one value, then the platform the rule is gated by ("" fits every report).
@pytest.mark.parametrize(
    ("logsource", "value", "platform"),
    [
        ("{product: windows, category: process_creation}", "x", "windows"),
        ("{product: aws, service: cloudtrail}", "x", "aws"),
        ("{service: okta}", "x", "okta"),
        ("{service: cloudtrail}", "x", "aws"),
        ("{category: proxy}", "'\\\\\\\\mshta.exe'", "windows"),
        ("{category: webserver}", "'C:\\\\\\\\Windows\\\\\\\\Temp'", "windows"),
        ("{category: webserver}", "'/etc/passwd'", "linux"),
        ("{category: dns}", "'.onion'", ""),
        ("{category: firewall}", "'23'", ""),
    ],
)
def test_rule_platform(logsource: str, value: str, platform: str) -> None:
    from huntfeed.hunts.convert import parse_rule
    from huntfeed.hunts.sigma_meta import rule_platform

    rule = parse_rule(f"title: t\nlogsource: {logsource}\ndetection:\n  sel:\n    f|contains: {value}\n"
                      "  condition: sel\nlevel: low\n")
    assert rule_platform(rule) == platform
