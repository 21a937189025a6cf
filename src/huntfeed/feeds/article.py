"""From a feed item and its fetched page to the text huntfeed analyses."""

from __future__ import annotations

import logging

import trafilatura

from huntfeed.feeds.parse import strip_html
from huntfeed.model import Article, Entry, Source, TextSource

# Below this many characters a page is a stub ("full analysis to follow"): worth re-checking later.
THIN_TEXT = 1500
_MIN_PAGE_TEXT = 200

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


def html_to_text(page_html: str, url: str = "") -> str:
    """Main text of an HTML page (trafilatura), tables kept: IOC tables live there."""
    if not page_html.strip():
        return ""
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
    return Article(
        url=entry.link,
        title=entry.title,
        text=text,
        text_source=text_source,
        source_name=source.name or entry.source_name,
        published=entry.published,
        summary=summary[:1200],
        feed_url=entry.feed_url,
        guid=entry.guid,
        source_reliability=source.reliability,
    )


def is_thin(article: Article) -> bool:
    """True when a fuller write-up may still appear (summary only, or a short stub page)."""
    return article.text_source is not TextSource.FULL_ARTICLE or len(article.text) < THIN_TEXT
