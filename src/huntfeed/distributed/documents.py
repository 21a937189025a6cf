"""Archived reports for `huntfeed backfill`: read as a stream, analysed one by one.

Input is JSONL (``{"id", "text"|"url", "title"?, "published"?, "source"?}`` per line) or a folder
of .html/.htm/.txt/.md files (the id is the path inside the folder). Nothing is held in memory
beyond the document being read, so archives of any size stream through.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from huntfeed.distributed.work import rebase_profile
from huntfeed.errors import ConfigError, HuntfeedError
from huntfeed.feeds.article import document_article, document_text
from huntfeed.model import Article, Profile, as_utc
from huntfeed.pipeline import Knowledge, analyse
from huntfeed.store import BackfillMark, Store

DOC_SUFFIXES = (".html", ".htm", ".txt", ".md")
MAX_DOCUMENT = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Doc:
    """One archived report as read from the input; ``text`` or ``url`` is set."""

    doc_id: str
    text: str | None = None
    url: str = ""
    title: str = ""
    published: str = ""
    source: str = ""
    origin: str = ""

    @property
    def fingerprint(self) -> str:
        """What the document's analysis depends on: a re-run skips it while this is unchanged."""
        h = hashlib.sha256()
        for part in (self.title, self.url, self.text or "", self.published, self.source):
            h.update(part.encode("utf-8", "surrogatepass") + b"\x00")
        return h.hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The task message form."""
        return {"doc_id": self.doc_id, "text": self.text, "url": self.url, "title": self.title,
                "published": self.published, "source": self.source, "origin": self.origin}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Doc:
        """Back from the task message form."""
        return cls(**d)


@dataclass(frozen=True, slots=True)
class BadLine:
    """A JSONL line that is not a usable document."""

    where: str
    doc_id: str | None
    message: str


def _field(item: dict[str, Any], key: str) -> str:
    value = item.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{key!r} must be a string")
    return value


def read_jsonl(path: Path) -> Iterator[Doc | BadLine]:
    """Documents of a JSONL file, one per non-empty line; bad lines come back as BadLine."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            doc_id: str | None = None
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ConfigError("each line must be a JSON object with id and text (or url)")
                if not isinstance(item.get("id"), (str, int)) or isinstance(item.get("id"), bool):
                    raise ConfigError("line has no string or integer 'id'")
                doc_id = str(item["id"])
                text = item.get("text")
                if text is not None and not isinstance(text, str):
                    raise ConfigError("'text' must be a string")
                url = _field(item, "url")
                if text is None and not url.startswith(("http://", "https://")):
                    raise ConfigError("line has neither a 'text' nor an http(s) 'url'")
                yield Doc(doc_id, text, url, _field(item, "title"), _field(item, "published"), _field(item, "source"),
                          where)
            except (ValueError, HuntfeedError) as exc:
                yield BadLine(where, doc_id, str(exc))


def read_dir(root: Path) -> Iterator[Doc]:
    """Documents of a folder tree, in a stable order; the id is the relative path."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in DOC_SUFFIXES):
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(MAX_DOCUMENT)
        yield Doc(path.relative_to(root).as_posix(), text, origin=str(path))


def read_input(path: Path) -> Iterator[Doc | BadLine]:
    """JSONL file or folder, whichever ``path`` is."""
    if path.is_dir():
        yield from read_dir(path)
    elif path.is_file():
        yield from read_jsonl(path)
    else:
        raise ConfigError("no such file or folder", where=str(path))


def _published(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return as_utc(when)


def doc_article(doc: Doc, raw: str) -> Article:
    """The Article for a document (same identity scheme as `huntfeed analyze --jsonl`)."""
    return document_article(document_text(raw, doc.url), url=doc.url, title=doc.title, doc_id=doc.doc_id,
                            source_name=doc.source, published=_published(doc.published))


Fetch = Callable[[str], str]


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, HuntfeedError) else f"{exc.__class__.__name__}: {exc}"


def analyse_batch(store: Store, kb: Knowledge, docs: Sequence[Doc], fetch: Fetch | None = None, *,
                  retry: Callable[[HuntfeedError], bool] = lambda _: False) -> Counter[str]:
    """Analyse documents and store their profiles and outcomes in one transaction; counts done | failed.

    A document whose text cannot be had (no fetch, or its URL failed) is recorded as failed,
    unless ``retry`` says the failure is worth retrying: then what was analysed before it is
    stored and the error propagates, so a task can retry the rest.
    """
    built: list[tuple[Doc, Article]] = []
    marks: list[BackfillMark] = []
    try:
        for doc in docs:
            try:
                if doc.text is not None:
                    raw = doc.text
                elif fetch is None:
                    raise ConfigError("document has only a url and fetching is off", where=doc.doc_id)
                else:
                    raw = fetch(doc.url)
                built.append((doc, doc_article(doc, raw)))
            except HuntfeedError as exc:
                if retry(exc):
                    raise
                marks.append(BackfillMark(doc.doc_id, doc.fingerprint, "failed", error=_message(exc),
                                          origin=doc.origin))
            except Exception as exc:  # one bad document never stops the archive
                marks.append(BackfillMark(doc.doc_id, doc.fingerprint, "failed", error=_message(exc),
                                          origin=doc.origin))
    finally:
        _analyse_and_store(store, kb, built, marks)
    return Counter(m.state for m in marks)


def _analyse_and_store(store: Store, kb: Knowledge, built: list[tuple[Doc, Article]],
                       marks: list[BackfillMark]) -> None:
    previous = store.latest_profiles(a.profile_id for _, a in built)
    feedback = tuple(store.list_feedback())
    profiles: list[Profile] = []
    queued = {(pid, p.content_hash) for pid, p in previous.items()}
    for doc, article in built:
        try:
            # Content already stored (or already in this batch) needs no analysis, as in the local run.
            if (article.profile_id, article.content_hash) not in queued:
                profiles.append(analyse(article, kb, previous=previous.get(article.profile_id), feedback=feedback))
                queued.add((article.profile_id, article.content_hash))
            marks.append(BackfillMark(doc.doc_id, doc.fingerprint, "done", profile_id=article.profile_id,
                                      origin=doc.origin))
        except Exception as exc:  # one bad document never stops the archive
            marks.append(BackfillMark(doc.doc_id, doc.fingerprint, "failed", error=_message(exc), origin=doc.origin))
    # A later version of a profile in this batch was built on the stored one: save_profiles rebases it.
    store.save_profiles(profiles, rebase=rebase_profile, backfill=marks)
