"""`huntfeed feedback ...`: the analyst's judgement, kept in the store and applied to every later analysis."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from huntfeed.cli.common import db_option, emit_table, err_console, esc, resolve_db
from huntfeed.environment.feedback import (
    FALSE_POSITIVE,
    NOT_IN_REPORT,
    SCOPES,
    dumps,
    loads,
    make_rule,
    rule_to_dict,
)
from huntfeed.errors import ConfigError
from huntfeed.model import IndicatorType
from huntfeed.store import Store


@click.group("feedback")
def feedback_group() -> None:
    """Mark values as false positives and techniques as not in a report; share the rules as a file."""


def _added(new: bool, what: str) -> None:
    err_console().print(f"{'recorded' if new else 'already recorded'}: {esc(what)}; applied from the next analysis on")


@feedback_group.command("false-positive")
@click.argument("value")
@click.option("--type", "itype", type=click.Choice([t.value for t in IndicatorType]), default=None,
              help="Only values of this indicator type (default: any type).")
@click.option("--scope", type=click.Choice(SCOPES), default="global", show_default=True,
              help="Everywhere, one feed's profiles, or one profile.")
@click.option("--target", default="", help="The feed URL (--scope feed) or the profile id (--scope profile).")
@click.option("--reason", required=True, help="Why it is noise; shown to the next analyst.")
@db_option
def feedback_fp(value: str, itype: str | None, scope: str, target: str, reason: str, db_url: str | None) -> None:
    """A value that is noise: later analyses keep it as low fidelity (analyst:false-positive).

    \b
    Examples:
      huntfeed feedback false-positive 8.8.8.8 --type ipv4 --reason "Google DNS, named as a resolver"
      huntfeed feedback false-positive cdn.example.net --scope feed --target https://blog.example/feed --reason CDN
    """
    rule = make_rule(FALSE_POSITIVE, value, type=itype or "", scope=scope, target=target, reason=reason)
    _added(Store(resolve_db(db_url)).add_feedback(rule), f"{rule.value} is a false positive ({scope})")


@feedback_group.command("not-in-report")
@click.argument("technique")
@click.option("--profile", "profile_id", required=True, help="The profile whose report does not show it.")
@click.option("--reason", required=True, help="Why the technique is wrong for this report.")
@db_option
def feedback_not_in_report(technique: str, profile_id: str, reason: str, db_url: str | None) -> None:
    """A technique inferred for a profile that its report does not describe.

    \b
    Example: huntfeed feedback not-in-report T1027 --profile 3f2a9c0d1e4b5a67 --reason "obfuscation only quoted"
    """
    rule = make_rule(NOT_IN_REPORT, technique, scope="profile", target=profile_id, reason=reason)
    _added(Store(resolve_db(db_url)).add_feedback(rule), f"{rule.value} is not in profile {profile_id}")


@feedback_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one rule each.")
def feedback_list(db_url: str | None, as_json: bool) -> None:
    """Every rule, oldest first.  Example: huntfeed feedback list --json"""
    rules = Store(resolve_db(db_url)).list_feedback()
    if as_json:
        for r in rules:
            click.echo(json.dumps({"n": r.n, **rule_to_dict(r)}))
        return
    emit_table(["n", "kind", "value", "type", "scope", "target", "reason"],
               [[str(r.n), r.kind, r.value, r.type or "any", r.scope, r.target, r.reason] for r in rules])


@feedback_group.command("remove")
@click.argument("n", type=int)
@db_option
def feedback_remove(n: int, db_url: str | None) -> None:
    """Forget rule N (see `feedback list`).  Example: huntfeed feedback remove 3"""
    if not Store(resolve_db(db_url)).remove_feedback(n):
        raise ConfigError(f"no feedback rule {n}")
    err_console().print(f"removed rule {n}")


@feedback_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@db_option
def feedback_export(output: Path | None, db_url: str | None) -> None:
    """Write every rule to a file another team can import.  Example: huntfeed feedback export -o noise.json"""
    text = dumps(Store(resolve_db(db_url)).list_feedback())
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@feedback_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def feedback_import(file: Path, db_url: str | None) -> None:
    """Add the rules of an exported file (all checked first; rules already there are skipped).

    \b
    Example: huntfeed feedback import noise.json
    """
    rules = loads(file.read_text(encoding="utf-8"), str(file))
    store = Store(resolve_db(db_url))
    added = sum(store.add_feedback(r) for r in rules)
    err_console().print(f"{len(rules)} rule(s) in {esc(file)}: {added} new, {len(rules) - added} already recorded")


commands: list[click.Command] = [feedback_group]
