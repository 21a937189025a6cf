"""`huntfeed extract`: indicators out of a text file, stdin or a JSONL stream of documents."""

from __future__ import annotations

import click

from huntfeed.cli.extract_run import json_line, run

__all__ = ["commands", "extract_cmd", "json_line"]


@click.command("extract")
@click.argument("path", required=False, default="-", type=click.Path(exists=True, allow_dash=True, dir_okay=False))
@click.option(
    "--all", "all_", is_flag=True, help="Every syntactically valid indicator, not only high-fidelity ones."
)
@click.option(
    "--jsonl", is_flag=True, help='Input is JSON lines {"id", "text"}; one result line per document.'
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "text"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--source-url", default="", help="URL of the article: indicators on its own site are low fidelity."
)
def extract_cmd(path: str, all_: bool, jsonl: bool, fmt: str, source_url: str) -> None:
    """Extract indicators of compromise (refanged, with fidelity and reason) from text.

    \b
    Examples:
      huntfeed extract report.txt                  # high-fidelity indicators as JSON
      huntfeed extract report.txt --all --format text
      cat docs.jsonl | huntfeed extract - --jsonl  # {"id","text"} lines in, one result per line
    """
    with click.open_file(path, "r", encoding="utf-8", errors="replace") as fh:
        run(fh, path, all_, jsonl, fmt, source_url)


commands: list[click.Command] = [extract_cmd]
