"""`huntfeed analyze`: one document (or a JSONL stream of them) to profiles on stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

import click

from huntfeed.cli.common import allow_host_option, settings
from huntfeed.errors import ConfigError, HuntfeedError
from huntfeed.feeds.article import document_article, document_text
from huntfeed.feeds.fetch import Fetcher
from huntfeed.model import Article

if TYPE_CHECKING:  # the pipeline is heavy to import; load it only when a document is analysed
    from huntfeed.pipeline import Knowledge
from huntfeed.render import json_profile

MAX_DOCUMENT = 50 * 1024 * 1024


def _fetch(url: str, allow_hosts: tuple[str, ...], *, named_by_user: bool = True) -> str:
    # A URL typed on the command line is the user's choice, so its own host is allowed; URLs read
    # from a JSONL batch may come from anywhere (a scraped list, a feed archive) and get the
    # same guard as feed links. Redirects elsewhere are checked either way.
    host = (urlsplit(url).hostname or "").lower() if named_by_user else ""
    hosts = (*allow_hosts, host) if host else allow_hosts
    with Fetcher(settings().with_flags(allow_hosts=hosts).fetch) as fetcher:
        return fetcher.get(url).text


def _profile_json(kb: Knowledge, article: Article, doc_id: str | None) -> dict[str, Any]:
    from huntfeed.pipeline import analyse

    d = json_profile.profile_to_dict(analyse(article, kb))
    if doc_id is not None:
        d = {"id": doc_id, "profile_id": d.pop("id"), **d}
    return d


def _jsonl(stream: TextIO, kb: Knowledge, allow_hosts: tuple[str, ...]) -> int:
    failures = 0
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        doc_id: Any = f"line-{n}"
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ConfigError("each line must be a JSON object with id and text (or url)")
            doc_id = item.get("id", doc_id)
            if isinstance(item.get("text"), str):
                text = document_text(item["text"], item.get("url", ""))
            elif isinstance(item.get("url"), str):
                text = document_text(_fetch(item["url"], allow_hosts, named_by_user=False), item["url"])
            else:
                raise ConfigError("line has neither a text nor a url string")
            article = document_article(text, url=item.get("url", ""), title=item.get("title", ""), doc_id=str(doc_id))
            out = _profile_json(kb, article, doc_id)
        except (HuntfeedError, ValueError) as exc:
            failures += 1
            out = {"id": doc_id, "error": str(exc), "line": n}
        except Exception as exc:  # one bad line never stops the rest
            failures += 1
            out = {"id": doc_id, "error": f"{exc.__class__.__name__}: {exc}", "line": n}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return failures


@click.command("analyze")
@click.argument("source", default="-", metavar="[PATH|URL|-]")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--jsonl", is_flag=True,
              help="Input lines are {\"id\", \"text\"|\"url\"}; one JSON profile per line out.")
@click.option("--title", default="", help="Title for the profile (default: the document's first line).")
@allow_host_option
def analyze_cmd(source: str, fmt: str, jsonl: bool, title: str, allow_hosts: tuple[str, ...]) -> None:
    """Analyse one document (HTML or text; a file, a URL or stdin) and print its profile.

    \b
    Examples:
      huntfeed analyze report.html
      curl -s https://example.org/post | huntfeed analyze - --format json
      huntfeed analyze https://example.org/post
      huntfeed analyze --jsonl docs.jsonl > profiles.jsonl
    With --jsonl a bad line yields {"id", "error"} and the others go on; exit 1 if any line failed.
    """
    from huntfeed.pipeline import Knowledge, analyse

    kb = Knowledge.load()
    if jsonl:
        if source == "-":
            failures = _jsonl(sys.stdin, kb, allow_hosts)
        else:
            with open(source, encoding="utf-8", errors="replace") as fh:
                failures = _jsonl(fh, kb, allow_hosts)
        sys.exit(1 if failures else 0)
    url = ""
    if source == "-":
        raw = sys.stdin.read(MAX_DOCUMENT)
    elif source.startswith(("http://", "https://")):
        url = source
        raw = _fetch(source, allow_hosts)
    else:
        path = Path(source)
        try:
            raw = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror}", where=source) from exc
    article = document_article(document_text(raw, url), url=url, title=title, doc_id=Path(source).name)
    profile = analyse(article, kb)
    if fmt == "md":
        from huntfeed.render import markdown  # Jinja2 loads only for the Markdown form

        click.echo(markdown.render(profile), nl=False)
    else:
        click.echo(json_profile.render(profile), nl=False)


commands: list[click.Command] = [analyze_cmd]
