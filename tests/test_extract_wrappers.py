"""Generalisation grids for the two classes a held-out peer suite missed most (issue 17, class 5):
defanged e-mail addresses and IPv4 addresses in unusual wrappers. Each grid crosses every
defang style with every wrapper a report, table, JSON blob or Markdown page puts around a value,
so a rule that holds for one spelling but not its neighbours fails here. Values are found with
``all=True`` (fidelity is judged elsewhere: tests/test_extract_real.py)."""

from __future__ import annotations

import itertools

import pytest

from huntfeed.extract import extract
from huntfeed.model import IndicatorType

T = IndicatorType


def _values(text: str, kind: IndicatorType) -> set[str]:
    return {i.value for i in extract(text, all=True) if i.type is kind}


# --- e-mail: how the '@' is hidden x how the domain's dots are hidden x what is around it ---
AT_FORMS = (
    "@", "[@]", "(@)", "{@}", "<@>", "[at]", "(at)", "{at}", "<at>", "[AT]", "(AT)", " [at] ", " (at) ",
    " [ at ] ", " AT ", "\\@", "\uff20", " @ ",
)  # fmt: skip
DOT_FORMS = (".", "[.]", "(.)", "{.}", "<.>", "[dot]", "(dot)", "{dot}", "[DOT]", " [.] ", " dot ", " DOT ",
             "\\.", "\uff0e")  # fmt: skip
MAIL_WRAPPERS = (
    "{}", "<{}>", "({})", "[{}]", '"{}"', "'{}'", "`{}`", "Sender: {}.", "{}, then", "{};", "| {} | sender |",
    '{{"from": "{}"}}', "mailto:{}", "**{}**", "From:\t{}\n",
)  # fmt: skip
# A bare lower-case " at " before a real dot is prose ("hosted at corp.com"), never an address:
# the spelled form is read only with a spelled dot.
_PROSE_AT = {(" at ", "."), (" at ", "\\."), (" at ", "\uff0e")}


def _mail(at: str, dot: str) -> str:
    return f"billing.ops{at}secure-paydesk{dot}co{dot}uk"


@pytest.mark.parametrize(
    ("at", "dot"), [(a, d) for a, d in itertools.product(AT_FORMS, DOT_FORMS) if (a, d) not in _PROSE_AT]
)
def test_defanged_email_styles(at: str, dot: str) -> None:
    assert _values(f"Sender: {_mail(at, dot)} (phishing)", T.EMAIL) == {"billing.ops@secure-paydesk.co.uk"}


@pytest.mark.parametrize("wrap", MAIL_WRAPPERS)
@pytest.mark.parametrize(("at", "dot"), [("@", "."), ("[@]", "[.]"), ("(at)", "(dot)"), (" at ", " dot ")])
def test_email_in_wrappers(wrap: str, at: str, dot: str) -> None:
    assert "billing.ops@secure-paydesk.co.uk" in _values(wrap.format(_mail(at, dot)), T.EMAIL)


@pytest.mark.parametrize(
    "text",
    [
        "The payload was hosted at secure-paydesk.co.uk for a week.",
        "Read more at the-record.media today.",
        "the dot com bubble burst at the same time",
        "Look at files dot txt",  # no real TLD
    ],
)
def test_prose_at_is_no_address(text: str) -> None:
    assert _values(text, T.EMAIL) == set()


# --- IPv4: how the dots are hidden x what is around the address ---
IP_DOTS = (".", "[.]", "(.)", "{.}", "<.>", "[dot]", "(dot)", "{dot}", "[DOT]", "(DOT)", " dot ", " DOT ",
           "\\.", "\\[.\\]", " [.] ", "[,]", "\uff0e", "\u3002", "\uff61")  # fmt: skip
IP_WRAPPERS = (
    "{}", "[{}]", "({})", "{{{}}}", "<{}>", '"{}"', "'{}'", "`{}`", "\u201c{}\u201d", "{}:443", "{}/24",
    "[{}]:443", "{}.", "{},", "{};", "({}).", "| {} | C2 |", '{{"ip": "{}", "port": 443}}', "http://{}/x",
    "hxxp://{}:8080/x", "{}:443/tcp", "ip={}&port=1", "**{}**", "*{}*", "_{}_", "{}\t443", "src {} dst",
    "- {}\n", "{}\n", "<td>{}</td>", "IP:{}",
)  # fmt: skip
IP = ("185", "220", "101", "47")


@pytest.mark.parametrize("dot", IP_DOTS)
def test_defanged_ipv4_styles(dot: str) -> None:
    assert _values(f"C2 server {dot.join(IP)} (active)", T.IPV4) == {"185.220.101.47"}


@pytest.mark.parametrize("dot", [".", "[.]", "(dot)"])
@pytest.mark.parametrize("wrap", IP_WRAPPERS)
def test_ipv4_in_wrappers(wrap: str, dot: str) -> None:
    assert _values(wrap.format(dot.join(IP)), T.IPV4) == {"185.220.101.47"}


def test_ipv4_only_last_dot_defanged() -> None:
    assert _values("185.220.101[.]47 and 185[.]220.101.48", T.IPV4) == {"185.220.101.47", "185.220.101.48"}


@pytest.mark.parametrize(
    "text",
    [
        "version 185.220.101.47.3",  # five parts: no address
        "x185.220.101.47",
        "185.220.101.470",
        "1 dot 2 dot 3",  # three parts
        "OID 1.3.6.1.4.1.311",
    ],
)
def test_not_an_ipv4(text: str) -> None:
    assert "185.220.101.47" not in _values(text, T.IPV4) and _values(text, T.IPV4) <= {"1.3.6.1", "6.1.4.1"}
