"""Every export format from the demo's own profiles, checked by each format's consumer library,
and `huntfeed serve`'s app showing them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import stix2
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string

from huntfeed.cli import cli
from huntfeed.store import Store
from huntfeed.web.app import create_app

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("demo-exports")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return f"sqlite:///{out / 'huntfeed-demo.db'}"


def _export(db: str, tmp_path: Path, *args: str) -> str:
    target = tmp_path / "export.out"
    result = CliRunner().invoke(cli, ["export", *args, "--db", db, "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return target.read_text("utf-8")


def test_stix_bundle_of_the_demo_validates(demo_db: str, tmp_path: Path) -> None:
    text = _export(demo_db, tmp_path, "--format", "stix")
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid and not result.errors, [str(e) for e in result.errors]
    bundle = stix2.parse(text, allow_custom=False)
    n_profiles = Store(demo_db).count_profiles()
    assert sum(1 for o in bundle.objects if o.type == "report") == n_profiles >= 10
    assert any(o.type == "indicator" for o in bundle.objects)
    assert any(o.type == "attack-pattern" for o in bundle.objects)


def test_misp_events_of_the_demo_load(demo_db: str, tmp_path: Path) -> None:
    doc = json.loads(_export(demo_db, tmp_path, "--format", "misp"))
    events = [MISPEvent() for _ in doc["response"]]
    for ev, raw in zip(events, doc["response"], strict=True):
        ev.load(raw)
        assert "tlp:clear" in {t.name for t in ev.tags}
        assert any(a.type == "link" for a in ev.attributes)
    assert any(a.to_ids for ev in events for a in ev.attributes)


def test_navigator_csv_json_md_of_the_demo(demo_db: str, tmp_path: Path) -> None:
    layer = json.loads(_export(demo_db, tmp_path, "--format", "navigator", "--severity", "MED"))
    assert layer["versions"]["layer"] == "4.5" and layer["domain"] == "enterprise-attack"
    assert layer["techniques"] and all(t.get("score", 1) >= 1 for t in layer["techniques"])
    rows = list(csv.DictReader(io.StringIO(_export(demo_db, tmp_path, "--format", "csv", "--defang"))))
    urls = [r["value"] for r in rows if r["type"] == "url"]
    assert urls and not [u for u in urls if "http://" in u.lower() or "https://" in u.lower()]
    profiles = json.loads(_export(demo_db, tmp_path, "--format", "json"))
    assert profiles
    assert "## Recommended hunts" in _export(demo_db, tmp_path, "--format", "md")


def test_export_by_id_and_digest(demo_db: str, tmp_path: Path) -> None:
    pid = Store(demo_db).list_profiles(limit=1)[0].id
    doc = json.loads(_export(demo_db, tmp_path, "--format", "misp", "--id", pid))
    assert "Event" in doc
    day = Store(demo_db).list_profiles(limit=1)[0].analysed_at.date().isoformat()
    result = CliRunner().invoke(cli, ["digest", "--date", day, "--db", demo_db], catch_exceptions=False)
    assert result.exit_code == 0 and f"# huntfeed digest for {day}" in result.stdout
    assert "## Top techniques of the day" in result.stdout
    bad = CliRunner().invoke(cli, ["export", "--format", "stix", "--id", "0000000000000000", "--db", demo_db])
    assert bad.exit_code != 0


def test_serve_app_shows_the_demo(demo_db: str) -> None:
    store = Store(demo_db)
    latest = store.list_profiles(limit=500)
    with TestClient(create_app(store), base_url="http://127.0.0.1") as client:
        page = client.get("/?period=all")
        assert page.status_code == 200
        for p in latest[:5]:
            assert f"/profiles/{p.id}" in page.text
        updated = next(p for p in latest if p.version > 1)
        html = client.get(f"/profiles/{updated.id}").text
        assert "Version history" in html and f"v{updated.version}" in html
        assert client.get("/heatmap?period=all").status_code == 200
