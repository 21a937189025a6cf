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
from typing import Any

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


@st.composite
def _typed_value(draw: st.DrawFn) -> tuple[IndicatorType, str]:
    t = draw(st.sampled_from(list(IndicatorType)))
    if t in _HASHES and draw(st.booleans()):  # what the extractor types as a hash; other paths may not
        return t, draw(st.text("0123456789abcdef", min_size=_HASHES[t], max_size=_HASHES[t]))
    return t, "ZQX" + draw(HOSTILE)


@SETTINGS
@given(title=HOSTILE, source=HOSTILE, summary=HOSTILE, url=st.one_of(HOSTILE, MARKED.map("https://x.example/".__add__)), values=st.lists(_typed_value(), max_size=6))
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
        data = json.loads(out)
        for link in _link_fields(fmt, data):  # only web URLs in the fields consumers make clickable
            assert re.match(r"https?://[^\s/]", link) and not re.search(r"[\s\x00-\x1f\"<>`]", link), link
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


def _link_fields(fmt: str, data: dict[str, Any]) -> list[str]:
    if fmt == "stix":
        return [r["url"] for o in data["objects"] for r in o.get("external_references", []) if "url" in r]
    if fmt == "misp":
        events = [e["Event"] for e in data.get("response", [data])]
        return [a["value"] for e in events for a in e.get("Attribute", []) if a["type"] == "link"]
    if fmt == "navigator":
        return [link["url"] for t in data["techniques"] for link in t.get("links", [])]
    return []


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
@given(HOSTILE)
def test_extracted_hostile_text_renders_everywhere(text: str) -> None:
    base = apt_profile_v2()
    indicators = extract(refang(text) + " " + text, all=True)
    profile = replace(base, indicators=indicators, summary=text)
    for fmt in RENDERERS:
        _well_formed(fmt, get_renderer(fmt)([profile]), profile)



@pytest.mark.parametrize("title", ["first\rsecond", "first\nsecond", "first\r\nsecond", "a\r\rb", "x\r"])
def test_csv_keeps_a_line_break_inside_its_cell(title: str) -> None:
    out = get_renderer("csv")([replace(apt_profile_v2(), title=title)])
    assert out.endswith("\n") and not out.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 1 + len(apt_profile_v2().indicators)
    assert all(len(r) == len(rows[0]) for r in rows)
    assert {r[rows[0].index("title")] for r in rows[1:]} == {title}



def test_stix_survives_a_mistyped_hash() -> None:
    good = _ind(IndicatorType.SHA256, "ab" * 32)
    bad = _ind(IndicatorType.MD5, "not-a-hash")
    data = json.loads(get_renderer("stix")([replace(apt_profile_v2(), indicators=(bad, good))]))
    patterns = [o["pattern"] for o in data["objects"] if o["type"] == "indicator"]
    assert patterns == [f"[file:hashes.'SHA-256' = '{'ab' * 32}']"]
    (note,) = [o for o in data["objects"] if o["type"] == "note"]
    assert "not-a-hash" in note["content"] and "MD5" in note["content"]
    (report,) = [o for o in data["objects"] if o["type"] == "report"]
    assert note["object_refs"] == [report["id"]]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>x</script>", "file:///etc/passwd",
                                 "not a url", "http://", "https://[zz]/"])
def test_link_fields_take_only_web_urls(url: str) -> None:
    profile = replace(apt_profile_v2(), url=url)
    stix = json.loads(get_renderer("stix")([profile]))
    (report,) = [o for o in stix["objects"] if o["type"] == "report"]
    assert "external_references" not in report
    (note,) = [o for o in stix["objects"] if o["type"] == "note"]
    assert "only http(s) links" in note["content"] and url not in note["content"]
    misp = json.loads(get_renderer("misp")([profile]))["Event"]
    assert not [a for a in misp["Attribute"] if a["type"] == "link"]
    assert [a for a in misp["Attribute"] if a["type"] == "comment" and "left out" in a["value"]]
    assert url not in json.dumps(json.loads(get_renderer("navigator")([profile]))["techniques"])


def test_web_urls_are_escaped_into_uris() -> None:
    profile = replace(apt_profile_v2(), url="https://x.example/a b/\"q\"?<x>#1#2")
    stix = json.loads(get_renderer("stix")([profile]))
    (report,) = [o for o in stix["objects"] if o["type"] == "report"]
    assert report["external_references"][0]["url"] == "https://x.example/a%20b/%22q%22?%3Cx%3E#1%232"
    assert not [o for o in stix["objects"] if o["type"] == "note"]
