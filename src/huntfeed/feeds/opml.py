"""Feed lists: OPML (how people move subscriptions) and a TOML form, both to Source records.

ElementTree rather than listparser: we need the ``reliability`` attribute we add to outlines,
and stdlib expat (>= 2.4) neither loads external entities nor expands entity bombs.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from huntfeed.errors import ConfigError, ParseError
from huntfeed.model import Source

_RATINGS = frozenset("ABCDEF")


def _rating(value: str | None, where: str) -> str:
    rating = (value or "B").strip().upper()
    if rating not in _RATINGS:
        raise ConfigError(f"reliability must be one of A-F, got {value!r}", where=where)
    return rating


def parse_opml(text: str, where: str = "<opml>") -> tuple[Source, ...]:
    """Every outline with an xmlUrl, in document order, duplicates dropped."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ParseError(f"not valid OPML: {exc}", where=where) from exc
    if root.tag.lower() != "opml":
        raise ParseError(f"root element is <{root.tag}>, not <opml>", where=where)
    sources: list[Source] = []
    seen: set[str] = set()
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        tags = tuple(t.strip() for t in (node.get("category") or "").replace("/", ",").split(",") if t.strip())
        sources.append(
            Source(
                url=url,
                name=(node.get("title") or node.get("text") or url).strip(),
                reliability=_rating(node.get("reliability"), f"{where}: {url}"),
                tags=tags,
            )
        )
    return tuple(sources)


def parse_toml(text: str, where: str = "<toml>") -> tuple[Source, ...]:
    """``[[feed]]`` tables with url, name, reliability and tags."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", where=where) from exc
    out: list[Source] = []
    for n, item in enumerate(data.get("feed", []), 1):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ConfigError(f"[[feed]] number {n} needs a url string", where=where)
        unknown = set(item) - {"url", "name", "reliability", "tags"}
        if unknown:
            raise ConfigError(f"[[feed]] number {n} has unknown keys: {', '.join(sorted(unknown))}", where=where)
        out.append(
            Source(
                url=item["url"],
                name=str(item.get("name", item["url"])),
                reliability=_rating(item.get("reliability"), f"{where}: feed {n}"),
                tags=tuple(str(t) for t in item.get("tags", ())),
            )
        )
    return tuple(out)


def load_feed_list(path: Path) -> tuple[Source, ...]:
    """A feed list file by its extension (.opml/.xml or .toml)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read feed list: {exc.strerror}", where=str(path)) from exc
    if path.suffix.lower() == ".toml":
        return parse_toml(text, str(path))
    return parse_opml(text, str(path))


def to_opml(sources: Sequence[Source], title: str = "huntfeed feeds") -> str:
    """An OPML 2.0 document for the given feeds."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_esc(title)}</title></head>",
        "  <body>",
    ]
    for s in sources:
        attrs = f'type="rss" text={quoteattr(s.name or s.url)} title={quoteattr(s.name or s.url)} ' \
                f"xmlUrl={quoteattr(s.url)} reliability={quoteattr(s.reliability)}"
        if s.tags:
            attrs += f" category={quoteattr(','.join(s.tags))}"
        lines.append(f"    <outline {attrs}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
