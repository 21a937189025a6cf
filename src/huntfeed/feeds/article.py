"""From a feed item and its fetched page to the text huntfeed analyses."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

from huntfeed.errors import ParseError
from huntfeed.feeds.parse import clean_text, strip_html
from huntfeed.model import Article, Entry, Source, TextSource

if TYPE_CHECKING:  # an annotation only: a document analysed from a file never loads the HTTP stack
    from huntfeed.feeds.fetch import FetchResult

# Below this many characters a page is a stub ("full analysis to follow"): worth re-checking later.
THIN_TEXT = 1500
# Analysis cost grows with the text; a real write-up is far shorter than this, a padded page is not.
MAX_TEXT = 300_000
_MIN_PAGE_TEXT = 200

_LOOKS_HTML = re.compile(r"(?is)^\s*(<!doctype html|<html|<head|<body|<article|<div|<p[ >])")

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


def html_to_text(page_html: str, url: str = "") -> str:
    """Main text of an HTML page (trafilatura), tables kept: IOC tables live there."""
    if not page_html.strip():
        return ""
    import trafilatura  # 0.15 s of imports, only for HTML: a plain-text document never needs it

    text = trafilatura.extract(
        page_html,
        url=url or None,
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_formatting=False,
        favor_recall=True,
        deduplicate=False,
    )
    return text or ""


_TEXTUAL = ("text/", "application/xhtml", "application/xml", "application/rss", "application/atom")
BINARY_MAGIC = {
    b"\x89PNG": "a PNG image", b"GIF8": "a GIF image", b"\xff\xd8\xff": "a JPEG image", b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive", b"\x7fELF": "an ELF binary", b"MZ": "a Windows executable",
    b"\x1f\x8b": "gzip data", b"7z\xbc\xaf": "a 7-Zip archive", b"Rar!": "a RAR archive",
}


def document_text(raw: str, url: str = "") -> str:
    """A standalone document's text: the main text if it is an HTML page, else as given."""
    return html_to_text(raw, url) if _LOOKS_HTML.match(raw[:2000]) else raw


def document_article(text: str, *, url: str = "", title: str = "", doc_id: str = "", source_name: str = "",
                     published: datetime | None = None) -> Article:
    """An Article for a document with no feed; ``urn:huntfeed:doc:<id>`` stands in for a missing URL."""
    return Article(
        url=url or (f"urn:huntfeed:doc:{doc_id}" if doc_id else ""),
        title=title or first_line_title(text, doc_id or "document"),
        text=text,
        text_source=TextSource.DOCUMENT,
        source_name=source_name,
        published=published,
        summary=" ".join(text.split())[:600],
    )


def first_line_title(text: str, fallback: str) -> str:
    """A document's title when nothing else names it: its first non-blank line, Markdown '#' removed."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback


def page_text(page: FetchResult) -> str:
    """Main text of a fetched article page; a page that is not HTML text is a ParseError saying what it is."""
    ctype = page.content_type.split(";", 1)[0].strip().lower()
    head = page.content[:4096]
    what = next((name for magic, name in BINARY_MAGIC.items() if head.startswith(magic)), "")
    if what or b"\x00" in head:
        raise ParseError(f"page is {what or 'binary data'}, not HTML (served as {ctype or 'no content type'})",
                         where=page.url)
    if ctype and not ctype.startswith(_TEXTUAL):
        raise ParseError(f"page is {ctype}, not HTML", where=page.url)
    try:
        text = html_to_text(page.text, page.url)
    except (RecursionError, MemoryError) as exc:
        raise ParseError(f"page too deeply nested or too large to read: {exc.__class__.__name__}",
                         where=page.url) from exc
    except Exception as exc:  # trafilatura and lxml raise a zoo of types on crafted markup
        raise ParseError(f"page text extraction failed: {exc.__class__.__name__}: {exc}", where=page.url) from exc
    if not text.strip() and page.content.strip():
        raise ParseError(f"no readable main text in the page ({len(page.content)} bytes)", where=page.url)
    return clean_text(text)


def build_article(entry: Entry, source: Source, page_text: str | None) -> Article:
    """Pick the fullest text available and say which one it was."""
    summary = entry.summary.strip()
    content_text = strip_html(entry.content) if entry.content else ""
    candidates: list[tuple[TextSource, str]] = []
    if page_text and len(page_text.strip()) >= _MIN_PAGE_TEXT:
        candidates.append((TextSource.FULL_ARTICLE, page_text.strip()))
    if content_text:
        candidates.append((TextSource.FEED_CONTENT, content_text))
    candidates.append((TextSource.RSS_SUMMARY, summary))
    # Prefer the page, unless the feed's own content is clearly fuller (a stub page, say).
    text_source, text = candidates[0]
    for other_source, other in candidates[1:]:
        if len(other) > 2 * len(text):
            text_source, text = other_source, other
    if not text:
        text = entry.title
    # Control characters (NULs above all, which PostgreSQL refuses) are dropped here too, whatever
    # path the entry took: stored by an older version, built by hand, or from a document.
    return Article(
        url=clean_text(entry.link),
        title=clean_text(entry.title),
        text=clean_text(text[:MAX_TEXT]),
        text_source=text_source,
        source_name=clean_text(source.name or entry.source_name),
        published=entry.published,
        summary=clean_text(summary[:1200]),
        feed_url=entry.feed_url,
        guid=entry.guid,
        source_reliability=source.reliability,
    )


def is_thin(article: Article) -> bool:
    """True when a fuller write-up may still appear (summary only, or a short stub page)."""
    return article.text_source is not TextSource.FULL_ARTICLE or len(article.text) < THIN_TEXT
