"""Commands for the use-case library, hunt validation and the KEV catalog."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from huntfeed.errors import QueryError


def _pack_option(f: Any) -> Any:
    return click.option("--pack", "packs", multiple=True, metavar="NAME",
                        help="Also load this opt-in use-case pack (e.g. audit; repeatable). "
                             "The config file's [usecases] packs are loaded too.")(f)


def _packs(flags: tuple[str, ...]) -> tuple[str, ...]:
    from huntfeed.hunts.packs import configured_packs

    return tuple(dict.fromkeys((*configured_packs(), *flags)))


@click.group("usecases")
def usecases() -> None:
    """Browse, lint and extend the detection use-case library.

    \b
    Example:
      huntfeed usecases list
      huntfeed usecases lint
      huntfeed usecases import-sigma ~/sigma/rules
    """


@usecases.command("list")
@click.option(
    "--path", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Use-case folder."
)
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@_pack_option
def list_cmd(path: Path | None, as_json: bool, packs: tuple[str, ...]) -> None:
    """List use cases with phase, confidence and techniques.

    \b
    Example:
      huntfeed usecases list --json | jq '.[].id'
      huntfeed usecases list --pack audit
    """
    from huntfeed.hunts import HuntLibrary

    lib = HuntLibrary.load(path, packs=_packs(packs))
    rows = [
        {
            "id": uc.id,
            "title": uc.title,
            "phase": uc.phase,
            "confidence": uc.confidence,
            "techniques": list(uc.techniques),
            "grade": uc.grade,
            "group": uc.group,
            "file": uc.path,
        }
        for uc in lib.usecases
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from huntfeed.cli.common import emit_table

    # A pipe gets tab-separated records (header first) and the count goes to stderr, not into the data.
    emit_table(["id", "phase", "confidence", "techniques"],
               [[uc.id, uc.phase, str(uc.confidence), ", ".join(uc.techniques)] for uc in lib.usecases])
    click.echo(f"{len(rows)} use cases; {len(lib.imported)} imported Sigma rules", err=True)


@usecases.command("show")
@click.argument("uc_id")
@click.option(
    "--target", type=click.Choice(["spl", "spl_raw", "kql", "sentinel", "sigma"]), help="Only this query."
)
@click.option("--backend", help="Any installed pySigma backend instead (e.g. elasticsearch).")
@click.option("--pipeline", help="pySigma pipeline for --backend (e.g. ecs_windows).")
@_pack_option
def show_cmd(uc_id: str, target: str | None, backend: str | None, pipeline: str | None,
             packs: tuple[str, ...]) -> None:
    """Print a use case's queries.

    \b
    Example:
      huntfeed usecases show UC_LSASS_DUMP --target kql
      huntfeed usecases show UC_LSASS_DUMP --backend elasticsearch --pipeline ecs_windows
    """
    from huntfeed.hunts import HuntLibrary
    from huntfeed.hunts.convert import convert_other

    lib = HuntLibrary.load(packs=_packs(packs))
    try:
        uc = lib.get(uc_id)
    except KeyError:
        raise click.BadParameter(f"no use case {uc_id}", param_hint="UC_ID") from None
    if backend:
        click.echo(convert_other(uc.sigma, backend, pipeline))
        return
    queries = lib.queries(uc)
    for name, query in queries.items():
        if target and name != target:
            continue
        if not target:
            click.echo(f"## {name}")
        click.echo(query)


@usecases.command("lint")
@click.option(
    "--path", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Use-case folder."
)
@click.option("--no-kql", is_flag=True, help="Skip Kusto.Language analysis (no Node needed).")
@_pack_option
def lint_cmd(path: Path | None, no_kql: bool, packs: tuple[str, ...]) -> None:
    """Check every use case: schema, Sigma, conversion to each target, SPL lint, KQL analysis.

    \b
    Example:
      huntfeed usecases lint
    """
    from huntfeed.hunts import HuntLibrary
    from huntfeed.hunts.lint import lint_library
    from huntfeed.hunts.validate import KustoChecker, kusto_available

    lib = HuntLibrary.load(path, packs=_packs(packs))
    if no_kql:
        problems = lint_library(lib)
    elif not kusto_available():
        raise QueryError(
            "KQL analysis needs Node and @kusto/language-service-next (`make kql` in the checkout); "
            "or pass --no-kql"
        )
    else:
        with KustoChecker() as checker:
            problems = lint_library(lib, checker)
    for p in problems:
        click.echo(str(p))
    click.echo(f"{len(lib.usecases)} use cases, {len(problems)} problem(s)")
    if problems:
        sys.exit(1)


@usecases.command("test")
@click.argument("uc_id", required=False)
@click.option(
    "--path", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Use-case folder."
)
@_pack_option
def test_cmd(uc_id: str | None, path: Path | None, packs: tuple[str, ...]) -> None:
    """Evaluate each use case's Sigma rule on its sample events (pySigma SQLite backend).

    Every 'match' event must fire the rule and no 'nomatch' look-alike may.

    \b
    Example:
      huntfeed usecases test
      huntfeed usecases test UC_LSASS_MEMORY_ACCESS
    """
    from huntfeed.hunts import HuntLibrary
    from huntfeed.hunts.sampletest import run_samples
    from huntfeed.hunts.usecase import UseCase

    lib = HuntLibrary.load(path, packs=_packs(packs))
    if uc_id:
        try:
            cases: tuple[UseCase, ...] = (lib.get(uc_id),)
        except KeyError:
            raise click.BadParameter(f"no use case {uc_id}", param_hint="UC_ID") from None
    else:
        cases = lib.usecases
    failed = 0
    for uc in cases:
        res = run_samples(uc)
        if res.ok:
            click.echo(f"ok    {uc.id}: {res.matched} matched, {res.nomatch_passed} look-alikes quiet")
            continue
        failed += 1
        click.echo(f"FAIL  {uc.id} ({uc.path})")
        for problem in res.problems:
            click.echo(f"      {problem}")
    click.echo(f"{len(cases) - failed} of {len(cases)} use cases pass their samples")
    if failed:
        sys.exit(1)


@usecases.command("import-sigma")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSON report.")
@click.option("--no-kql", is_flag=True, help="Do not analyse the KQL queries (no Node needed).")
@click.option("--replace", "replace_all", is_flag=True,
              help="Start afresh: drop every earlier import (default: merge by rule id).")
@click.option("--count-in-severity/--no-count-in-severity", "count_in_severity", default=None,
              help="Let fired imported rules count towards severity like use cases (stored with the "
                   "imports; default: as before, off at first).")
def import_sigma_cmd(directory: Path, as_json: bool, no_kql: bool, replace_all: bool,
                     count_in_severity: bool | None) -> None:
    """Import a folder of Sigma rules; rules tagged attack.tNNNN become hunts for that technique.

    Each target converts on its own, every KQL query is analysed by Kusto.Language (a rejected one is
    dropped and listed), technique ids are checked against the ATT&CK catalog, and a summary table ends
    the report. A new import merges with earlier ones by rule id (same id replaced, others kept);
    --replace starts afresh. Imported rules are gated by platform, ranked after the library's own and
    leave severity alone unless --count-in-severity.

    \b
    Example:
      huntfeed usecases import-sigma ./sigma/rules/windows
      huntfeed usecases import-sigma ./sigma/rules --replace --count-in-severity
    """
    from huntfeed.attack.engine import load_catalog
    from huntfeed.hunts.import_sigma import import_dir
    from huntfeed.hunts.imported import load_store, merge, save_store
    from huntfeed.hunts.validate import KustoChecker, kusto_available

    catalog = load_catalog()
    if no_kql or not kusto_available():
        report = import_dir(directory, catalog=catalog)
        report.kql_unchecked_why = "--no-kql" if no_kql else report.kql_unchecked_why
    else:
        with KustoChecker() as checker:
            report = import_dir(directory, catalog=catalog, checker=checker)
    merged = merge(load_store(), tuple(report.imported), replace_all=replace_all,
                   count_in_severity=count_in_severity)
    saved = save_store(merged.store)
    severity = "counted towards severity" if merged.store.count_in_severity else "severity left alone"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "imported": [r.id for r in report.imported],
                    "saved_to": str(saved),
                    "store": {"added": list(merged.added), "updated": list(merged.updated),
                              "kept": len(merged.kept), "removed": list(merged.removed),
                              "stored": len(merged.store.rules),
                              "count_in_severity": merged.store.count_in_severity},
                    "partial": [{"file": f, "reason": r} for f, r in report.partial],
                    "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
                    "failed": [{"file": f, "reason": r} for f, r in report.failed],
                    "never_fire": [{"file": f, "reason": r} for f, r in report.never_fire],
                    "unknown_techniques": dict(report.unknown_techniques),
                    "remapped_techniques": dict(report.remapped_techniques),
                    "unknown_entities": dict(report.unknown_entities),
                    "summary": [*report.summary(), f"{merged.line()}; {severity}"],
                },
                indent=2,
            )
        )
        return
    for label, rows in (("FAILED ", report.failed), ("PARTIAL", report.partial), ("SKIPPED", report.skipped),
                        ("NOFIRE ", report.never_fire)):
        for f, r in rows:
            click.echo(f"{label} {f}: {r}")
    if report.unknown_techniques:
        ids = ", ".join(f"{t} ({n})" for t, n in report.unknown_techniques.most_common())
        click.echo(f"unknown technique ids (not in the ATT&CK catalog; run `huntfeed attack update`): {ids}")
    if report.unknown_entities:
        ids = ", ".join(f"{t} ({n})" for t, n in report.unknown_entities.most_common())
        click.echo(f"unknown group/software ids (not in the ATT&CK catalog; those rules fire without the name): {ids}")
    for line in report.summary():
        click.echo(line)
    click.echo(f"{merged.line()}; {severity}")
    click.echo(f"saved to {saved}")


@click.group("hunts")
def hunts() -> None:
    """Work with generated hunt queries.

    \b
    Example:
      huntfeed hunts validate query.kql
    """


def _queries_from(text: str, dialect: str) -> list[tuple[str, str, str]]:
    """(id, dialect, query) triples: a profile JSON's hunts, or the text as one query."""
    from huntfeed.hunts.validate import guess_dialect

    try:
        doc: Any = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("hunts"), list):
        out = []
        for h in doc["hunts"]:
            for key, q in (h.get("queries") or {}).items():
                if key in ("spl", "spl_raw", "kql", "sentinel"):
                    out.append(
                        (f"{h.get('use_case', '?')}:{key}", "spl" if key.startswith("spl") else key, q)
                    )
        return out
    return [("query", guess_dialect(text) if dialect == "auto" else dialect, text)]


@hunts.command("validate")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--dialect", type=click.Choice(["auto", "spl", "kql", "sentinel"]), default="auto", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def validate_cmd(source: Any, dialect: str, as_json: bool) -> None:
    """Validate SPL (our lint) or KQL (Kusto.Language, Defender schema); a profile JSON checks every hunt.

    \b
    Example:
      echo 'DeviceProcessEvents | where FileName =~ "certutil.exe"' | huntfeed hunts validate -
      huntfeed hunts validate profile.json
    """
    from huntfeed.hunts.spl_lint import lint_spl
    from huntfeed.hunts.validate import KustoChecker, defender_schema, sentinel_schema

    items = _queries_from(source.read(), dialect)
    results: list[dict[str, Any]] = []
    kql_items = [i for i in items if i[1] != "spl"]
    for qid, d, q in items:
        if d == "spl":
            results.append({"id": qid, "dialect": d, "errors": lint_spl(q)})
    if kql_items:
        with KustoChecker() as checker:
            for name, schema in (("kql", defender_schema()), ("sentinel", sentinel_schema())):
                checker.set_schema(schema)
                for qid, d, q in kql_items:
                    if d == name:
                        results.append(
                            {"id": qid, "dialect": d, "errors": list(checker.check(q, qid=qid).errors)}
                        )
    bad = [r for r in results if r["errors"]]
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        for r in results:
            status = "ok" if not r["errors"] else "; ".join(r["errors"])
            click.echo(f"{r['id']} [{r['dialect']}]: {status}")
    if bad:
        sys.exit(1)


@click.group("kev")
def kev() -> None:
    """CISA Known Exploited Vulnerabilities catalog used by severity scoring.

    \b
    Example:
      huntfeed kev update
    """


@kev.command("update")
@click.option("--url", default=None, help="Catalog URL (default: CISA's JSON feed).")
def kev_update_cmd(url: str | None) -> None:
    """Download the KEV catalog into the data folder.

    \b
    Example:
      huntfeed kev update
      huntfeed kev update --url https://mirror.example/known_exploited_vulnerabilities.json
    """
    from huntfeed.hunts.kev import KEV_URL, update_kev

    path, count = update_kev(url or KEV_URL)
    click.echo(f"{count} known exploited CVEs saved to {path}")


commands: list[click.Command] = [usecases, hunts, kev]
