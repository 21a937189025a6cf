"""`huntfeed campaigns`: campaigns across reports, and merged near-duplicate stories."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from huntfeed.cli.common import db_option, emit_table, err_console, resolve_db
from huntfeed.errors import ConfigError
from huntfeed.render.files import atomic_write
from huntfeed.store import Store

_CAP = 100_000


@click.group("campaigns")
def campaigns_group() -> None:
    """Campaigns: profiles linked by shared infrastructure, a named family or an exploited CVE.

    \b
    Examples:
      huntfeed campaigns list
      huntfeed campaigns show c1a2b3c4d5e6f708 --format md
      huntfeed campaigns show 5d0f3cf51d97ca14            # the campaign of this profile
      huntfeed campaigns rebuild                          # index profiles stored before huntfeed 0.2
    """


@campaigns_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per campaign.")
def list_cmd(db_url: str | None, as_json: bool) -> None:
    """Every campaign, most recently active first.

    \b
    Example:
      huntfeed campaigns list --db sqlite:///out/huntfeed-demo.db
    """
    from huntfeed.campaigns.campaign import load_campaigns
    from huntfeed.campaigns.render import added_summary

    found = load_campaigns(Store(resolve_db(db_url)))
    if as_json:
        for c in found:
            click.echo(json.dumps({"id": c.id, "name": c.name, "reports": [p.id for p in c.members],
                                   "first_seen": c.first_seen.isoformat(), "last_seen": c.last_seen.isoformat(),
                                   "sources": list(c.sources)}))
        return
    emit_table(["id", "name", "reports", "first seen", "last seen", "sources", "latest report added"],
               [[c.id, c.name, str(len(c.members)), f"{c.first_seen:%Y-%m-%d}", f"{c.last_seen:%Y-%m-%d}",
                 ", ".join(c.sources), added_summary(c, len(c.members) - 1)] for c in found])


@campaigns_group.command("show")
@click.argument("ident")
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json", "stix"]), default="md", show_default=True)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (atomically) instead of stdout.")
@db_option
def show_cmd(ident: str, fmt: str, out: Path | None, db_url: str | None) -> None:
    """One campaign, by campaign id or by the id of one of its profiles.

    \b
    Examples:
      huntfeed campaigns show c5e1d7a0045d3b9d --format md
      huntfeed campaigns show bc9262511344f033 --format stix -o campaign.stix.json
    """
    from huntfeed.campaigns.campaign import campaign_of, find_campaign
    from huntfeed.campaigns.render import RENDER

    store = Store(resolve_db(db_url))
    c = find_campaign(store, ident) or campaign_of(store, ident)
    if c is None:
        raise ConfigError(f"no campaign {ident!r} (nor a profile that is part of one)")
    text = RENDER[fmt](c)
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write(out, text)
        err_console().print(f"wrote {out}")


@campaigns_group.command("rebuild")
@db_option
def rebuild_cmd(db_url: str | None) -> None:
    """Index every stored profile's linking keys and recompute all links (after changing rules.yaml).

    \b
    Example:
      huntfeed campaigns rebuild --db sqlite:///out/huntfeed-demo.db
    """
    from huntfeed.campaigns.linking import link_profile

    store = Store(resolve_db(db_url))
    profiles = store.list_profiles(limit=_CAP)
    n = sum(len(link_profile(store, p)) > 0 for p in profiles)
    err_console().print(f"indexed {len(profiles)} profile(s); {n} have campaign links")


commands: list[click.Command] = [campaigns_group]


def print_stories_and_campaigns(store: Store) -> None:
    """The demo's closing sections: merged copies, then each campaign with its sources and what each added."""
    from huntfeed.campaigns.campaign import load_campaigns
    from huntfeed.campaigns.render import added_summary
    from huntfeed.cli.common import safe

    console = err_console()
    merged = [p for p in store.list_profiles(limit=_CAP) if len(p.sources) > 1]
    console.print(f"[bold]{len(merged)} stories published more than once[/] (near-duplicates merged into one profile):")
    for p in merged:
        console.print(safe(f"  {p.title[:90]} ({p.id})"))
        for s in p.sources:
            sim = "" if s.similarity >= 1 else f", {s.similarity:.2f} similar"
            console.print(safe(f"      {s.source}: {s.url}{sim}"))
    found = load_campaigns(store)
    console.print(f"[bold]{len(found)} campaigns[/] across reports (huntfeed campaigns show ID):")
    for c in found:
        console.print(safe(f"  {c.id} {c.name}: {len(c.members)} reports, {c.first_seen:%Y-%m-%d} to "
                           f"{c.last_seen:%Y-%m-%d}, sources: {', '.join(c.sources)}"))
        for n, p in enumerate(c.members):
            console.print(safe(f"      {p.source}: {p.title[:70]} -- {added_summary(c, n)}"))
        for link in c.links:
            console.print(safe(f"      linked ({link.rule}): {link.reason[:150]}"))
