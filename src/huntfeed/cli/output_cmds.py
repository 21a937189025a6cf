"""`huntfeed export`, `digest`, `notify` and `serve`: profiles out to files, chat and the browser."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click

from huntfeed.cli.common import allow_host_option, db_option, err_console, parse_since, resolve_db, settings
from huntfeed.errors import ConfigError
from huntfeed.model import Profile, Severity
from huntfeed.render import RENDERERS, get_renderer
from huntfeed.render.files import atomic_write
from huntfeed.store import Store

_SEVERITIES = click.Choice([s.value for s in Severity], case_sensitive=False)
_CAP = 100_000


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write(out, text)
        err_console().print(f"wrote {out} ({len(text.encode('utf-8'))} bytes)")


def select_profiles(store: Store, *, ids: tuple[str, ...] = (), since: str | None = None,
                    severity: str | None = None) -> list[Profile]:
    """Profiles by id (latest version each), else the latest of every profile matching the filters."""
    if ids:
        found = []
        for pid in ids:
            p = store.get_profile(pid)
            if p is None:
                raise ConfigError(f"no profile with id {pid!r}")
            found.append(p)
        return found
    sev = Severity(severity.upper()) if severity else None
    return store.list_profiles(severity=sev, since=parse_since(since), limit=_CAP)


@click.command("export")
@click.option("-f", "--format", "fmt", type=click.Choice([*sorted(RENDERERS), "misp-feed"]), required=True,
              help="stix (2.1 bundle), misp (event JSON), misp-feed (a MISP feed folder, needs -o DIR), "
                   "navigator (layer 4.5), csv, json or md.")
@click.option("--since", help="Only profiles analysed since: 7d, 24h or 2026-11-01.")
@click.option("--severity", type=_SEVERITIES, help="At least this severity.")
@click.option("--id", "ids", multiple=True, metavar="ID", help="Export these profiles only (repeatable).")
@click.option("--defang", is_flag=True, help="csv only: defang network values (hxxp, [.]) for safe sharing.")
@click.option("--include-low", is_flag=True,
              help="misp/stix: also export low-fidelity values (MISP to_ids false, STIX labelled low).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path),
              help="Write here (atomically) instead of stdout; for misp-feed, the feed folder.")
@db_option
def export_cmd(fmt: str, since: str | None, severity: str | None, ids: tuple[str, ...], defang: bool,
               include_low: bool, out: Path | None, db_url: str | None) -> None:
    """Export stored profiles to a tool's format.

    \b
    Examples:
      huntfeed export --format stix --since 7d -o week.stix.json
      huntfeed export --format misp --id 3f2a9c0d1e2b4a5c
      huntfeed export --format navigator --severity HIGH -o layer.json
      huntfeed export --format csv --defang --since 24h
      huntfeed export --format misp-feed -o /srv/misp-feed     # MISP: Feeds > add, type "MISP Feed"
      huntfeed export --format misp --include-low    # low-fidelity values too, to_ids false
    """
    if defang and fmt != "csv":
        raise ConfigError("--defang applies to --format csv only")
    if include_low and fmt not in ("misp", "stix"):
        raise ConfigError("--include-low applies to --format misp and stix only")
    if fmt == "misp-feed" and out is None:
        raise ConfigError("--format misp-feed writes a folder: give -o DIR")
    if fmt != "misp-feed" and out is not None and out.is_dir():
        raise ConfigError(f"-o {out} is a folder; --format {fmt} writes one file")
    profiles = select_profiles(Store(resolve_db(db_url), create=False), ids=ids, since=since, severity=severity)
    if fmt == "misp-feed":
        assert out is not None
        from huntfeed.render.misp_feed import write_feed

        done = write_feed(out, profiles)
        err_console().print(f"wrote the MISP feed in {out}: {done.events} event(s), {done.attributes} "
                            f"attribute(s), {done.hashes} hash line(s); {done.removed} stale event file(s) removed")
        return
    if not profiles and fmt in ("misp", "md"):
        raise ConfigError("no profile matches the filters")
    if fmt == "csv":
        from huntfeed.render import csv_out

        text = csv_out.render(profiles, defang=defang)
    elif include_low:
        from huntfeed.render import misp, stix

        text = (misp.render if fmt == "misp" else stix.render)(profiles, include_low=True)
    else:
        text = get_renderer(fmt)(profiles)
    _emit(text, out)
    if out is not None or not sys.stdout.isatty():
        err_console().print(f"{len(profiles)} profile(s) exported as {fmt}")


@click.command("digest")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day (UTC) to summarise; default: today.")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically) instead of stdout.")
@db_option
def digest_cmd(day: datetime | None, fmt: str, out: Path | None, db_url: str | None) -> None:
    """The daily digest: the day's profiles by severity with the day's top techniques.

    \b
    Examples:
      huntfeed digest                              # today, Markdown
      huntfeed digest --date 2026-11-24 --format html -o digest.html
    """
    from huntfeed.render import digest

    when: date = day.date() if day else datetime.now(UTC).date()
    start = datetime(when.year, when.month, when.day, tzinfo=UTC)
    profiles = Store(resolve_db(db_url), create=False).list_profiles(since=start, limit=_CAP)
    _emit(digest.render(profiles, when, fmt), out)


@click.command("notify")
@click.option("--webhook", "url", envvar="HUNTFEED_WEBHOOK", required=True, metavar="URL",
              help="Slack or Teams incoming-webhook URL [env HUNTFEED_WEBHOOK].")
@click.option("--flavour", type=click.Choice(["slack", "teams"]), default="slack", show_default=True)
@click.option("--since", default="24h", show_default=True, help="Profiles analysed since (e.g. 1h, 7d).")
@click.option("--severity", type=_SEVERITIES, default="HIGH", show_default=True, help="At least this severity.")
@click.option("--base-url", default="", help="Link to this web UI (e.g. http://huntfeed.local:8000).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path),
              help="File remembering what was announced (default: notified.json in the data folder).")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the announced ids as JSON.")
def notify_cmd(url: str, flavour: str, since: str, severity: str, base_url: str, state: Path | None,
               db_url: str | None, as_json: bool) -> None:
    """Post new CRITICAL/HIGH profiles to a Slack or Teams webhook, each profile once.

    \b
    Example:
      huntfeed notify --webhook https://hooks.slack.com/services/T000/B000/XXX --since 1h
    """
    from huntfeed.paths import data_dir
    from huntfeed.render import webhook

    state = state or data_dir() / "notified.json"
    sent: list[str] = json.loads(state.read_text("utf-8")) if state.exists() else []
    store = Store(resolve_db(db_url))
    candidates = store.list_profiles(since=parse_since(since), limit=_CAP)
    todo = webhook.worth_notifying(candidates, min_severity=Severity(severity.upper()), already_sent=sent)
    done: list[str] = []
    try:
        done = webhook.notify(url, todo, flavour=flavour, base_url=base_url)
    finally:
        atomic_write(state, json.dumps(sorted(set(sent) | set(done))))
    if as_json:
        click.echo(json.dumps({"announced": done}))
    else:
        err_console().print(f"announced {len(done)} profile(s)")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the bearer token that enables the write calls (following feeds, "
                   "analysing a URL) [env HUNTFEED_API_TOKEN]; without one the server is read-only.")
@allow_host_option
@db_option
def serve_cmd(host: str, port: int, token_file: Path | None, allow_hosts: tuple[str, ...],
              db_url: str | None) -> None:
    """Serve the web UI and JSON API (OpenAPI docs at /docs); read-only unless given a token.

    \b
    Example:
      huntfeed demo --out out && huntfeed serve --db sqlite:///out/huntfeed-demo.db
      HUNTFEED_API_TOKEN=$(openssl rand -hex 16) huntfeed serve     # enables POST /api/feeds, /api/analyze
    """
    import uvicorn

    from huntfeed.web.app import create_app

    token = (token_file.read_text(encoding="utf-8").strip() if token_file
             else os.environ.get("HUNTFEED_API_TOKEN", "").strip()) or None
    if token is not None and len(token) < 16:
        raise ConfigError("the API token must be at least 16 characters")
    fetch = settings().with_flags(allow_hosts=allow_hosts).fetch
    from huntfeed.web.security import served_names

    app = create_app(Store(resolve_db(db_url)), token=token, fetch_settings=fetch,
                     served=served_names(host, allow_hosts))
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console().print(f"[yellow]note[/]: listening on {host}; the UI has no login, put it behind one")
    mode = "write calls enabled with the token" if token else "read-only"
    err_console().print(f"huntfeed web UI on http://{host}:{port}/ ({mode}; Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


commands: list[click.Command] = [export_cmd, digest_cmd, notify_cmd, serve_cmd]
