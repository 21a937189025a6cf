"""Imported rules that need a cue of their own in the report: web-attack rules (their attack class) and
rules tagged with an ATT&CK group or software (its name or an alias). Rules written here, SigmaHQ shapes."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from huntfeed.errors import DataFileError
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.convert import parse_rule
from huntfeed.hunts.import_sigma import import_dir
from huntfeed.hunts.imported import save_imported
from huntfeed.hunts.sigma_meta import load_web_attacks, web_attack_cues
from huntfeed.model import Inference, TechniqueHit

RULE = """title: {title}
id: 00000000-0000-4000-8000-0000000003{n:02d}
status: test
description: {description}
logsource: {logsource}
detection:
  sel:
    cs-uri-query|contains: '{value}'
  condition: sel
level: high
tags: [{tags}]
"""

# title, description, logsource, value, tags, file
WEB = [
    ("Path Traversal Exploitation Attempts", "Detects path traversal in URIs", "{category: webserver}", "../../",
     "attack.initial-access, attack.t1190", "web/web_path_traversal_exploitation_attempt.yml"),
    ("SQL Injection Strings In URI", "Detects SQL injection keywords", "{category: webserver}", "union select",
     "attack.initial-access, attack.t1190", "web/web_sql_injection_in_access_logs.yml"),
    ("Suspicious Apache Request", "Odd request", "{category: webserver, service: apache}", "/cgi-bin/.%2e/",
     "attack.initial-access, attack.t1190", "web/web_apache_odd.yml"),
    ("Source Code Enumeration", "Looks for .git in URIs", "{category: webserver}", "/.git/",
     "attack.initial-access, attack.t1190", "web/web_source_code_enumeration.yml"),
    # reads web logs but is not an exploitation rule: no cue needed
    ("Webshell Keyword In URI", "whoami in a request", "{category: webserver}", "whoami",
     "attack.persistence, attack.t1505.003", "web/web_webshell_keyword.yml"),
]


def _lib(root: Path, rows: list[tuple[str, ...]]) -> HuntLibrary:
    for n, (title, description, logsource, value, tags, path) in enumerate(rows):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(RULE.format(title=title, n=n, description=description, logsource=logsource,
                                             value=value, tags=tags))
    from huntfeed.attack.engine import load_catalog

    report = import_dir(root, catalog=load_catalog(Path("/nonexistent-huntfeed-home")))
    assert len(report.imported) == len(rows), report.failed
    return HuntLibrary.load(imports=save_imported(report.imported, root / "imports.json"))


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> HuntLibrary:
    return _lib(tmp_path_factory.mktemp("web"), WEB)


def _fired(lib: HuntLibrary, text: str, *techniques: str) -> list[str]:
    inference = Inference(observed=tuple(TechniqueHit(id=t, name=t) for t in techniques))
    return sorted(h.title for h in lib.hunts_for(text, (), inference) if h.kind == "sigma-import")


# Class of error: the generic path-traversal rule fitted every T1190 report (an authentication bypass in a
# VPN appliance got it, a SQL-injection report too). Each row: report text, imported rules that fire.
@pytest.mark.parametrize(
    ("text", "fired"),
    [
        ("Attackers exploited an authentication bypass in the VPN appliance.", []),
        # a web rule of no class (source code enumeration) fits any report that names a web attack
        ("The flaw is a path traversal that lets anyone read arbitrary files.",
         ["Path Traversal Exploitation Attempts", "Source Code Enumeration"]),
        ("A directory traversal bug (CVE-2024-0001) was exploited.",
         ["Path Traversal Exploitation Attempts", "Source Code Enumeration"]),
        ("They used SQL injection against the login form.", ["SQL Injection Strings In URI", "Source Code Enumeration"]),
        ("The Apache server was exploited.", ["Suspicious Apache Request"]),
        ("The flaw is a server-side request forgery.", ["Source Code Enumeration"]),
    ],
)
def test_web_attack_rules_need_their_class_named(web: HuntLibrary, text: str, fired: list[str]) -> None:
    assert _fired(web, text, "T1190") == fired


def test_a_web_log_rule_for_another_technique_needs_no_cue(web: HuntLibrary) -> None:
    assert _fired(web, "A web shell answered the operator's requests.", "T1505.003") == ["Webshell Keyword In URI"]


def test_the_cue_is_a_reason(web: HuntLibrary) -> None:
    inference = Inference(observed=(TechniqueHit(id="T1190", name="T1190"),))
    hunts = [h for h in web.hunts_for("An SQLi in the portal.", (), inference) if h.kind == "sigma-import"]
    assert {h.title: h.reasons for h in hunts}["SQL Injection Strings In URI"] == (
        "technique T1190 observed (imported Sigma rule)", "'sqli' in the report (the web attack the rule detects)")


@pytest.mark.parametrize(
    ("title", "logsource", "techniques", "stem", "first"),
    [
        ("Path Traversal", "{category: webserver}", ("T1190",), "web_x", "path traversal"),
        ("Odd", "{category: webserver}", ("T1190",), "web_lfi_attempt", "path traversal"),
        ("Odd", "{category: webserver, product: nginx}", ("T1190",), "web_odd", "nginx"),
        ("Path Traversal", "{category: proxy}", ("T1190",), "proxy_x", ""),
        ("Path Traversal", "{category: webserver}", ("T1505.003",), "web_x", ""),
    ],
)
def test_web_attack_cues(title: str, logsource: str, techniques: tuple[str, ...], stem: str, first: str) -> None:
    rule = parse_rule(f"title: {title}\nlogsource: {logsource}\ndetection:\n  sel:\n    f|contains: x\n"
                      "  condition: sel\nlevel: low\n")
    cues = web_attack_cues(rule, PurePosixPath(f"rules/{stem}.yml"), techniques)
    assert (cues[0] if cues else "") == first


def test_the_web_attack_file_is_strict(tmp_path: Path) -> None:
    bad = tmp_path / "web_attacks.yaml"
    bad.write_text("sqli:\n  rule: [sqli]\n  report: [sqli]\nxss:\n  rule: [xss]\n")
    with pytest.raises(DataFileError) as err:
        load_web_attacks(bad)
    assert err.value.where == f"{bad}:4" and "exactly 'rule' and 'report'" in str(err.value)


PROC = """title: {title}
id: 00000000-0000-4000-8000-0000000004{n:02d}
status: test
logsource: {{category: process_creation, product: windows}}
detection:
  sel:
    CommandLine|contains: 'whoami'
  condition: sel
level: high
tags: [attack.discovery, attack.t1033{extra}]
"""


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> tuple[HuntLibrary, object]:
    from huntfeed.attack.engine import load_catalog

    root = tmp_path_factory.mktemp("named")
    rows = [("APT28 recon", ", attack.g0007"), ("Cobalt Strike recon", ", attack.s0154"),
            ("Unknown group recon", ", attack.g9999"), ("Plain recon", "")]
    for n, (title, extra) in enumerate(rows):
        (root / f"r{n}.yml").write_text(PROC.format(title=title, n=n, extra=extra))
    report = import_dir(root, catalog=load_catalog(Path("/nonexistent-huntfeed-home")))
    assert len(report.imported) == len(rows), report.failed
    return HuntLibrary.load(imports=save_imported(report.imported, root / "imports.json")), report


# Class of error: a rule tagged with an ATT&CK group or software (attack.g0007, attack.s0154) fired on any
# report with its technique, as if written for everyone. Each row: report text, imported rules that fire.
@pytest.mark.parametrize(
    ("text", "fired"),
    [
        ("The operators ran whoami.", ["Plain recon", "Unknown group recon"]),
        ("APT28 operators ran whoami.", ["APT28 recon", "Plain recon", "Unknown group recon"]),
        ("Fancy Bear ran whoami.", ["APT28 recon", "Plain recon", "Unknown group recon"]),  # an alias
        ("Forest Blizzard ran whoami.", ["APT28 recon", "Plain recon", "Unknown group recon"]),
        ("APT29 ran whoami.", ["Plain recon", "Unknown group recon"]),
        ("A Cobalt Strike beacon ran whoami.", ["Cobalt Strike recon", "Plain recon", "Unknown group recon"]),
        ("A CobaltStrike beacon ran whoami.", ["Cobalt Strike recon", "Plain recon", "Unknown group recon"]),
    ],
)
def test_group_and_software_tags_are_required_names(named: tuple[HuntLibrary, object], text: str,
                                                     fired: list[str]) -> None:
    assert _fired(named[0], text, "T1033") == fired


def test_group_tags_give_names_and_aliases_and_unknown_ids_are_reported(named: tuple[HuntLibrary, object]) -> None:
    lib, report = named
    rules = {r.title: r for r in lib.imported}
    assert rules["APT28 recon"].names[:3] == ("apt28", "iron twilight", "snakemackerel")
    assert "fancy bear" in rules["APT28 recon"].names
    assert rules["Cobalt Strike recon"].names == ("cobalt strike",)
    assert rules["Unknown group recon"].names == ()
    assert dict(report.unknown_entities) == {"G9999": 1}  # type: ignore[attr-defined]
    hunt = next(h for h in lib.hunts_for("Fancy Bear ran whoami.", (),
                                         Inference(observed=(TechniqueHit(id="T1033", name="t"),)))
                if h.title == "APT28 recon")
    assert "'fancy bear' named in the report (the rule is written for it)" in hunt.reasons
