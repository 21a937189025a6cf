"""The feedback buttons in a real browser: the analyst's judgement posted with the server's token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TACTICS, LiveServer

pytestmark = [pytest.mark.browser]
TOKEN = "browser-test-token"


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[tuple[LiveServer, object]]:
    from huntfeed.web.app import create_app
    from tests.fixtures_profiles import NOW, make_store

    store = make_store(tmp_path / "fb.db")
    app = create_app(store, tactic_order=lambda: TACTICS, clock=lambda: NOW + timedelta(hours=1), token=TOKEN)
    with LiveServer(app) as server:
        yield server, store


def test_noise_and_not_in_report_buttons(browser, token_server) -> None:  # type: ignore[no-untyped-def]
    server, store = token_server
    context = browser.new_context(base_url=server.base)
    page = context.new_page()
    answers = iter(["our own scanner", TOKEN, "quoted from an old report"])  # reason, token; later the token is kept
    page.on("dialog", lambda dialog: dialog.accept(next(answers)))
    page.goto("/profiles/a1b2c3d4e5f60718")
    row = page.locator("td.ioc", has_text="203[.]0[.]113[.]45").first.locator("xpath=..")
    row.locator("button.feedback").click()
    expect(row.locator("button.feedback")).to_have_text("Marked")
    tech = page.locator("ul.techs li", has_text="T1059.001").first.locator("button.feedback")
    tech.click()
    expect(tech).to_have_text("Marked")
    rules = [(r.kind, r.value, r.scope, r.target, r.reason) for r in store.list_feedback()]
    assert rules == [("false-positive", "203.0.113.45", "global", "", "our own scanner"),
                     ("not-in-report", "T1059.001", "profile", "a1b2c3d4e5f60718", "quoted from an old report")]
    context.close()
