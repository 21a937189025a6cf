"""One platform table, one gate: the library's cloud use cases and imported Sigma rules fit the same reports.

Class of error: the library's Azure and Microsoft 365 use cases passed the host-platform gate, which does
not know cloud platforms and so let them through everywhere (an Entra ID token-replay hunt on an npm
supply-chain post and on an HTTPS C2 beacon), while imported rules for the same platforms needed the
report to name them (a second table, services.yaml, and a third, the service -> platform map in code).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.errors import DataFileError
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.imported import ImportedRule
from huntfeed.hunts.imported_rank import rank_imported
from huntfeed.hunts.platforms import load_platform_cues
from huntfeed.model import Inference, TechniqueHit

NONE = Path("/nonexistent/none.json")
CUES = load_platform_cues()

# (platform, text, fits)
GATE = [
    ("azure", "Sign-ins to Entra ID from the stolen session cookie.", True),
    ("azure", "The AiTM kit phished Microsoft 365 accounts.", True),  # one tenant: m365 `with` azure
    ("m365", "Mailbox rules created after the Entra ID consent.", True),
    ("m365", "Inbox rules forwarded the mail.", False),
    ("azure", "The stealer took session cookies from browsers.", False),
    ("azure", "It read ~/.azure/accessTokens.json from the host.", False),  # a path, not the platform
    ("aws", "Keys were used against AWS from a VPS.", True),
    ("aws", "Sign-ins to Entra ID from the stolen session cookie.", False),
    ("windows", "The loader ran rundll32.", True),
    ("windows", "The Android trojan asks for SMS rights.", False),
    ("windows", "The intruders moved on.", True),  # no host platform named: host hunts fit
    ("", "Anything at all.", True),
    ("salesforce", "Records were exported from Salesforce.", True),  # not in the table: its own name
    ("salesforce", "Records were exported.", False),
    ("service_now", "Tickets in the Service Now instance were read.", True),  # "_" read as a space
    ("service_now", "Tickets were read.", False),
]


@pytest.mark.parametrize(("platform", "text", "fits"), GATE)
def test_the_gate(platform: str, text: str, fits: bool) -> None:
    assert CUES.fits(platform, text, CUES.named(text)) is fits


def _rule(product: str, service: str = "") -> ImportedRule:
    return ImportedRule(id="SIGMA_X", title="t", description="", techniques=("T1539",), phase="exploitation",
                        confidence="Medium", queries={"kql": "x"}, product=product, service=service,
                        platform=CUES.platform_of(product, service))


@pytest.mark.parametrize(("platform", "text", "fits"), GATE)
def test_imported_rules_and_library_use_cases_share_the_gate(platform: str, text: str, fits: bool) -> None:
    ranked = rank_imported((_rule(platform),), {"T1539"}, text, CUES.named(text), CUES)
    assert bool(ranked) is fits


@pytest.mark.parametrize(
    ("product", "service", "platform"),
    [("azure", "signinlogs", "azure"), ("", "signinlogs", "azure"), ("", "cloudtrail", "aws"),
     ("", "security", "windows"), ("", "auditd", "linux"), ("", "gcp.audit", "gcp"), ("", "zeek", "zeek"),
     ("", "", "")],
)
def test_service_platform_comes_from_the_table(product: str, service: str, platform: str) -> None:
    assert CUES.platform_of(product, service) == platform


def _inf(*ids: str) -> Inference:
    return Inference(observed=tuple(TechniqueHit(id=i, name=i) for i in ids))


@pytest.mark.parametrize(
    ("text", "techniques", "cloud"),
    [
        # the demo's HTTPS C2 and npm posts: no Microsoft cloud named, no Entra ID sign-in hunt
        ("The beacon stole the browser's session cookie over HTTPS.", ("T1539",), []),
        ("An adversary-in-the-middle step rewrote the npm tokens.", (), []),
        ("The AiTM kit stole session tokens for Entra ID accounts.", ("T1539",), ["UC_CLOUD_SESSION_TOKEN_REPLAY"]),
        ("The AiTM kit stole session tokens for Microsoft 365 accounts.", ("T1539",),
         ["UC_CLOUD_SESSION_TOKEN_REPLAY"]),
        # the OAuth post: Entra ID named, the mailbox hunt of the same tenant fits
        ("After the consent in Entra ID the app read mail and set up email collection.", ("T1564.008",),
         ["UC_MAILBOX_FORWARDING_RULE"]),
        ("The group set up email collection on the server.", ("T1564.008",), []),
        # e-mail is any gateway's mail flow (CIM Email), not one cloud: no platform, fits every report
        ("A spearphishing attachment carried an ISO.", ("T1566.001",), ["UC_PHISHING_RISKY_ATTACHMENT"]),
    ],
)
def test_library_cloud_use_cases_fire_only_where_their_platform_is_named(
    text: str, techniques: tuple[str, ...], cloud: list[str]
) -> None:
    lib = HuntLibrary.load(imports=NONE)
    clouds = {uc.id for uc in lib.usecases if uc.product in CUES.clouds or uc.id == "UC_PHISHING_RISKY_ATTACHMENT"}
    fired = [h.use_case for h in lib.hunts_for(text, (), _inf(*techniques)) if h.use_case in clouds]
    assert fired == cloud


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("windows: [powershell]\n", 1, "platform 'windows' must be a mapping with kind and words"),
        ("windows: {kind: os, words: [x]}\n", 1, "platform 'windows': kind must be one of host, cloud"),
        ("windows: {kind: host, words: [x], colour: red}\n", 1, "platform 'windows': unknown key(s) colour"),
        ("windows: {kind: host}\n", 1, "platform 'windows' words must be a list of words"),
        ("aws: {kind: cloud, words: [aws], services: [cloudtrail]}\nx: {kind: cloud, words: [x], services: [cloudtrail]}\n",
         2, "service 'cloudtrail' belongs to aws and x"),
        ("azure: {kind: cloud, words: [azure], with: [m365]}\n", 1, "platform 'azure': 'with' names 'm365', not another platform"),
    ],
)
def test_the_table_is_strict(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "platforms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_platform_cues(path)
    assert err.value.where == f"{path}:{line}"
    assert message in str(err.value)


def test_cloud_answers_kept_for_the_last_text_are_that_texts_and_that_tables() -> None:
    # cloud_named keeps its answers for the text last asked about (200 questions per real report, 40 distinct)
    a, b = "Keys were used against AWS from a VPS.", "Sign-ins to Entra ID from the stolen session cookie."
    want = [True, False, False, True, True, False, True, False]
    texts = (a, b, a, "".join(["Keys were used against AWS", " from a VPS."]))  # the last: equal, another object
    for cues in (CUES, load_platform_cues(), CUES):
        assert [cues.cloud_named(p, t) for t in texts for p in ("aws", "azure")] == want
