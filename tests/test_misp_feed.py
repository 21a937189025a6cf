"""`huntfeed export --format misp-feed`: a folder MISP subscribes to, read back with PyMISP."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from click.testing import CliRunner
from pymisp import MISPEvent

from huntfeed.cli import cli
from huntfeed.render import misp
from huntfeed.render.misp_feed import ORG_UUID, write_feed
from tests.fixtures_profiles import all_profiles, make_store


def _load(path: Path) -> MISPEvent:
    ev = MISPEvent()
    ev.load_file(str(path))
    return ev


def test_cli_writes_manifest_hashes_and_one_event_per_profile(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db")
    out = tmp_path / "feed"
    r = CliRunner().invoke(cli, ["export", "--format", "misp-feed", "-o", str(out),
                                 "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert r.exit_code == 0, r.output
    profiles = all_profiles()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert set(manifest) == {misp.event_uuid(p.id) for p in profiles}
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", "hashes.csv", *(f"{misp.event_uuid(p.id)}.json" for p in profiles)])
    for p in profiles:
        uid = misp.event_uuid(p.id)
        ev = _load(out / f"{uid}.json")
        assert ev.uuid == uid and ev.info == p.title
        assert ev.Orgc.uuid == ORG_UUID and ev.Orgc.name == "huntfeed"
        entry = manifest[uid]
        assert entry["info"] == p.title and entry["Orgc"]["uuid"] == ORG_UUID
        assert entry["timestamp"] == int(ev.timestamp.timestamp())
        assert {t["name"] for t in entry["Tag"]} == {t.name for t in ev.tags}
    # hashes.csv: md5 of every attribute value, with the event it belongs to.
    rows = list(csv.reader((out / "hashes.csv").read_text("utf-8").splitlines()))
    expected = set()
    for p in profiles:
        ev = _load(out / f"{misp.event_uuid(p.id)}.json")
        expected |= {(hashlib.md5(a.value.encode()).hexdigest(), ev.uuid) for a in ev.attributes}
    assert {(h, u) for h, u in rows} == expected and len(rows) == len(expected)
    apt = _load(out / f"{misp.event_uuid('a1b2c3d4e5f60718')}.json")
    by_value = {a.value: a for a in apt.attributes}
    assert by_value["203.0.113.45"].type == "ip-dst" and by_value["203.0.113.45"].to_ids is True
    assert 'misp-galaxy:mitre-attack-pattern="PowerShell - T1059.001"' in {t.name for t in apt.tags}


def test_a_second_export_removes_only_our_stale_event_files(tmp_path: Path) -> None:
    out = tmp_path / "feed"
    profiles = all_profiles()
    first = write_feed(out, profiles)
    assert (first.events, first.removed) == (3, 0) and first.hashes == first.attributes
    (out / "README.txt").write_text("the user's own file")
    second = write_feed(out, profiles[:1])
    assert (second.events, second.removed) == (1, 2)
    assert (out / "README.txt").exists()
    assert set(json.loads((out / "manifest.json").read_text("utf-8"))) == {misp.event_uuid(profiles[0].id)}


def test_misp_feed_needs_a_folder_and_other_formats_a_file(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db")
    db = f"sqlite:///{tmp_path / 's.db'}"
    r = CliRunner().invoke(cli, ["export", "--format", "misp-feed", "--db", db])
    assert r.exit_code != 0 and "give -o DIR" in str(r.exception)
    r = CliRunner().invoke(cli, ["export", "--format", "stix", "-o", str(tmp_path), "--db", db])
    assert r.exit_code != 0 and "is a folder" in str(r.exception)
