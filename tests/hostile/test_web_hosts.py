"""Web UI: DNS rebinding (Host header checked against the served names) and paging validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from huntfeed.store import Store
from huntfeed.web.app import create_app
from huntfeed.web.security import served_names

pytestmark = [pytest.mark.hostile]


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app(Store(f"sqlite:///{tmp_path / 'w.db'}"), tactic_order=lambda: ("impact",))


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "127.0.0.1.attacker.example",
                                  "10.0.0.5:8000", ""])
def test_a_foreign_host_header_is_refused(app, host: str) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for path in ("/api/profiles", "/", "/api/feeds"):
            res = c.get(path, headers={"Host": host})
            assert res.status_code == 400, (path, host)


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.1"])
def test_loopback_names_are_served(app, host: str) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/api/profiles", headers={"Host": host}).status_code == 200


def test_served_names_take_the_bind_host_and_allow_hosts() -> None:
    assert served_names("0.0.0.0", ["intel.corp.example:8443", "[fd00::1]:80"])[4:] == [
        "intel.corp.example", "[fd00::1]"]
    assert "huntfeed.internal" in served_names("huntfeed.internal")


@pytest.mark.parametrize("query", ["offset=99999999999999999999999", "offset=-1", "limit=0", "limit=100000",
                                   "offset=abc"])
def test_bad_paging_is_a_422_not_a_500(app, query: str) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        assert c.get(f"/api/profiles?{query}").status_code == 422
