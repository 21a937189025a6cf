"""The private-address guard from the command line: blocked by default, opened per host by flag or config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from tests.hostile.corpus import GOOD_PAGE, feed_reply, item, page_reply, rss
from tests.httpserver import LoopbackServer

pytestmark = [pytest.mark.hostile, pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def site(http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, knowledge: Any) -> LoopbackServer:
    from huntfeed.pipeline import Knowledge

    monkeypatch.setattr(Knowledge, "load", classmethod(lambda cls, **kw: knowledge))
    http_server.routes["/p"] = page_reply(GOOD_PAGE)
    http_server.routes["/feed.xml"] = feed_reply(rss(item("one", link=http_server.url("/p"))))
    return http_server


def _run(tmp_path: Path, *args: str) -> Any:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    CliRunner().invoke(cli, ["feeds", "add", "--db", db, "http://127.0.0.1:" + args[0]])
    return CliRunner().invoke(cli, [*args[1:], "run", "--db", db, "--json"] if args[1:2] == ("--config",)
                              else ["run", "--db", db, "--json", *args[1:]])


def test_loopback_feed_is_blocked_by_default(site: LoopbackServer, tmp_path: Path) -> None:
    result = _run(tmp_path, f"{site.port}/feed.xml")
    assert result.exit_code == 1  # every feed failed
    report = json.loads(result.stdout)
    assert f"use --allow-host {site.host} to permit" in report["issues"][0]["message"]
    assert not [h for h in site.hits if h[0] == "/feed.xml"]


def test_allow_host_flag_lets_exactly_that_host_through(site: LoopbackServer, tmp_path: Path) -> None:
    result = _run(tmp_path, f"{site.port}/feed.xml", "--allow-host", site.host)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["profiles_new"]) == 1


def test_allow_hosts_in_the_config_file(site: LoopbackServer, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'allow_hosts = ["{site.host}"]\n', encoding="utf-8")
    result = _run(tmp_path, f"{site.port}/feed.xml", "--config", str(cfg))
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["profiles_new"]) == 1


def test_serve_binds_to_loopback_by_default() -> None:
    from huntfeed.cli.output_cmds import serve_cmd

    host = next(p for p in serve_cmd.params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_jsonl_batch_urls_get_the_feed_guard(http_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
                                              knowledge: Any) -> None:
    from huntfeed.pipeline import Knowledge

    monkeypatch.setattr(Knowledge, "load", classmethod(lambda cls, **kw: knowledge))
    http_server.routes["/p"] = page_reply(GOOD_PAGE)
    lines = "\n".join(json.dumps({"id": i, "url": u}) for i, u in
                      enumerate([http_server.url("/p"), "http://169.254.169.254/latest/meta-data/"]))
    result = CliRunner().invoke(cli, ["analyze", "--jsonl", "-"], input=lines)
    assert result.exit_code == 1
    outs = [json.loads(line) for line in result.stdout.splitlines()]
    assert all("non-public address" in o["error"] for o in outs), outs
    assert not http_server.hits
    allowed = CliRunner().invoke(cli, ["analyze", "--jsonl", "-", "--allow-host", http_server.host],
                                 input=json.dumps({"id": "a", "url": http_server.url("/p")}))
    assert allowed.exit_code == 0 and "error" not in json.loads(allowed.stdout)


def test_run_output_survives_console_markup_and_escapes(site: LoopbackServer, tmp_path: Path) -> None:
    from tests.httpserver import Reply

    site.routes["/[/bold]"] = Reply(500, b"[/]")
    site.routes["/x.xml"] = feed_reply(rss(item("m", title="[/bold] [link=file:///etc/passwd]x[/link] \x1b]0;t\x07",
                                                link=site.url("/p"))))
    db = f"sqlite:///{tmp_path / 'h.db'}"
    for path in ("/[/bold]", "/x.xml"):
        CliRunner().invoke(cli, ["feeds", "add", "--db", db, site.url(path), "--name", "[red]name[/] \x1b[2J"])
    result = CliRunner().invoke(cli, ["run", "--db", db, "--allow-host", site.host])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "\x1b" not in result.output and "[/bold]" in result.output
