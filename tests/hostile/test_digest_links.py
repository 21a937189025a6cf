"""The Markdown digest: only http(s) links become clickable (checked with a CommonMark renderer); bidi shown."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from markdown_it import MarkdownIt

from huntfeed.render import digest
from huntfeed.render.markdown import md_text
from tests.fixtures_profiles import NOW, all_profiles

pytestmark = pytest.mark.hostile

HOSTILE_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(2)", "data:text/html,<script>alert(3)</script>",
                "vbscript:msgbox(4)", "file:///etc/passwd", " javascript:alert(5)", "java\tscript:alert(6)",
                "https://ok.example/a>b<javascript:alert(7)>"]


def _hrefs(markdown: str) -> list[str]:
    html = MarkdownIt("commonmark").render(markdown)
    return re.findall(r'href="([^"]*)"', html)


def test_only_web_links_are_clickable_in_the_markdown_digest() -> None:
    base = all_profiles()[0]
    profiles = [replace(base, id=f"p{i}", url=u, title=f"T{i}") for i, u in enumerate(HOSTILE_URLS)]
    text = digest.render(profiles, NOW.date(), "md")
    hrefs = _hrefs(text)
    assert hrefs, text  # the one real web link is still a link
    assert all(h.lower().startswith(("http://", "https://")) for h in hrefs), hrefs


def test_bidi_controls_are_shown_escaped() -> None:
    base = all_profiles()[0]
    title = "invoice\u202egpj.exe \u2066x\u2069"
    text = digest.render([replace(base, title=title, source="Src\u200f")], NOW.date(), "md")
    assert not re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", text)
    assert "(U+202E)" in text and "(U+2066)" in text and "(U+200F)" in text
    assert md_text(title) == "invoice(U+202E)gpj.exe (U+2066)x(U+2069)"


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+1", "'=1+1"),
    ("a;=HYPERLINK(\"http://x\")", "a;'=HYPERLINK(\"http://x\")"),
    ("x; +cmd|' /C calc'!A0", "x; '+cmd|' /C calc'!A0"),
    ("x,@SUM(1)", "x,'@SUM(1)"),
    ("x|-2+3", "x|'-2+3"),
    ("x\t=1", "x\t'=1"),
    ("evil[.]example", "evil[.]example"),
    ("a-b;c", "a-b;c"),
])
def test_csv_cells_are_neutralised_after_any_separator(cell: str, safe: str) -> None:
    from huntfeed.render.csv_out import neutralise

    assert neutralise(cell) == safe
    # Whatever a spreadsheet takes as the separator, no piece of the cell starts a formula.
    for sep in ";,|\t":
        assert not any(part.lstrip().startswith(("=", "+", "-", "@")) for part in safe.split(sep)[1:]), sep


def test_idn_homoglyph_domains_are_swept_in_punycode_too() -> None:
    from huntfeed.hunts.sweeps import build_sweeps
    from huntfeed.model import Indicator, IndicatorType

    homoglyph = "\u0430pple-login.com"  # Cyrillic a
    (hunt,) = [h for h in build_sweeps((Indicator(IndicatorType.DOMAIN, homoglyph, homoglyph, 0, 10),))
               if "domain" in h.title.lower()]
    for dialect in ("spl", "kql"):
        query = hunt.queries[dialect]
        assert "xn--pple-login-yqi.com" in query and homoglyph in query, dialect
