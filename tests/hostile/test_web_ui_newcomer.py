"""The web UI's newcomer items: list sort, low-fidelity values below the techniques, wrapping CSS."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from huntfeed.store import Store
from huntfeed.web.app import HERE, create_app
from tests.fixtures_profiles import NOW, all_profiles


def _client(tmp_path: Path) -> tuple[TestClient, list]:  # type: ignore[type-arg]
    store = Store(f"sqlite:///{tmp_path / 'ui.db'}")
    base = all_profiles()
    by_sev = sorted(base, key=lambda p: p.severity.rank)
    profiles = [replace(p, id=f"sort{i:02d}", title=f"Sort {i:02d}", published=NOW - timedelta(days=i))
                for i, p in enumerate(by_sev)]  # least severe is the newest
    for p in profiles:
        store.save_profile(p)
    return TestClient(create_app(store, tactic_order=lambda: ("impact",), page_size=100),
                      base_url="http://127.0.0.1"), profiles


def _order(html: str, profiles: list) -> list[str]:  # type: ignore[type-arg]
    return sorted((p.title for p in profiles if p.title in html), key=html.index)


def test_the_list_sorts_by_publication_date_or_by_severity(tmp_path: Path) -> None:
    client, profiles = _client(tmp_path)
    newest_first = [p.title for p in sorted(profiles, key=lambda p: p.published, reverse=True)]
    assert _order(client.get("/").text, profiles) == newest_first
    ranks = [next(p for p in profiles if p.title == t).severity.rank for t in
             _order(client.get("/?sort=severity").text, profiles)]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) > 1
    assert _order(client.get("/?sort=bogus").text, profiles) == newest_first


def test_low_fidelity_values_come_after_the_techniques_without_copy_buttons(tmp_path: Path) -> None:
    client, profiles = _client(tmp_path)
    p = next(p for p in profiles if any(i.fidelity.value != "high" for i in p.indicators) and p.techniques)
    html = client.get(f"/profiles/{p.id}").text
    assert html.index('id="techniques"') < html.index('id="low-fidelity"')
    low_section = html[html.index('id="low-fidelity"'):]
    low_section = low_section[: low_section.index("</section>")]
    assert "copy-ioc" not in low_section


def test_queries_wrap_and_tactic_headers_never_break_inside_words() -> None:
    css = (HERE / "static" / "app.css").read_text()
    pre = css[css.index("\npre{"):]
    assert "white-space:pre-wrap" in pre[: pre.index("}")]
    head = css[css.index(".tactic h2{"):]
    assert "overflow-wrap:anywhere" not in head[: head.index("}")]


