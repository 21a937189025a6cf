"""The web UI in a real browser: list, filter, profile, copy, heatmap, and feed scripts never run."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]


def test_list_filter_and_open_profile(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    rows = page.locator("table.profiles tbody tr")
    assert rows.count() == 3
    page.select_option("select[name=severity]", "CRITICAL")  # a select change submits the form
    page.wait_for_url(re.compile(r"severity=CRITICAL"))
    assert page.locator("table.profiles tbody tr").count() == 1
    page.goto("/")
    page.fill("input[name=q]", "APT29")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"q=APT29"))
    assert page.locator("table.profiles tbody tr").count() == 1
    page.click("a.ptitle")
    page.wait_for_url(re.compile(r"/profiles/a1b2c3d4e5f60718$"))
    assert page.locator("#profile-title").inner_text().startswith("APT29 phishing wave")
    assert page.locator("#history li").count() >= 2


def test_copy_query_and_refanged_indicator(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/profiles/a1b2c3d4e5f60718")
    button = page.locator("button.copy-query").first
    target = button.get_attribute("data-copy-target")
    expected = page.locator(f"#{target}").inner_text()
    button.click()
    # Locator assertions poll without eval, which the page's CSP forbids.
    expect(page.locator("body")).to_have_attribute("data-last-copied", re.compile(r"."))
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert "tstats" in expected or "DeviceProcessEvents" in expected or "title:" in expected
    assert page.locator("#copy-status").inner_text().startswith("Copied")

    cell = page.locator("td.ioc", has_text="203[.]0[.]113[.]45").first
    assert cell.inner_text() == "203[.]0[.]113[.]45"
    cell.locator("xpath=..").locator("button.copy-ioc").click()
    expect(page.locator("body")).to_have_attribute("data-last-copied", "203.0.113.45")
    assert page.evaluate("navigator.clipboard.readText()") == "203.0.113.45"


def test_heatmap(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/heatmap?period=all")
    headers = page.locator(".tactic h2")
    assert headers.count() == 14
    assert headers.first.inner_text().startswith("Reconnaissance")
    hot = page.locator(".cell.heat-5")
    assert hot.count() >= 1 and "T1059.001" in hot.first.inner_text()
    # The hottest cell sits in the execution column, and clicking it lists the citing profiles.
    assert page.locator('section[data-tactic="execution"] .cell').first.inner_text().startswith("T1059.001")
    hot.first.click()
    page.wait_for_url(re.compile(r"technique=T1059.001"))
    assert page.locator("table.profiles tbody tr").count() == 2


@pytest.mark.hostile
def test_script_from_feed_content_never_runs(page) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/profiles/a1b2c3d4e5f60718", "/feeds", "/new", "/heatmap"):
        page.goto(path)
        assert page.evaluate("window.__pwned") is None, path
    page.goto("/profiles/a1b2c3d4e5f60718")
    # The markup is shown as text, not parsed.
    assert "<script>window.__pwned=1</script>" in page.locator("#profile-title").inner_text()
    assert page.locator("script:not([src])").count() == 0
    # Even an injected inline script is refused by the Content-Security-Policy.
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__pwned = 2'; document.body.appendChild(s); }""")
    assert page.evaluate("window.__pwned") is None
    assert not [e for e in page.errors if "__pwned" in e and "Refused" not in e and "Content Security" not in e]


def test_feeds_and_new_pages(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/feeds")
    assert page.locator("table.feeds tbody tr").count() == 2
    assert page.locator(".status-bad").count() == 1
    page.goto("/new")
    assert page.locator("h1").inner_text().startswith("New since your last visit")
