"""`huntfeed run` and `huntfeed demo`: polling runs with progress and a summary."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from huntfeed.cli.common import (
    allow_host_option,
    db_option,
    err_console,
    esc,
    is_tty,
    parse_duration,
    safe,
    settings,
)
from huntfeed.cli.env_cmds import environment_option, load_for_command
from huntfeed.demo import serve_demo
from huntfeed.errors import ConfigError
from huntfeed.feeds.fetch import Fetcher
from huntfeed.feeds.opml import load_feed_list, parse_opml
from huntfeed.model import Profile, Source
from huntfeed.paths import package_data

if TYPE_CHECKING:  # the pipeline loads scikit-learn and pySigma: import it only when a run starts
    from huntfeed.runner import Progress as ProgressFn
    from huntfeed.runner import RunReport
from huntfeed.store import Store


@contextmanager
def _progress() -> Iterator[ProgressFn]:
    console = err_console()
    if is_tty():
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("starting")

            def on_event(event: str, detail: str) -> None:
                if event == "issue":
                    console.print(f"[yellow]issue[/] {esc(detail)}")
                else:
                    bar.update(task, description=f"{event}: {esc(detail[:90])}")

            yield on_event
    else:

        def on_log(event: str, detail: str) -> None:
            console.print(safe(f"{event}: {detail}"))

        yield on_log


def summary_table(profiles: Sequence[Profile], title: str) -> Table:
    """The demo/run summary: severity, title, counts."""
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("severity")
    table.add_column("title", overflow="fold", max_width=70)
    table.add_column("IOCs", justify="right")
    table.add_column("techniques", justify="right")
    table.add_column("hunts", justify="right")
    table.add_column("v", justify="right")
    colours = {"CRITICAL": "bold red", "HIGH": "red", "MED": "yellow", "LOW": "green"}
    for p in sorted(profiles, key=lambda p: (-p.severity.rank, p.title)):
        from huntfeed.indicators import count_iocs  # CVE ids are not counted as IOCs

        n_high = count_iocs(p.indicators)
        table.add_row(f"[{colours[p.severity.value]}]{p.severity.value}[/]", safe(p.title), str(n_high),
                      str(len(p.techniques)), str(len(p.hunts)), str(p.version))
    return table


def report_dict(report: RunReport) -> dict[str, object]:
    """A run report as JSON."""
    return {
        "feeds_polled": report.feeds_polled,
        "feeds_unchanged": report.feeds_unchanged,
        "feeds_failed": report.feeds_failed,
        "feeds_skipped": report.feeds_skipped,
        "pages_fetched": report.pages_fetched,
        "items_seen": report.items_seen,
        "profiles_new": [p.id for p in report.new],
        "profiles_updated": [{"id": p.id, "version": p.version,
                              "changes": [f"{c.kind}: {c.detail}" for c in p.changes]} for p in report.updated],
        "unchanged": report.unchanged,
        "issues": [{"where": i.where, "stage": i.stage, "message": i.message} for i in report.issues],
    }


def _print_report(report: RunReport, heading: str) -> None:
    console = err_console()
    console.print(
        f"[bold]{heading}[/]: {report.feeds_polled} feed(s) polled, {report.feeds_unchanged} unchanged, "
        f"{report.feeds_failed} failed; {report.pages_fetched} page(s) fetched; "
        f"{len(report.new)} new, {len(report.updated)} updated profile(s); {len(report.issues)} issue(s)"
    )


def _print_changes(report: RunReport) -> None:
    console = err_console()
    for p in report.updated:
        console.print(f"[bold]updated[/] {esc(p.title)} -> version {p.version} \\[{p.severity.value}]")
        for c in p.changes:
            console.print(safe(f"    {c.kind}: {c.detail}"))


def _show_run(report: RunReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report_dict(report)))
        sys.stdout.flush()  # with --every the command runs until killed: each report must be out when printed
    else:
        _print_report(report, "run")
        _print_changes(report)
        if report.written:
            err_console().print(summary_table(report.written, "New and updated profiles"))


@click.command("run")
@click.option("--feeds", "feeds_file", metavar="FILE",
              help="OPML or TOML feed list to poll ('default' = the bundled list).")
@db_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write <id>.md and <id>.json for each new or updated profile here.")
@click.option("--every", metavar="DURATION", help="Keep polling at this interval (e.g. 30m) until interrupted.")
@click.option("--force", is_flag=True, help="Poll feeds that are backing off after errors too.")
@allow_host_option
@click.option("--distributed", is_flag=True,
              help="Hand the polls and analyses to Celery workers (scale mode; needs huntfeed[scale]).")
@click.option("--broker", envvar="HUNTFEED_BROKER", default=None, metavar="URL",
              help="Redis broker URL for --distributed [env HUNTFEED_BROKER; default redis://127.0.0.1:6379/0].")
@click.option("--timeout", type=float, default=3600, show_default=True,
              help="With --distributed: seconds to wait for the workers at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON on stdout.")
@environment_option
def run_cmd(feeds_file: str | None, db_url: str | None, out_dir: Path | None, every: str | None, force: bool,
            allow_hosts: tuple[str, ...], distributed: bool, broker: str | None, timeout: float,
            as_json: bool, environment_file: Path | None) -> None:
    """Poll the feeds once (or every DURATION), analyse what is new or changed, store profiles.

    \b
    Examples:
      huntfeed feeds import my-feeds.opml && huntfeed run --out profiles/
      huntfeed run --feeds default --every 30m
      huntfeed run --json | jq .profiles_new
      huntfeed run --distributed --db postgresql+psycopg://huntfeed@db/huntfeed --broker redis://10.0.0.5:6379/0
    With --distributed, `huntfeed worker` processes (same --db and --broker) do the polling and the
    analysis; --out must then be a folder every worker can write.
    Exit status: 0 when anything could be processed, 1 when every feed failed, 2 on bad usage.
    """
    cfg = settings().with_flags(db_url=db_url, out_dir=out_dir, allow_hosts=allow_hosts)
    out_dir = cfg.out_dir
    store = Store(cfg.db_url)
    if feeds_file:
        path = package_data("feeds", "default.opml") if feeds_file == "default" else Path(feeds_file)
        for source in load_feed_list(path):
            store.add_feed(source)
    feeds = store.list_feeds()
    if not feeds:
        raise ConfigError("no feeds to poll: use `huntfeed feeds add URL`, `huntfeed feeds import FILE.opml` "
                          "or `--feeds default`")
    interval = parse_duration(every).total_seconds() if every else None
    if distributed:
        from huntfeed.cli.scale_cmds import distributed_run

        if environment_file is not None:
            # Each worker loads its knowledge once, at start: the file must be named where they run.
            raise ConfigError("with --distributed the workers read the environment file: set HUNTFEED_ENVIRONMENT "
                              "(or put environment.toml in their data folder) where `huntfeed worker` runs")

        console = err_console()
        _poll_until_done(lambda: distributed_run(
            cfg.db_url, broker, out_dir=out_dir, force=force, timeout=timeout, allow_hosts=tuple(cfg.allow_hosts),
            progress=None if as_json else lambda msg: console.print(safe(msg))), interval, as_json)
        return
    from huntfeed.pipeline import Knowledge
    from huntfeed.runner import Runner

    knowledge = Knowledge.load(environment=load_for_command(environment_file))
    with Fetcher(cfg.fetch) as fetcher:
        def poll() -> RunReport:
            with _progress() as progress:
                return Runner(store, fetcher, knowledge, out_dir, progress).run(force=force)

        _poll_until_done(poll, interval, as_json)


def _poll_until_done(poll: Callable[[], RunReport], interval: float | None, as_json: bool) -> None:
    """Poll once, or every ``interval`` seconds until interrupted; exit 1 when the last poll processed nothing."""
    while True:
        report = poll()
        _show_run(report, as_json)
        if interval is None:
            break
        time.sleep(interval)
    if report.nothing_processed:
        sys.exit(1)


DEMO_DAY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the demo corpus's "today": its newest post is of 24 Nov
_SHOWN = 8  # blind spots listed by the demo; the digest and the web page have them all


def print_relevance(profiles: Sequence[Profile], env_file: Path) -> None:
    """Which profiles affect the team, and its blind spots per technique."""
    from huntfeed.environment.report import affecting, blind_spots

    console = err_console()
    hits = affecting(profiles)
    console.print(f"[bold]Affects the example team[/] ({esc(env_file.name)} in {esc(env_file.parent)}): "
                  f"{len(hits)} of {len(profiles)} profile(s)")
    for p in hits:
        said = "; ".join(f"{m.name}: {m.reason}" for m in p.relevance.matches) if p.relevance else ""
        console.print(safe(f"  [{p.severity.value}] {p.title}\n      {said}"))
    spots = blind_spots(profiles)
    console.print(f"[bold]Blind spots[/]: {len(spots)} technique(s) whose hunts no data source of the team can run")
    for b in spots[:_SHOWN]:
        console.print(safe(f"  {b.technique} {b.name} ({b.profiles} profile(s); {', '.join(b.hunts)})\n"
                           f"      would close it: {'; '.join(b.closes)}"))
    if len(spots) > _SHOWN:
        console.print(f"  ... and {len(spots) - _SHOWN} more: `huntfeed digest` or the web UI's Blind spots page")
    covered = sorted({(h.use_case, h.rule) for p in profiles if p.relevance for h in p.relevance.hunts if h.rule})
    for use_case, rule in covered:
        console.print(safe(f"  covered already: {use_case} by deployed rule {rule!r}"))


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Where the profiles (<id>.md, <id>.json) and the demo store go.")
@click.option("--json", "as_json", is_flag=True, help="Print the three run reports as JSON on stdout.")
@allow_host_option
def demo_cmd(out_dir: Path, as_json: bool, allow_hosts: tuple[str, ...]) -> None:
    """Run the whole pipeline on the bundled corpus, served over HTTP on loopback; no network needed.

    \b
    Three polls: the first analyses everything, the second finds nothing changed (one request
    per feed, no page fetched), the third sees the publisher's updates and lists what changed.
    Example:
      huntfeed demo --out out && ls out/
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "huntfeed-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    store = Store(f"sqlite:///{db_path}")
    console = err_console()
    console.print("[bold]huntfeed demo[/]: loading ATT&CK, use cases and rubric...")
    from huntfeed.environment.load import load_environment
    from huntfeed.pipeline import Knowledge
    from huntfeed.runner import Runner

    env_file = package_data("demo", "environment", "environment.toml")
    loaded = Knowledge.load(kev_path=package_data("demo", "kev.json"), environment=load_environment(env_file))
    knowledge = replace(loaded, expiry_as_of=DEMO_DAY)
    reports: list[RunReport] = []
    with serve_demo() as site:
        host = site.base.split("//", 1)[1]
        opml = site.body(site.root / "feeds.opml").decode("utf-8")
        sources: list[Source] = list(parse_opml(opml, "demo feeds.opml"))
        for source in sources:
            store.add_feed(source)
        console.print(f"serving the demo corpus at {site.base} ({len(sources)} feeds)")
        cfg = settings().with_flags(allow_hosts=(*allow_hosts, host))
        with Fetcher(cfg.fetch) as fetcher:
            for phase, heading in ((1, "poll 1 (first look)"), (1, "poll 2 (nothing changed)"),
                                   (2, "poll 3 (publisher updated)")):
                site.phase = phase
                with _progress() as progress:
                    report = Runner(store, fetcher, knowledge, out_dir, progress).run()
                reports.append(report)
                if not as_json:
                    _print_report(report, heading)
    if as_json:
        click.echo(json.dumps([report_dict(r) for r in reports], indent=2))
        return
    latest = store.list_profiles(limit=1000)
    console.print(summary_table(latest, f"{len(latest)} threat profiles in {out_dir}/"))
    _print_changes(reports[-1])
    print_relevance(latest, env_file)
    from huntfeed.cli.campaign_cmds import print_stories_and_campaigns

    print_stories_and_campaigns(store)
    console.print(f"Profiles: {out_dir}/<id>.md and .json  ·  store: {db_path}  ·  "
                  f"browse: huntfeed serve --db sqlite:///{db_path}")


commands: list[click.Command] = [run_cmd, demo_cmd]
