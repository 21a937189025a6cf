"""`huntfeed worker`, `dispatch`, `schedule` and `backfill`: the scale mode from the command line.

Celery and Redis are imported inside the commands that need them, so the local mode (and
`huntfeed backfill` without --distributed) works without the ``huntfeed[scale]`` extra.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from huntfeed.cli.common import allow_host_option, db_option, err_console, parse_duration, settings
from huntfeed.errors import ConfigError
from huntfeed.paths import package_data


def _broker_option(func: Any) -> Any:
    return click.option("--broker", envvar="HUNTFEED_BROKER", default=None, metavar="URL",
                        help="Redis broker URL [env HUNTFEED_BROKER; default redis://127.0.0.1:6379/0].")(func)


def _scale_imports(broker: str | None) -> None:
    """Point the Celery app at ``broker`` (read when the app is first imported) and check the extra."""
    if broker:
        os.environ["HUNTFEED_BROKER"] = broker
        loaded = sys.modules.get("huntfeed.distributed.app")
        if loaded is not None:  # imported before the flag was read: repoint it
            loaded.app.conf.broker_url = broker
            loaded.app.conf.result_backend = os.environ.get("HUNTFEED_RESULTS") or broker
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "celery"
        raise ConfigError(f"the scale mode needs its extra: pip install 'huntfeed[scale]' ({missing} missing)") from exc


@click.command("worker")
@click.option("--concurrency", "-c", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: one per CPU core).")
@_broker_option
@click.option("--kev", "kev", type=click.Path(exists=True, dir_okay=False), default=None,
              help="KEV catalog JSON the workers score with [env HUNTFEED_KEV; default: the data folder's].")
@click.option("--pool", type=click.Choice(["prefork", "solo", "threads"]), default="prefork", show_default=True,
              help="Celery pool; solo runs tasks in this one process.")
@click.option("--loglevel", default="INFO", show_default=True)
def worker_cmd(concurrency: int | None, broker: str | None, kev: str | None, pool: str, loglevel: str) -> None:
    """Run a Celery worker that polls feeds and analyses articles queued by dispatch/backfill.

    \b
    Each worker process loads the ATT&CK engine and use cases once, then serves tasks.
    Example:
      HUNTFEED_BROKER=redis://10.0.0.5:6379/0 huntfeed worker --concurrency 4
    """
    _scale_imports(broker)
    if kev:
        os.environ["HUNTFEED_KEV"] = str(Path(kev).resolve())
    # One worker process per core: a process's numeric libraries must not start a thread per core
    # too (set before numpy loads; an operator's own setting wins).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    from huntfeed.distributed.app import app

    argv = ["worker", f"--loglevel={loglevel}", f"--pool={pool}", "-Q", "huntfeed", "--without-gossip",
            "--without-mingle"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv=argv)


@click.command("dispatch")
@db_option
@_broker_option
@click.option("--feeds", "feeds_file", metavar="FILE",
              help="OPML or TOML feed list to follow first ('default' = the bundled list).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Workers write <id>.md and <id>.json here (a folder they can all reach).")
@click.option("--force", is_flag=True, help="Poll feeds that are backing off after errors too.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until the workers finish.")
@click.option("--timeout", type=float, default=3600, show_default=True, help="Seconds to wait at most.")
@allow_host_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def dispatch_cmd(db_url: str | None, broker: str | None, feeds_file: str | None, out_dir: Path | None, force: bool,
                 wait: bool, timeout: float, allow_hosts: tuple[str, ...], as_json: bool) -> None:
    """Queue one poll per followed feed for the workers (the distributed `huntfeed run`).

    \b
    Example:
      huntfeed dispatch --db postgresql+psycopg://huntfeed@db/huntfeed --broker redis://10.0.0.5:6379/0
    """
    _scale_imports(broker)
    cfg = settings().with_flags(db_url=db_url, out_dir=out_dir, allow_hosts=allow_hosts)
    report = _dispatch_once(cfg.db_url, feeds_file, cfg.out_dir, force, wait, timeout, tuple(cfg.allow_hosts))
    _print_dispatch(report, as_json)


def _dispatch_once(db_url: str, feeds_file: str | None, out_dir: Path | None, force: bool, wait: bool,
                   timeout: float, allow_hosts: tuple[str, ...]) -> Any:
    from huntfeed.distributed.dispatch import dispatch_run
    from huntfeed.feeds.opml import load_feed_list
    from huntfeed.store import Store

    if feeds_file:
        store = Store(db_url)
        path = package_data("feeds", "default.opml") if feeds_file == "default" else Path(feeds_file)
        for source in load_feed_list(path):
            store.add_feed(source)
    console = err_console()
    return dispatch_run(db_url, allow_hosts=allow_hosts, out_dir=out_dir, force=force, wait=wait, timeout=timeout,
                        progress=lambda msg: console.print(msg))


def check_workers(timeout: float = 2.0) -> None:
    """Warn when no worker answers a ping: the run would wait for one until its timeout."""
    from kombu.utils.url import maybe_sanitize_url

    from huntfeed.distributed.app import app

    # Only a warning: a --pool solo worker busy with a long task cannot answer until it is done.
    if not app.control.ping(timeout=timeout):
        where = maybe_sanitize_url(app.conf.broker_url)
        err_console().print(f"[yellow]warning[/]: no worker answered on {where} within {timeout:g} s; "
                            "the run waits for one (start them with `huntfeed worker`, same --broker and --db)")


def distributed_run(db_url: str, broker: str | None, *, out_dir: Path | None, force: bool, timeout: float,
                    allow_hosts: tuple[str, ...], progress: Any = None) -> Any:
    """One `huntfeed run --distributed`: dispatch every feed to the workers, wait, and report as a local run does.

    Returns a huntfeed.runner.RunReport built from what the workers did and stored.
    """
    _scale_imports(broker)
    from huntfeed.distributed.dispatch import check_broker, dispatch_run
    from huntfeed.model import Issue
    from huntfeed.runner import RunReport
    from huntfeed.store import Store

    check_broker()
    check_workers()
    d = dispatch_run(db_url, allow_hosts=allow_hosts, out_dir=out_dir, force=force, timeout=timeout,
                     progress=progress)
    store = Store(db_url)
    report = RunReport(feeds_polled=d.feeds_queued, feeds_unchanged=d.feeds["unchanged"],
                       feeds_failed=d.feeds["failed"], feeds_skipped=d.feeds_skipped, pages_fetched=d.pages_fetched,
                       items_seen=d.items_seen, unchanged=d.items["unchanged"])
    for outcome, into in (("new", report.new), ("updated", report.updated)):
        into += [p for p in (store.get_profile(pid) for pid in d.profiles.get(outcome, ())) if p is not None]
    # The workers record their issues in the store, as the local run does; oldest first.
    report.issues = list(reversed(store.list_issues(limit=10_000, since=d.started_at)))
    recorded = {i.message for i in report.issues}
    report.issues += [Issue("workers", "dispatch", e) for e in d.errors if e.split(": ", 1)[-1] not in recorded]
    return report


def _print_dispatch(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        sys.stdout.flush()  # `schedule` runs until killed: each report must be out when printed
        return
    d = report.as_dict()
    err_console().print(f"[bold]dispatch[/]: {d['feeds_queued']} feed(s) queued, {d['feeds_skipped']} backing off; "
                        f"feeds {d['feeds'] or '-'}; items {d['items'] or '-'}")
    for error in d["errors"]:
        err_console().print(f"[yellow]issue[/] {error}")


@click.command("schedule")
@click.option("--every", metavar="DURATION", required=True, help="Interval between dispatches, e.g. 30m.")
@db_option
@_broker_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Workers write <id>.md and <id>.json here.")
@allow_host_option
@click.option("--json", "as_json", is_flag=True, help="One JSON report per dispatch on stdout.")
def schedule_cmd(every: str, db_url: str | None, broker: str | None, out_dir: Path | None,
                 allow_hosts: tuple[str, ...], as_json: bool) -> None:
    """Dispatch a poll of every feed at a fixed interval until interrupted (run one scheduler only).

    \b
    Example:
      huntfeed schedule --every 30m --db postgresql+psycopg://huntfeed@db/huntfeed
    """
    _scale_imports(broker)
    interval = parse_duration(every).total_seconds()
    cfg = settings().with_flags(db_url=db_url, out_dir=out_dir, allow_hosts=allow_hosts)
    from huntfeed.distributed.dispatch import DispatchError

    while True:
        started = time.monotonic()
        # Each round waits for its work, so a slow round delays the next instead of piling
        # duplicate tasks onto items still being analysed.
        try:
            report = _dispatch_once(cfg.db_url, None, cfg.out_dir, False, True, 24 * 3600.0,
                                    tuple(cfg.allow_hosts))
            _print_dispatch(report, as_json)
        except DispatchError as exc:  # a broker outage or a stuck round: say so, try again next time
            err_console().print(f"[yellow]dispatch failed[/]: {exc}")
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


@click.command("backfill")
@click.argument("source", type=click.Path(exists=True, path_type=Path), metavar="FILE.jsonl|DIR")
@db_option
@click.option("--distributed", is_flag=True, help="Queue the documents for the workers instead of analysing here.")
@_broker_option
@click.option("--batch", type=click.IntRange(1, 1000), default=25, show_default=True,
              help="Documents per worker task (--distributed).")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the workers (--distributed).")
@allow_host_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def backfill_cmd(source: Path, db_url: str | None, distributed: bool, broker: str | None, batch: int, wait: bool,
                 allow_hosts: tuple[str, ...], as_json: bool) -> None:
    """Analyse an archive of reports into the store; run it again to resume after an interruption.

    \b
    FILE.jsonl has one {"id", "text"|"url", "title"?, "published"?, "source"?} per line; a DIR is
    read for .html/.htm/.txt/.md files (id = path inside DIR). Done ids are recorded in the store
    and skipped next time. Exit status 1 when any document failed.
    Examples:
      huntfeed backfill reports.jsonl --db sqlite:///archive.db
      huntfeed backfill reports/ --distributed --db postgresql+psycopg://huntfeed@db/huntfeed
    """
    cfg = settings().with_flags(db_url=db_url, allow_hosts=allow_hosts)
    console = err_console()

    def show(r: Any) -> None:
        if not as_json:
            console.print(f"backfill: {r.seen} read, {r.skipped} already done, {r.queued} queued, {r.done} done, "
                          f"{r.failed} failed")

    if distributed:
        _scale_imports(broker)
        from huntfeed.distributed.dispatch import dispatch_backfill

        report = dispatch_backfill(cfg.db_url, source, batch=batch, allow_hosts=tuple(cfg.allow_hosts), wait=wait,
                                   progress=show)
    else:
        from huntfeed.distributed.backfill import backfill_local
        from huntfeed.feeds.fetch import Fetcher
        from huntfeed.pipeline import Knowledge
        from huntfeed.store import Store

        store = Store(cfg.db_url)
        from huntfeed.environment.load import find_environment

        kb = Knowledge.load(environment=find_environment())
        # An archive may come from anyone: its URLs pass the SSRF guard (widen it with --allow-host).
        with Fetcher(cfg.fetch) as fetcher:
            report = backfill_local(store, kb, source, fetch=lambda url: fetcher.get(url).text, progress=show)
    for bad in report.bad_lines:
        console.print(f"[yellow]skipped[/] {bad.where}: {bad.message}")
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        show(report)
    if report.failed or report.bad_lines:
        sys.exit(1)


commands: list[click.Command] = [worker_cmd, dispatch_cmd, schedule_cmd, backfill_cmd]
