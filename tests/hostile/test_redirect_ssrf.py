"""SSRF through `analyze URL` redirects: an allowed host is host *and* port, every hop checked again."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.errors import BlockedURLError
from huntfeed.feeds.fetch import Fetcher, FetchSettings, check_url, host_allowed
from tests.httpserver import LoopbackServer, Reply

pytestmark = [pytest.mark.hostile, pytest.mark.timeout(60)]

ARTICLE = b"<html><body><article><p>" + b"Public write-up about vssadmin delete shadows. " * 20 + b"</p></article>"
SECRET = b"<html><body><article><p>" + b"INTERNAL-ONLY admin console token. " * 20 + b"</p></article>"


@pytest.mark.parametrize("location", [
    "http://127.0.0.1:{b}/x",            # another port of the allowed host
    "//127.0.0.1:{b}/x",                 # scheme-relative
    "http://127.0.0.1:{a}@127.0.0.1:{b}/x",  # userinfo that reads as the allowed host
    "http://localhost:{b}/x",            # a name for the same machine, on another port
])
@pytest.mark.parametrize("flag", [True, False])
def test_a_redirect_to_another_port_is_refused(location: str, flag: bool) -> None:
    with LoopbackServer() as a, LoopbackServer() as b:
        b.routes["/x"] = Reply(200, SECRET, {"Content-Type": "text/html"})
        a.routes["/post"] = Reply(302, headers={"Location": location.format(a=a.port, b=b.port)})
        args = ["analyze", a.url("/post"), "--format", "json", *(["--allow-host", a.host] if flag else [])]
        res = CliRunner().invoke(cli, args)
        assert isinstance(res.exception, BlockedURLError), res.output
        assert b.hits == [] and "INTERNAL-ONLY" not in res.output


def test_the_typed_url_itself_is_still_fetched() -> None:
    with LoopbackServer() as a:
        a.routes["/post"] = Reply(302, headers={"Location": "/real"})
        a.routes["/real"] = Reply(200, ARTICLE, {"Content-Type": "text/html"})
        res = CliRunner().invoke(cli, ["analyze", a.url("/post"), "--format", "json"])
        assert res.exit_code == 0, res.output


@pytest.mark.parametrize(("host", "port", "allow", "ok"), [
    ("127.0.0.1", 8080, {"127.0.0.1:8080"}, True),
    ("127.0.0.1", 8081, {"127.0.0.1:8080"}, False),
    ("127.0.0.1", 8081, {"127.0.0.1"}, False),   # a bare host no longer means every port
    ("intel.corp.example", 443, {"intel.corp.example"}, True),
    ("intel.corp.example", 80, {"intel.corp.example"}, True),
    ("intel.corp.example", 8443, {"intel.corp.example"}, False),
    ("::1", 9000, {"[::1]:9000"}, True),
    ("::1", 9001, {"[::1]:9000"}, False),
])
def test_host_allowed_is_host_and_port(host: str, port: int, allow: set[str], ok: bool) -> None:
    assert host_allowed(host, port, frozenset(allow)) is ok


def test_userinfo_urls_are_refused_even_for_allowed_hosts() -> None:
    with pytest.raises(BlockedURLError, match="user name or password"):
        check_url("http://127.0.0.1:1@127.0.0.1:2/x", frozenset({"127.0.0.1:2"}))


def test_connect_time_check_uses_the_port_too() -> None:
    # The pinned backend re-checks at connect time: a bare allowed host does not open other ports.
    with LoopbackServer() as b:
        b.routes["/x"] = Reply(200, SECRET)
        with Fetcher(FetchSettings(allow_hosts=frozenset({"127.0.0.1"}))) as f, pytest.raises(BlockedURLError):
            f.get(b.url("/x"))
        assert b.hits == []
