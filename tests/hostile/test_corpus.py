"""The hostile corpus through a real run: every case recorded, every other item processed.

One run (module fixture) polls one feed per feed-level case plus a carrier feed whose items link
to the article-level cases and to good pages; each test then asserts one case. Memory and time
are bounded by the fetcher's caps (4 MB, 3 s deadline) and pytest-timeout, never by a clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from huntfeed.feeds.fetch import Fetcher, FetchSettings, _system_resolver
from huntfeed.model import Issue, Source
from huntfeed.runner import Runner, RunReport
from huntfeed.store import Store, utcnow
from tests.hostile.corpus import (
    ARTICLE_CASES,
    CASES,
    FEED_CASES,
    INTERNAL_NAMES,
    Case,
    Env,
    feed_reply,
    good_page,
    item,
    page_reply,
    rss,
)
from tests.hostile.rawserver import RawServer
from tests.httpserver import LoopbackServer

pytestmark = [pytest.mark.hostile, pytest.mark.integration, pytest.mark.timeout(240),
              pytest.mark.xdist_group("hostile-corpus")]  # one run, one worker

MAX_BYTES = 4 * 1024 * 1024
GOOD = [f"good-{i}" for i in range(3)]


@dataclass
class HostileRun:
    store: Store
    report: RunReport
    issues: list[Issue]
    urls: dict[str, str]
    good_urls: list[str]
    sandbox: Path
    out: Path
    peak_growth_mb: float
    http_hits: list[str]
    db_url: str
    links: dict[str, str]


def _resolve(host: str) -> list[str]:
    return INTERNAL_NAMES.get(host) or _system_resolver(host)


def _pid(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, knowledge: Any) -> Iterator[HostileRun]:
    sandbox = tmp_path_factory.mktemp("hostile-run")
    (sandbox / "cwd").mkdir()
    with LoopbackServer() as http, RawServer() as raw:
        env = Env(http, raw)
        urls = {case.id: case.install(env, f"/c/{case.id}") for case in CASES}
        good_urls = []
        for i in range(len(GOOD)):
            http.routes[f"/good/{i}"] = page_reply(good_page(f"Good report {i}"))
            good_urls.append(http.url(f"/good/{i}"))
        items = "".join(item(c.id, title=f"case {c.id}", link=urls[c.id],
                             summary=f"Feed text for case {c.id}: operators used PowerShell.") for c in ARTICLE_CASES)
        items += "".join(item(gid, title=f"Good {gid}", link=u) for gid, u in zip(GOOD, good_urls, strict=True))
        http.routes["/carrier.xml"] = feed_reply(rss(items, title="Carrier"))
        db_url = f"sqlite:///{sandbox / 'db' / 'hostile.db'}"
        store = Store(db_url)
        for case in FEED_CASES:
            store.add_feed(Source(url=urls[case.id], name=f"[/bold] {case.id} \x1b[2J"))
        store.add_feed(Source(url=http.url("/carrier.xml"), name="carrier"))
        settings = FetchSettings(timeout=1.5, deadline=3, max_bytes=MAX_BYTES,
                                 allow_hosts=frozenset({http.host, raw.host}))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cwd = os.getcwd()
        os.chdir(sandbox / "cwd")
        try:
            with Fetcher(settings, resolve=_resolve) as fetcher:
                report = Runner(store, fetcher, knowledge, sandbox / "out").run()
        finally:
            os.chdir(cwd)
        growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        links = {e.entry.guid: e.entry.link for e in store.entries(http.url("/carrier.xml"),
                                                                     states=("pending", "done", "thin", "failed"))}
        yield HostileRun(store, report, store.list_issues(limit=100_000), urls, good_urls, sandbox, sandbox / "out",
                         growth, [h[0] for h in http.hits], db_url, links)


def _issues_for(run: HostileRun, url: str) -> list[Issue]:
    return [i for i in run.issues if i.where == url]


def test_corpus_has_at_least_40_distinct_cases() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case_is_recorded_and_contained(run: HostileRun, case: Case) -> None:
    url = run.urls[case.id]
    if case.level == "article":
        url = run.links[case.id]  # as the feed parser read it (file:/// comes out as file://)
    mine = _issues_for(run, url)
    if case.expect is not None:
        assert any(re.search(case.expect, i.message) for i in mine), f"{case.id}: no issue matching {case.expect!r}: {mine}"
        for i in mine:
            assert i.stage == case.level, i
    else:
        assert not [i for i in mine if i.stage == case.level and "not well-formed" not in i.message], mine
    if case.level == "article":
        # Nothing lost: the item still became a profile, from the feed's own text if not the page.
        assert run.store.get_profile(_pid(url)) is not None, f"{case.id}: no profile for {url}"
    else:
        state = run.store.feed_state(url)
        assert state is not None and state.last_polled is not None
        if state.last_error:  # a failed poll shows the same specific error in `feeds list`
            assert case.expect and re.search(case.expect, state.last_error), state.last_error
            assert state.error_count == 1 and state.retry_after and state.retry_after > utcnow()
    extra = CHECKS.get(case.id)
    if extra:
        extra(run, url)


def test_good_items_are_processed_in_full(run: HostileRun) -> None:
    for url in run.good_urls:
        profile = run.store.get_profile(_pid(url))
        assert profile is not None and profile.text_source.value == "full-article", url
        assert (run.out / f"{profile.id}.md").is_file() and (run.out / f"{profile.id}.json").is_file()
    assert not [i for i in run.issues if i.where in run.good_urls]


def test_lenient_feeds_still_deliver_their_items(run: HostileRun) -> None:
    for cid in ("xml-malformed", "xml-truncated", "duplicate-guids", "future-dates", "unparsable-dates",
                "charset-lies", "control-chars", "nested-xml", "charrefs-surrogates"):
        done = run.store.entries(run.urls[cid], states=("done", "thin"))
        assert done, f"{cid}: no item processed"


def test_a_100k_item_feed_is_cut_and_paced(run: HostileRun) -> None:
    url = run.urls["items-100k"]
    stored = run.store.entries(url, states=("pending", "done", "thin", "failed"))
    assert len(stored) == 5000
    assert len(run.store.entries(url, states=("done", "thin"))) == 200
    assert any("wait for the next run" in i.message for i in _issues_for(run, url))


def test_nothing_is_written_outside_the_output_folder(run: HostileRun) -> None:
    assert sorted(p.name for p in run.sandbox.iterdir()) == ["cwd", "db", "out"]
    assert list((run.sandbox / "cwd").iterdir()) == []
    names = [p.name for p in run.out.rglob("*")]
    assert names and all(re.fullmatch(r"[0-9a-f]{16}\.(md|json)", n) for n in names), names
    assert {p.name for p in (run.sandbox / "db").iterdir()} <= {"hostile.db", "hostile.db-wal", "hostile.db-shm"}


def test_memory_stays_bounded(run: HostileRun) -> None:
    # Unbounded, the bombs, the 5 GB body and the 100 MB line would each need gigabytes.
    assert run.peak_growth_mb < 1024, run.peak_growth_mb


def test_no_entity_is_ever_fetched(run: HostileRun) -> None:
    assert not [h for h in run.http_hits if h.endswith("/probe")]


def test_every_output_file_is_valid(run: HostileRun) -> None:
    for path in run.out.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    for path in run.out.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\x00" not in text, path


def test_feeds_list_shows_each_failure(run: HostileRun) -> None:
    from huntfeed.cli import cli

    result = CliRunner().invoke(cli, ["feeds", "list", "--db", run.db_url, "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["url"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows[run.urls["status-500"]]["last_error"].endswith("HTTP 500")
    assert rows[run.urls["status-500"]]["retry_after"]
    assert rows[run.urls["gzip-bomb"]]["error_count"] == 1
    table = CliRunner().invoke(cli, ["feeds", "list", "--db", run.db_url])
    assert table.exit_code == 0, table.output  # names like "[/bold]" are not console markup
    assert "\x1b" not in table.output and "[/bold]" in table.output


def test_profiles_list_survives_hostile_titles(run: HostileRun) -> None:
    from huntfeed.cli import cli

    result = CliRunner().invoke(cli, ["profiles", "list", "--db", run.db_url, "--limit", "1000"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output


# ---- checks for cases that must be processed, not refused ------------------------------------------

def _md(run: HostileRun, url: str) -> str:
    return (run.out / f"{_pid(url)}.md").read_text(encoding="utf-8")


def _check_scripts(run: HostileRun, url: str) -> None:
    profile = run.store.get_profile(_pid(url))
    assert profile is not None and profile.text_source.value == "full-article"
    md = _md(run, url)
    for payload in ("head-script", "body-script", "alert('onerror')", "js-link", "alert('svg')", "iframe"):
        assert payload not in md and payload not in profile.summary, payload
    assert not re.search(r"(?<!\\)<(script|img|svg|iframe)", md)


def _check_charset(run: HostileRun, url: str) -> None:
    # Decoded with replacement rather than refused: the page is still the analysed text.
    profile = run.store.get_profile(_pid(url))
    assert profile is not None and profile.text_source.value == "full-article"


def _check_indicators(run: HostileRun, url: str) -> None:
    md = _md(run, url)
    assert not re.search(r"(?<![\\`])\[link\]\(javascript:", md)
    assert not re.search(r"(?<!\\)<img", md)
    json.loads((run.out / f"{_pid(url)}.json").read_text("utf-8"))


def _check_javascript_link(run: HostileRun, url: str) -> None:
    md = _md(run, url)
    assert "<javascript:" not in md and "(not a web link)" in md


def _check_nested(run: HostileRun, url: str) -> None:
    assert run.store.entries(url, states=("done", "thin"))


def _check_future(run: HostileRun, url: str) -> None:
    for e in run.store.entries(url, states=("done", "thin")):
        assert e.entry.published is None or e.entry.published < datetime(2100, 1, 1, tzinfo=e.entry.published.tzinfo)


CHECKS = {
    "page-scripts": _check_scripts,
    "page-charset-lies": _check_charset,
    "page-indicators": _check_indicators,
    "link-javascript": _check_javascript_link,
    "link-data": _check_javascript_link,
    "nested-xml": _check_nested,
    "future-dates": _check_future,
}


# ---- what the run produced, through every renderer and the web UI ---------------------------------

def test_every_renderer_handles_the_hostile_run(run: HostileRun) -> None:
    from huntfeed.render import RENDERERS, get_renderer
    from tests.hostile.test_fuzz import _well_formed

    profiles = run.store.list_profiles(limit=1000)
    crafted = run.store.get_profile(_pid(run.links["page-indicators"]))
    assert crafted is not None and crafted.indicators, "the crafted page yielded indicators to render"
    for fmt in RENDERERS:
        out = get_renderer(fmt)(profiles)
        _well_formed(fmt, out, crafted)


def test_stix_of_the_hostile_run_validates(run: HostileRun) -> None:
    from stix2validator import ValidationOptions, validate_string

    from huntfeed.render import get_renderer

    result = validate_string(get_renderer("stix")(run.store.list_profiles(limit=1000)),
                             ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors][:5]


def test_web_ui_keeps_the_hostile_run_inert(run: HostileRun) -> None:
    from fastapi.testclient import TestClient

    from huntfeed.web.app import create_app

    with TestClient(create_app(run.store, tactic_order=lambda: ["execution"]), base_url="http://127.0.0.1") as client:
        pages = ["/", "/feeds", "/new", "/api/profiles?limit=200", "/api/feeds"]
        pages += [f"/profiles/{_pid(run.links[c])}" for c in ("page-scripts", "page-indicators", "link-javascript",
                                                               "link-data", "link-file")]
        for path in pages:
            r = client.get(path)
            assert r.status_code == 200, path
            assert "script-src 'self'" in r.headers["content-security-policy"]
            body = r.text
            if not r.headers["content-type"].startswith("text/html"):
                json.loads(body)  # the API hands data to scripts; nosniff keeps browsers from rendering it
                continue
            assert not re.search(r"""(?i)href\s*=\s*["']?\s*(javascript|data|vbscript|file):""", body), path
            for tag in re.findall(r"(?i)<script\b[^>]*>", body):
                assert re.search(r"""src=["']/static/""", tag), (path, tag)  # only the app's own scripts
            for payload in ("head-script", "body-script", "alert('onerror')"):
                assert payload not in body, (path, payload)
