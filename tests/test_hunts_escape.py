"""Quoting by one regex pass gives what the per-character loops gave, for every code point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huntfeed.errors import QueryError
from huntfeed.hunts.escape import kql_quote, spl_quote

_KQL = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def kql_reference(value: str) -> str:
    out = []
    for ch in value:
        if ch in _KQL:
            out.append(_KQL[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def spl_reference(value: str) -> str:
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\r\n\t" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(" ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def test_every_code_point_alone_and_between_letters() -> None:
    for cp in range(0x110000):
        ch = chr(cp)
        if ch in "`*":
            continue
        for value in (ch, f"a{ch}b"):
            assert kql_quote(value) == kql_reference(value), hex(cp)
            assert spl_quote(value) == spl_reference(value), hex(cp)


@pytest.mark.parametrize(
    ("value", "kql", "spl"),
    [
        ("evil.example.com", '"evil.example.com"', '"evil.example.com"'),
        ('C:\\Users\\"x"', '"C:\\\\Users\\\\\\"x\\""', '"C:\\\\Users\\\\\\"x\\""'),
        ("a\r\nb\tc\x00d\x7fe", '"a\\r\\nb\\tc\\u0000d\\u007fe"', '"a  b c d e"'),
        ("\ud800x", '"\\ud800x"', '"\ud800x"'),
        ("", '""', '""'),
    ],
)
def test_quoting_table(value: str, kql: str, spl: str) -> None:
    assert kql_quote(value) == kql and spl_quote(value) == spl


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_characters="`*"), max_size=40))
def test_random_strings(value: str) -> None:
    assert kql_quote(value) == kql_reference(value) and spl_quote(value) == spl_reference(value)


def test_spl_still_refuses_backticks_and_bare_wildcards() -> None:
    with pytest.raises(QueryError):
        spl_quote("a`b")
    with pytest.raises(QueryError):
        spl_quote("a*b")
    assert spl_quote("a*b", wildcard=True) == '"a*b"'
