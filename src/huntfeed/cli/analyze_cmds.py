"""`huntfeed analyze`: one document (or a JSONL stream of them) to profiles on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from huntfeed.cli.common import allow_host_option, settings
from huntfeed.cli.env_cmds import environment_option, load_for_command
from huntfeed.errors import ConfigError, HuntfeedError, ParseError
from huntfeed.feeds.article import document_article
from huntfeed.feeds.document import MAX_DOCUMENT_BYTES, Document, read_document, read_limited
from huntfeed.model import Article

if TYPE_CHECKING:  # the pipeline is heavy to import; load it only when a document is analysed
    from huntfeed.pipeline import Knowledge
from huntfeed.render import json_profile

# A --jsonl line holds one document as JSON text: room for the document limit plus escaping.
MAX_LINE = 4 * MAX_DOCUMENT_BYTES


def typed_host(url: str) -> str:
    """``host:port`` of a URL typed by the user (the scheme's port when none is written), or ''."""
    import httpx  # only for a URL: a document or a JSONL batch of texts never loads the HTTP stack (0.1 s)

    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError):
        return ""
    if not host or parsed.userinfo:
        return ""  # a URL with user info is refused by the guard anyway; allow nothing for it
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _fetch(url: str, allow_hosts: tuple[str, ...], *, named_by_user: bool = True) -> Document:
    # A URL typed on the command line is the user's choice, so its own host *and port* are allowed;
    # URLs read from a JSONL batch may come from anywhere (a scraped list, a feed archive) and get
    # the same guard as feed links. Every redirect hop is checked again against the same list.
    from huntfeed.feeds.fetch import Fetcher

    host = typed_host(url) if named_by_user else ""
    hosts = (*allow_hosts, host) if host else allow_hosts
    with Fetcher(settings().with_flags(allow_hosts=hosts).fetch) as fetcher:
        page = fetcher.get(url)
    return read_document(page.content, url=url)


def _profile_json(kb: Knowledge, article: Article, doc_id: str | None, notes: tuple[str, ...]) -> dict[str, Any]:
    from huntfeed.pipeline import analyse

    d = json_profile.profile_to_dict(replace(analyse(article, kb), notes=notes))
    if doc_id is not None:
        d = {"id": doc_id, "profile_id": d.pop("id"), **d}
    return d


def _lines(stream: TextIO) -> Iterator[tuple[int, str | None]]:
    """(number, line) for each line; None for a line over ``MAX_LINE`` characters, whose rest is skipped."""
    n = 0
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return
        n += 1
        if len(line) < MAX_LINE or line.endswith("\n"):
            yield n, line
            continue
        while (rest := stream.readline(MAX_LINE)) and not rest.endswith("\n"):
            pass
        yield n, None


def _jsonl_document(item: Any, allow_hosts: tuple[str, ...]) -> Document:
    if not isinstance(item, dict):
        raise ConfigError("each line must be a JSON object with id and text (or url)")
    if isinstance(item.get("text"), str):
        return read_document(item["text"], url=item.get("url", ""))
    if isinstance(item.get("url"), str):
        return _fetch(item["url"], allow_hosts, named_by_user=False)
    raise ConfigError("line has neither a text nor a url string")


def _jsonl(stream: TextIO, kb: Knowledge, allow_hosts: tuple[str, ...]) -> int:
    failures = 0
    for n, line in _lines(stream):
        if line is not None and not line.strip():
            continue
        doc_id: Any = f"line-{n}"
        try:
            if line is None:
                raise ParseError(f"line is longer than {MAX_LINE:,} characters; skipped")
            item = json.loads(line)
            doc_id = item.get("id", doc_id) if isinstance(item, dict) else doc_id
            doc = _jsonl_document(item, allow_hosts)
            article = document_article(doc.text, url=item.get("url", ""), title=item.get("title", ""),
                                       doc_id=str(doc_id))
            out = _profile_json(kb, article, doc_id, doc.notes)
        except (HuntfeedError, ValueError) as exc:
            failures += 1
            out = {"id": doc_id, "error": str(exc), "line": n}
        except Exception as exc:  # one bad line never stops the rest
            failures += 1
            out = {"id": doc_id, "error": f"{exc.__class__.__name__}: {exc}", "line": n}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return failures


def _read_source(source: str, allow_hosts: tuple[str, ...]) -> tuple[Document, str]:
    """The document named on the command line and its URL ('' unless it is one)."""
    if source.startswith(("http://", "https://")):
        return _fetch(source, allow_hosts), source
    if source == "-":
        data, more = read_limited(sys.stdin.buffer)
        return read_document(data, where="stdin", more=more), ""
    try:
        with open(source, "rb") as fh:
            data, more = read_limited(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", where=source) from exc
    return read_document(data, where=source, more=more), ""


@click.command("analyze")
@click.argument("source", default="-", metavar="[PATH|URL|-]")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--jsonl", is_flag=True,
              help="Input lines are {\"id\", \"text\"|\"url\"}; one JSON profile per line out.")
@click.option("--title", default="", help="Title for the profile (default: the document's first line).")
@allow_host_option
@environment_option
def analyze_cmd(source: str, fmt: str, jsonl: bool, title: str, allow_hosts: tuple[str, ...],
                environment_file: Path | None) -> None:
    """Analyse one document (HTML or text; a file, a URL or stdin) and print its profile.

    \b
    Examples:
      huntfeed analyze report.html
      curl -s https://example.org/post | huntfeed analyze - --format json
      huntfeed analyze https://example.org/post
      huntfeed analyze --jsonl docs.jsonl > profiles.jsonl
    With --jsonl a bad line yields {"id", "error"} and the others go on; exit 1 if any line failed.
    Input is read up to 5 MiB and text analysed up to 300,000 characters (the profile notes a cut);
    binary or empty input is refused with exit 1.
    """
    from huntfeed.pipeline import Knowledge, analyse, settle_heap

    environment = load_for_command(environment_file)  # a bad file fails before any input is read
    if jsonl:
        kb = Knowledge.load(environment=environment)
        settle_heap()  # many documents, one knowledge: the collector no longer walks it
        if source == "-":
            failures = _jsonl(sys.stdin, kb, allow_hosts)
        else:
            with open(source, encoding="utf-8", errors="replace") as fh:
                failures = _jsonl(fh, kb, allow_hosts)
        sys.exit(1 if failures else 0)
    try:
        doc, url = _read_source(source, allow_hosts)
    except ParseError as exc:  # binary or empty input: the user's input, not huntfeed's failure
        click.echo(f"huntfeed: error: {exc}", err=True)
        sys.exit(1)
    kb = Knowledge.load(environment=environment)
    article = document_article(doc.text, url=url, title=title, doc_id=Path(source).name)
    profile = replace(analyse(article, kb), notes=doc.notes)
    if fmt == "md":
        from huntfeed.render import markdown  # Jinja2 loads only for the Markdown form

        click.echo(markdown.render(profile), nl=False)
    else:
        click.echo(json_profile.render(profile), nl=False)


commands: list[click.Command] = [analyze_cmd]
