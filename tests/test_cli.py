"""Every command documents itself with an example; errors exit 2 with a clear message."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from huntfeed.cli import cli


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in sorted(command.list_commands(ctx)):  # the root group loads its commands on lookup
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            found += _walk(sub, (*path, name))
    return found


ALL = _walk(cli)


def test_expected_commands_exist() -> None:
    names = {" ".join(p) for p, _ in ALL}
    for expected in ("run", "demo", "analyze", "feeds add", "feeds list", "feeds remove", "feeds import",
                     "feeds export", "profiles list", "profiles show"):
        assert expected in names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "huntfeed" for p, _ in ALL])
def test_every_command_has_help_with_an_example(path: tuple[str, ...], command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert command.help, f"{' '.join(path)} has no docstring"
    if not isinstance(command, click.Group):
        assert "example" in command.help.lower(), f"{' '.join(path)}: help needs an example"


def test_errors_exit_2_with_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.run(
        [sys.executable, "-m", "huntfeed", "run", "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "no feeds to poll" in proc.stderr and "Traceback" not in proc.stderr


def test_feeds_commands_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'feeds.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["feeds", "add", "https://a.example/feed.xml", "--name", "A", "--reliability", "a",
                               "--db", db]).exit_code == 0
    out = runner.invoke(cli, ["feeds", "export", "--db", db]).output
    assert 'xmlUrl="https://a.example/feed.xml"' in out and 'reliability="A"' in out
    opml = tmp_path / "f.opml"
    opml.write_text(out.replace("a.example", "b.example"))
    assert runner.invoke(cli, ["feeds", "import", str(opml), "--db", db]).exit_code == 0
    listed = runner.invoke(cli, ["feeds", "list", "--json", "--db", db]).output.splitlines()
    assert len(listed) == 2
    assert runner.invoke(cli, ["feeds", "remove", "https://a.example/feed.xml", "--db", db]).exit_code == 0
    assert len(runner.invoke(cli, ["feeds", "list", "--json", "--db", db]).output.splitlines()) == 1


def test_list_commands_print_tab_separated_records_to_a_pipe(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'feeds.db'}"
    runner = CliRunner()
    name = "Tab\there, newline\nthere and a very long feed name that a terminal table would have wrapped"
    assert runner.invoke(cli, ["feeds", "add", "https://a.example/feed.xml", "--name", name, "--db", db]).exit_code == 0
    lines = runner.invoke(cli, ["feeds", "list", "--db", db]).output.splitlines()
    assert lines[0].split("\t") == ["name", "url", "rel", "last poll", "status", "errors"]
    assert len(lines) == 2  # one record per line: the name's tab and newline did not split it
    row = lines[1].split("\t")
    assert row[0] == "Tab here, newline there and a very long feed name that a terminal table would have wrapped"
    assert row[1:5] == ["https://a.example/feed.xml", "B", "-", "never polled"]
