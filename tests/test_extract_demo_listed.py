"""The demo corpus read as a new user reads it (issue 17, class 6): every value a demo article
lists in its IOC table is high fidelity, and the values its prose only mentions are not, or are
cut where the prose ends. Each row names the class of error it guards; the pages are the real
demo HTML through the same page-to-text step the pipeline uses."""

from __future__ import annotations

from functools import cache

import pytest

from huntfeed.extract import extract
from huntfeed.feeds.article import html_to_text
from huntfeed.model import Fidelity, Indicator, IndicatorType
from huntfeed.paths import package_data

T = IndicatorType
HIGH, LOW = Fidelity.HIGH, Fidelity.LOW


@cache
def _found(page: str) -> dict[tuple[IndicatorType, str], Indicator]:
    path = package_data("demo", "update", "posts", page)  # the full write-up where a stub came first
    if not path.exists():
        path = package_data("demo", "site", "posts", page)
    text = html_to_text(path.read_text(encoding="utf-8"), "https://demo.invalid/posts/" + page)
    return {(i.type, i.value): i for i in extract(text, all=True)}


# (class, page, type, value, fidelity)
LISTED = [
    ("path-in-ioc-table", "halden-logistics-wiper.html", T.FILEPATH, r"C:\Windows\Help\Corporate\svcupd.exe", HIGH),
    ("app-id-guid", "oauth-consent-token-theft.html", T.GUID, "6f1d8c4e-2b7a-4e39-9a55-1c0e7b3d9f21", HIGH),
    ("app-id-guid", "oauth-consent-token-theft.html", T.GUID, "b83a0f57-91d2-4c6e-8f1b-5e2a7c4d0e98", HIGH),
    ("android-package", "quillfang-android-banking-trojan.html", T.PACKAGE, "com.parceltrack.delivery.app", HIGH),
    ("android-package", "quillfang-android-banking-trojan.html", T.PACKAGE, "com.system.update.service", HIGH),
    ("prose-bracket-cut", "hollowgrain-ransomware-intrusion.html", T.FILEPATH, r"C:\Users\Public\Music\ns.exe", LOW),
    ("spaced-folder", "corvane-filegate-exploitation.html", T.FILEPATH,
     r"C:\Program Files\Corvane\FileGate\webapp\assets\css\theme-dark.aspx", LOW),
    ("rundll32-entry-point", "lotl-state-actor-advisory.html", T.FILEPATH, r"C:\Windows\Temp\msvcp.dll", LOW),
    ("registry-key-before-prose", "lsass-credential-dumping.html", T.REGISTRY, r"HKLM\SAM", LOW),
    ("ua-product-version", "lanternbeacon-https-c2.html", T.IPV4, "129.0.0.0", LOW),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "page", "kind", "value", "fidelity"), LISTED, ids=[r[0] for r in LISTED])
def test_demo_values(cls: str, page: str, kind: IndicatorType, value: str, fidelity: Fidelity) -> None:
    ind = _found(page).get((kind, value))
    assert ind is not None, sorted(v for (k, v) in _found(page) if k is kind)
    assert ind.fidelity is fidelity, ind.reason


# Values that are not values at all: a folder cut at its space, words refanged from "or .jsp",
# a Graph permission, a key running into the prose, a path keeping the prose's bracket.
NOT_VALUES = [
    ("corvane-filegate-exploitation.html", r"C:\Program"),
    ("corvane-filegate-exploitation.html", "for.aspx"),
    ("corvane-filegate-exploitation.html", "or.jsp"),
    ("oauth-consent-token-theft.html", "mail.read"),
    ("hollowgrain-ransomware-intrusion.html", r"C:\Users\Public\Music\ns.exe)"),
    ("lotl-state-actor-advisory.html", r"HKLM\SYSTEM\CurrentControlSet\Services\PortProxy\v4tov4\tcp)"),
    ("lotl-state-actor-advisory.html", r"C:\Windows\Temp\msvcp.dll,ServiceMain"),
    ("lsass-credential-dumping.html", r"HKLM\SAM C:\Windows\Temp\sam.save and reg.exe save HKLM\SECURITY"),
]


@pytest.mark.parametrize(("page", "value"), NOT_VALUES)
def test_demo_non_values(page: str, value: str) -> None:
    hits = [i for (_, v), i in _found(page).items() if v == value or v.startswith(value + " ")]
    assert all(i.fidelity is LOW for i in hits) and not any(i.value == value and i.type is not T.DOMAIN for i in hits)
