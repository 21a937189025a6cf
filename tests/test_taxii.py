"""The read-only TAXII 2.1 server: in process for the protocol details, and with `taxii2-client`
against a real `huntfeed serve` on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from huntfeed.render.stix import stix_id
from huntfeed.store import Store
from huntfeed.web.app import create_app
from huntfeed.web.taxii import PROFILES_COLLECTION, TAXII
from tests.fixtures_profiles import NOW, all_profiles, make_store
from tests.pg import free_port

ACCEPT = {"Accept": TAXII}
OBJECTS = f"/taxii2/api/collections/{PROFILES_COLLECTION}/objects/"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "t.db")


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store, tactic_order=lambda: ()), base_url="http://127.0.0.1") as c:
        yield c


def _all_pages(client: TestClient, limit: int, **params: str) -> list[dict]:
    got: list[dict] = []
    query: dict[str, str | int] = {"limit": limit, **params}
    while True:
        r = client.get(OBJECTS, params=query, headers=ACCEPT)
        assert r.status_code == 200 and r.headers["content-type"] == TAXII
        body = r.json()
        got += body.get("objects", [])
        if not body["more"]:
            return got
        assert len(body["objects"]) == limit
        query = {"limit": limit, "next": body["next"], **params}


def test_discovery_root_and_collections(client: TestClient) -> None:
    d = client.get("/taxii2/", headers=ACCEPT)
    assert d.status_code == 200 and d.headers["content-type"] == TAXII
    assert d.json()["api_roots"] == ["/taxii2/api/"]
    root = client.get("/taxii2/api/", headers=ACCEPT).json()
    assert root["versions"] == [TAXII]
    cols = client.get("/taxii2/api/collections/", headers=ACCEPT).json()["collections"]
    ours = next(c for c in cols if c["id"] == PROFILES_COLLECTION)
    assert ours["can_read"] is True and ours["can_write"] is False
    assert client.get(f"/taxii2/api/collections/{PROFILES_COLLECTION}/", headers=ACCEPT).json() == ours
    assert client.get("/taxii2/api/collections/nope/", headers=ACCEPT).status_code == 404


def test_paging_hands_out_every_object_once_in_date_added_order(client: TestClient) -> None:
    whole = client.get(OBJECTS, params={"limit": 1000}, headers=ACCEPT).json()
    assert whole["more"] is False
    for limit in (1, 4, 7):
        paged = _all_pages(client, limit)
        assert [(o["id"], o.get("modified")) for o in paged] == [(o["id"], o.get("modified"))
                                                                for o in whole["objects"]]
    reports = [o["id"] for o in whole["objects"] if o["type"] == "report"]
    # Oldest profile first: low (9 days), vuln (4 h), apt v2.
    assert reports == [stix_id("report", p.id) for p in sorted(all_profiles(), key=lambda p: p.analysed_at)]


def test_added_after_is_strict_and_headers_name_the_range(client: TestClient) -> None:
    vuln = next(p for p in all_profiles() if p.id == "ffee000011112222")
    stamp = vuln.analysed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    r = client.get(OBJECTS, params={"added_after": stamp}, headers=ACCEPT)
    reports = [o["id"] for o in r.json()["objects"] if o["type"] == "report"]
    assert reports == [stix_id("report", "a1b2c3d4e5f60718")]  # only the APT profile is newer
    assert r.headers["X-TAXII-Date-Added-First"] > stamp
    earlier = (vuln.analysed_at - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reports = [o["id"] for o in client.get(OBJECTS, params={"added_after": earlier}, headers=ACCEPT).json()["objects"]
               if o["type"] == "report"]
    assert reports == [stix_id("report", "ffee000011112222"), stix_id("report", "a1b2c3d4e5f60718")]
    later = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    empty = client.get(OBJECTS, params={"added_after": later}, headers=ACCEPT)
    assert empty.json() == {"more": False} and "X-TAXII-Date-Added-First" not in empty.headers


def test_match_filters_and_manifest(client: TestClient) -> None:
    r = client.get(OBJECTS, params={"match[type]": "report,vulnerability"}, headers=ACCEPT).json()
    assert {o["type"] for o in r["objects"]} == {"report", "vulnerability"}
    rid = stix_id("report", "0000aaaa1111bbbb")
    one = client.get(OBJECTS, params={"match[id]": rid}, headers=ACCEPT).json()["objects"]
    assert [o["id"] for o in one] == [rid]
    m = client.get(f"/taxii2/api/collections/{PROFILES_COLLECTION}/manifest/", params={"match[id]": rid},
                   headers=ACCEPT).json()
    assert [(e["id"], e["media_type"]) for e in m["objects"]] == [(rid, "application/stix+json;version=2.1")]
    assert client.get(OBJECTS, params={"match[spec_version]": "2.1"}, headers=ACCEPT).status_code == 400


def test_media_types_bad_input_and_read_only(client: TestClient) -> None:
    assert client.get("/taxii2/", headers={"Accept": "text/html"}).status_code == 406
    assert client.get("/taxii2/", headers={"Accept": "application/taxii+json;version=2.0"}).status_code == 406
    assert client.get(OBJECTS, params={"next": "not-a-cursor!"}, headers=ACCEPT).status_code == 400
    assert client.get(OBJECTS, params={"added_after": "yesterday"}, headers=ACCEPT).status_code == 400
    assert client.post(OBJECTS, json={"objects": []}, headers=ACCEPT).status_code == 403


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    make_store(tmp_path / "s.db").close()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "huntfeed", "serve", "--port", str(port),
                             "--db", f"sqlite:///{tmp_path / 's.db'}"], stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine can take long to import the app
        while True:
            try:
                httpx.get(base + "/api/feeds", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "huntfeed serve did not start listening"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.integration
def test_taxii2_client_pages_the_collection_of_a_running_server(served: str) -> None:
    from taxii2client.v21 import Server, as_pages

    server = Server(served + "/taxii2/")
    assert server.title == "huntfeed TAXII 2.1"
    root = server.api_roots[0]
    assert root.versions == [TAXII]
    col = next(c for c in root.collections if c.id == PROFILES_COLLECTION)
    assert col.can_read and not col.can_write
    whole = col.get_objects()
    pages = list(as_pages(col.get_objects, per_request=5))
    assert len(pages) > 2
    paged = [o["id"] + "@" + o.get("modified", "") for page in pages for o in page.get("objects", [])]
    assert paged == [o["id"] + "@" + o.get("modified", "") for o in whole["objects"]]
    assert sum(1 for o in whole["objects"] if o["type"] == "report") == 3
    vuln = next(p for p in all_profiles() if p.id == "ffee000011112222")
    newer = col.get_objects(added_after=vuln.analysed_at)
    assert [o["id"] for o in newer["objects"] if o["type"] == "report"] == [stix_id("report", "a1b2c3d4e5f60718")]
