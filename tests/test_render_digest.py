"""Daily digest in Markdown and HTML: grouped by severity, top techniques, feed text escaped."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

from huntfeed.render import digest
from tests.fixtures_profiles import NOW, all_profiles


def test_markdown_groups_by_severity_and_ranks_techniques() -> None:
    text = digest.render(all_profiles(), NOW.date(), "md")
    assert text.startswith("# huntfeed digest for 2026-11-25")
    assert text.index("## CRITICAL (1)") < text.index("## HIGH (1)")
    assert "Quarterly security newsletter" not in text  # analysed another day
    top = text[text.index("## Top techniques"):text.index("## CRITICAL")]
    assert top.index("T1059.001") < top.index("T1041")
    assert "| T1059.001 | PowerShell | 2 |" in top
    assert "<script>" not in text  # feed markup escaped


def test_html_is_escaped_and_well_formed() -> None:
    text = digest.render(all_profiles(), NOW.date(), "html")
    assert "<script>" not in text and "&lt;script&gt;" in text
    tags: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            tags.append(tag)

    Collect().feed(text)
    assert "script" not in tags and tags.count("h2") == 3  # top techniques + CRITICAL + HIGH


def test_empty_day() -> None:
    text = digest.render(all_profiles(), date(2020, 1, 1), "md")
    assert "0 profile(s) analysed" in text and "No profiles were analysed" in text


def test_reasons_are_shortened_to_headline_and_points() -> None:
    from dataclasses import replace

    p = all_profiles()[0]
    p = replace(p, score=replace(p.score, reasons=(
        "2 use cases fired: UC_A (A, High confidence); UC_B (B, Medium confidence) (+2).",
        "1 CVE named; in CISA's Known Exploited Vulnerabilities catalog: CVE-2024-3400 (+4).",
        "Source reliability A (completely reliable): +1.",
        "Source reliability C (fairly reliable): +0.",
        "Total 7.5 points: HIGH (MED from 3, HIGH from 6, CRITICAL from 10).",
    )))
    assert digest.brief_reasons(p) == (
        "2 use cases fired (+2) · 1 CVE named; in CISA's Known Exploited Vulnerabilities catalog (+4) · "
        "Source reliability A (completely reliable) (+1) · Source reliability C (fairly reliable) (+0) · "
        "Total 7.5 points"
    )
