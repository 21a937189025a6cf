"""Webhook notifications posted to a loopback receiver (Slack and Teams shapes)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.errors import HTTPStatusError
from huntfeed.model import Severity
from huntfeed.render import webhook
from tests.fixtures_profiles import all_profiles, apt_profile_v2


class Receiver:
    """An http.server on a free loopback port that records every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.mark.integration
def test_new_high_and_critical_profiles_are_posted_once(receiver: Receiver) -> None:
    todo = webhook.worth_notifying(all_profiles(), min_severity=Severity.HIGH)
    assert [p.severity for p in todo] == [Severity.CRITICAL, Severity.HIGH]
    done = webhook.notify(receiver.url, todo, flavour="slack", base_url="http://hf.local:8000/")
    assert done == [p.id for p in todo]
    assert len(receiver.bodies) == 2
    body = receiver.bodies[1]
    assert body["text"].startswith("[HIGH] APT29 phishing wave")
    assert "http://hf.local:8000/profiles/a1b2c3d4e5f60718" in body["text"]
    assert body["blocks"][0]["type"] == "header"
    again = webhook.worth_notifying(all_profiles(), already_sent=done)
    assert again == []


@pytest.mark.integration
def test_teams_message_card(receiver: Receiver) -> None:
    webhook.notify(receiver.url, [apt_profile_v2()], flavour="teams")
    card = receiver.bodies[0]
    assert card["@type"] == "MessageCard" and card["themeColor"] == "D9480F"
    assert card["potentialAction"][0]["targets"][0]["uri"] == apt_profile_v2().url


@pytest.mark.integration
def test_receiver_error_is_reported(receiver: Receiver) -> None:
    receiver.status = 500
    with pytest.raises(HTTPStatusError) as err:
        webhook.notify(receiver.url, [apt_profile_v2()])
    assert err.value.status == 500


@pytest.mark.hostile
def test_feed_text_cannot_inject_chat_markup() -> None:
    body = webhook.payload(apt_profile_v2(), "slack")
    assert "<script>" not in body["text"] and "&lt;script&gt;" in body["text"]
    crafted = replace(apt_profile_v2(), title="<!channel> *bold* <https://evil.example|click>")
    text = json.dumps(webhook.payload(crafted, "slack"))
    assert "<!channel>" not in text and "<https://evil" not in text and "*bold*" not in text


@pytest.mark.integration
def test_notify_command_announces_each_profile_once(receiver: Receiver, tmp_path: Path) -> None:
    from huntfeed.cli import cli
    from tests.fixtures_profiles import make_store

    make_store(tmp_path / "n.db")
    args = ["notify", "--webhook", receiver.url, "--since", "2020-01-01", "--db", f"sqlite:///{tmp_path / 'n.db'}",
            "--state", str(tmp_path / "sent.json"), "--json"]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0
    assert json.loads(first.stdout)["announced"] == ["a1b2c3d4e5f60718", "ffee000011112222"]
    assert len(receiver.bodies) == 2
    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert json.loads(again.stdout)["announced"] == [] and len(receiver.bodies) == 2
