"""Hypothesis over what strangers' text reaches: renderers and query generators.

Values carry a marker (``ZQX``) next to whatever hypothesis draws; a renderer or query that lets a
value out of its quoting shows the marker outside a literal. No exception may escape, and each
output must still parse as its format. (The extractor and refanger have their own properties in
test_extract_props.py; here they only feed the renderers with what they make of hostile text.)
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huntfeed.extract import extract, refang
from huntfeed.hunts.spl_lint import lint_spl
from huntfeed.hunts.sweeps import build_sweeps
from huntfeed.model import Change, Fidelity, Indicator, IndicatorType, Profile
from huntfeed.render import RENDERERS, get_renderer
from huntfeed.render.stix import pattern_for
from tests.fixtures_profiles import apt_profile_v2

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(300)]

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# The characters that break formats: quotes, escapes, brackets, pipes, newlines, formula starts,
# Markdown and HTML openers, STIX pattern syntax, NUL and bidi overrides.
_NASTY = st.sampled_from(list("\"'\\`|[]{}()<>=+-@;\n\r\t*%#_~!&$:,/") + ["\x00", "\u202e", "]'", "' OR '",
                                                                           "</script>", "``` ", "=cmd|'"])
HOSTILE = st.lists(st.one_of(_NASTY, st.text(max_size=6)), max_size=25).map("".join)
MARKED = HOSTILE.map(lambda s: f"ZQX{s}")

_CODE = re.compile(r"(?ms)^(`{3,})[^\n]*\n.*?^\1[ \t]*$|(`+)(?:(?!\2).)+?\2")
_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
SWEEP_TYPES = (IndicatorType.DOMAIN, IndicatorType.URL, IndicatorType.EMAIL, IndicatorType.IPV4,
               IndicatorType.SHA256)


def _ind(t: IndicatorType, value: str) -> Indicator:
    return Indicator(type=t, value=value, raw=value, start=0, end=len(value), fidelity=Fidelity.HIGH)


def _outside_literals(query: str) -> str:
    return _LITERAL.sub("LIT", query)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(SWEEP_TYPES), MARKED), min_size=1, max_size=8))
def test_sweep_queries_keep_every_value_inside_a_literal(values: list[tuple[IndicatorType, str]]) -> None:
    hunts = build_sweeps(tuple(_ind(t, v) for t, v in values))
    for hunt in hunts:
        for dialect, query in hunt.queries.items():
            if dialect in ("spl", "spl_raw", "kql", "sentinel"):
                bare = _outside_literals(query)
                assert "ZQX" not in bare, f"{dialect} value escaped its literal: {query}"
                assert '"' not in bare
            if dialect in ("spl", "spl_raw"):
                assert not lint_spl(query), (query, lint_spl(query))


_HASHES = {IndicatorType.MD5: 32, IndicatorType.SHA1: 40, IndicatorType.SHA256: 64, IndicatorType.SHA512: 128}
# A lone carriage return breaks csv_out's rows (reported; see the xfail below), so the fuzz
# draws text fields without one; every other character stays in play.
NO_CR = HOSTILE.map(lambda s: s.replace("\r", "\n"))


@st.composite
def _typed_value(draw: st.DrawFn) -> tuple[IndicatorType, str]:
    t = draw(st.sampled_from(list(IndicatorType)))
    if t in _HASHES:  # the extractor only ever types hex of the right length as a hash
        return t, draw(st.text("0123456789abcdef", min_size=_HASHES[t], max_size=_HASHES[t]))
    return t, "ZQX" + draw(NO_CR)


@SETTINGS
@given(title=NO_CR, source=NO_CR, summary=NO_CR, url=NO_CR, values=st.lists(_typed_value(), max_size=6))
def test_every_renderer_survives_hostile_profiles(title: str, source: str, summary: str, url: str,
                                                  values: list[tuple[IndicatorType, str]]) -> None:
    base = apt_profile_v2()
    profile = replace(base, title=title, source=source, summary=summary, url=url,
                      indicators=base.indicators + tuple(_ind(t, v) for t, v in values),
                      changes=(Change("title", title),))
    for fmt in RENDERERS:
        out = get_renderer(fmt)([profile])
        _well_formed(fmt, out, profile)


def _well_formed(fmt: str, out: str, profile: Profile) -> None:
    assert isinstance(out, str)
    if fmt in ("json", "stix", "misp", "navigator"):
        json.loads(out)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows and all(len(r) == len(rows[0]) for r in rows)
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"formula cell {cell!r}"
    elif fmt == "md":
        assert "\x00" not in out and "\u202e" not in out
        prose = _CODE.sub("CODE", out)  # inside code spans and fences markup is inert
        assert not re.search(r"(?<!\\)<(script|img|svg|iframe)", prose), prose
        assert not re.search(r"\]\((?i:javascript|data|vbscript):", out)


@SETTINGS
@given(MARKED)
def test_stix_patterns_quote_values(value: str) -> None:
    for t in (IndicatorType.DOMAIN, IndicatorType.URL, IndicatorType.IPV4, IndicatorType.SHA256,
              IndicatorType.EMAIL, IndicatorType.FILENAME):
        pattern = pattern_for(_ind(t, value))
        if pattern is None:
            continue
        bare = re.sub(r"'(?:[^'\\]|\\.)*'", "LIT", pattern)
        assert "ZQX" not in bare, pattern


@SETTINGS
@given(NO_CR)
def test_extracted_hostile_text_renders_everywhere(text: str) -> None:
    base = apt_profile_v2()
    indicators = extract(refang(text) + " " + text, all=True)
    profile = replace(base, indicators=indicators, summary=text)
    for fmt in RENDERERS:
        _well_formed(fmt, get_renderer(fmt)([profile]), profile)


@pytest.mark.xfail(strict=True, reason="reported to outputs: a lone CR in a field is written unquoted and splits the row")
def test_csv_keeps_a_carriage_return_inside_its_cell() -> None:
    out = get_renderer("csv")([replace(apt_profile_v2(), title="first\rsecond")])
    rows = list(csv.reader(io.StringIO(out)))
    assert all(len(r) == len(rows[0]) for r in rows)


@pytest.mark.xfail(strict=True, reason="reported to outputs: stix2 raises InvalidValueError for a non-hex hash value")
def test_stix_survives_a_mistyped_hash() -> None:
    bad = _ind(IndicatorType.MD5, "not-a-hash")
    json.loads(get_renderer("stix")([replace(apt_profile_v2(), indicators=(bad,))]))
