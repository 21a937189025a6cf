"""`huntfeed feeds ...` and `huntfeed profiles ...`: the store from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from huntfeed.cli.common import db_option, emit_table, parse_since, resolve_db
from huntfeed.errors import ConfigError
from huntfeed.feeds.opml import load_feed_list, to_opml
from huntfeed.model import Severity, Source
from huntfeed.render import json_profile, markdown
from huntfeed.store import Store


@click.group("feeds")
def feeds_group() -> None:
    """Manage the followed feeds (add, list, remove, import, export)."""


@feeds_group.command("add")
@click.argument("url")
@click.option("--name", default="", help="Display name (default: the URL).")
@click.option("--reliability", default="B", show_default=True, type=click.Choice(list("ABCDEF"), case_sensitive=False),
              help="Source reliability (Admiralty A-F); weighs into severity.")
@db_option
def feeds_add(url: str, name: str, reliability: str, db_url: str | None) -> None:
    """Follow a feed.

    \b
    Example: huntfeed feeds add https://www.cisa.gov/cybersecurity-advisories/all.xml --reliability A
    """
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"feed URL must be http(s): {url!r}")
    new = Store(resolve_db(db_url)).add_feed(Source(url=url, name=name or url, reliability=reliability.upper()))
    click.echo(f"{'added' if new else 'updated'} {url}", err=True)


@feeds_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one feed each.")
def feeds_list(db_url: str | None, as_json: bool) -> None:
    """List followed feeds with their last poll, status and errors.  Example: huntfeed feeds list --json"""
    feeds = Store(resolve_db(db_url), create=False).list_feeds()
    if as_json:
        for f in feeds:
            click.echo(json.dumps({
                "url": f.url, "name": f.name, "reliability": f.reliability, "tags": list(f.tags),
                "last_polled": f.last_polled.isoformat() if f.last_polled else None,
                "last_status": f.last_status, "last_error": f.last_error, "error_count": f.error_count,
                "retry_after": f.retry_after.isoformat() if f.retry_after else None,
            }))
        return
    emit_table(["name", "url", "rel", "last poll", "status", "errors"], [
        [f.name, f.url, f.reliability, f.last_polled.strftime("%Y-%m-%d %H:%M") if f.last_polled else "-",
         f.last_status or "never polled", f"{f.error_count}: {f.last_error}" if f.error_count else ""]
        for f in feeds
    ])


@feeds_group.command("remove")
@click.argument("url")
@db_option
def feeds_remove(url: str, db_url: str | None) -> None:
    """Stop following a feed (its profiles stay).  Example: huntfeed feeds remove https://example.org/feed.xml"""
    if not Store(resolve_db(db_url)).remove_feed(url):
        raise ConfigError(f"not a followed feed: {url}")
    click.echo(f"removed {url}", err=True)


@feeds_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def feeds_import(file: Path, db_url: str | None) -> None:
    """Follow every feed in an OPML (or TOML) list.  Example: huntfeed feeds import subscriptions.opml"""
    store = Store(resolve_db(db_url))
    sources = load_feed_list(file)
    added = sum(store.add_feed(s) for s in sources)
    click.echo(f"{len(sources)} feed(s) in {file}: {added} new, {len(sources) - added} already followed", err=True)


@feeds_group.command("export")
@db_option
def feeds_export(db_url: str | None) -> None:
    """Print the followed feeds as OPML.  Example: huntfeed feeds export > feeds.opml"""
    click.echo(to_opml([f.source for f in Store(resolve_db(db_url), create=False).list_feeds()]), nl=False)


@click.group("profiles")
def profiles_group() -> None:
    """Browse stored threat profiles (list, show)."""


@profiles_group.command("list")
@click.option("--severity", type=click.Choice([s.value for s in Severity], case_sensitive=False),
              help="At least this severity.")
@click.option("--since", help="Analysed since: 7d, 24h or 2026-11-01.")
@click.option("--technique", help="Only profiles citing this ATT&CK id (e.g. T1059).")
@click.option("-q", "--query", "text", help="Full-text filter over title, summary, indicators, techniques.")
@click.option("--limit", default=50, show_default=True)
@click.option("--affects-us", is_flag=True,
              help="Only profiles that name a product, sector or region of the environment file they ran with.")
@db_option
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one profile summary each.")
def profiles_list(severity: str | None, since: str | None, technique: str | None, text: str | None, limit: int,
                  affects_us: bool, db_url: str | None, as_json: bool) -> None:
    """List the latest version of stored profiles, newest first.

    \b
    \b
    Examples:
      huntfeed profiles list --severity HIGH --since 7d
      huntfeed profiles list --affects-us
    """
    store = Store(resolve_db(db_url), create=False)
    profiles = store.list_profiles(severity=Severity(severity.upper()) if severity else None,
                                   since=parse_since(since), technique=technique, q=text, limit=limit,
                                   affects_us=affects_us)
    if as_json:
        for p in profiles:
            click.echo(json.dumps({
                "id": p.id, "version": p.version, "severity": p.severity.value, "title": p.title,
                "source": p.source, "url": p.url, "published": p.published.isoformat() if p.published else None,
                "indicators": sum(1 for i in p.indicators if i.fidelity.value == "high"),
                "techniques": [t.id for t in p.techniques], "hunts": len(p.hunts),
                **({"affects_us": [f"{m.kind}: {m.name}" for m in p.relevance.matches],
                    "hunt_labels": {h.use_case: h.label for h in p.relevance.hunts}} if p.relevance else {}),
            }))
        return
    emit_table(["id", "sev", "v", "title", "source", "IOCs", "TTPs", "hunts"], [
        [p.id, p.severity.value, str(p.version), p.title, p.source,
         str(sum(1 for i in p.indicators if i.fidelity.value == "high")), str(len(p.techniques)), str(len(p.hunts))]
        for p in profiles
    ])


@profiles_group.command("show")
@click.argument("profile_id")
@click.option("--version", "version", type=int, help="A past version (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@db_option
def profiles_show(profile_id: str, version: int | None, fmt: str, db_url: str | None) -> None:
    """Print one profile.  Example: huntfeed profiles show 3f2a9c0d1e4b5a67 --version 1 --format json"""
    profile = Store(resolve_db(db_url), create=False).get_profile(profile_id, version)
    if profile is None:
        click.echo(f"huntfeed: no profile {profile_id}" + (f" version {version}" if version else ""), err=True)
        sys.exit(1)
    click.echo(markdown.render(profile) if fmt == "md" else json_profile.render(profile), nl=False)


commands: list[click.Command] = [feeds_group, profiles_group]
