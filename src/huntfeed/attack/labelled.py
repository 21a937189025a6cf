"""Labelled text for training and evaluation: TRAM2-style reports and sentences.

Accepted inputs (``huntfeed attack train --extra FILE``):

* JSONL rows as in ``ttp_train.jsonl``: ``granularity: document`` rows (``doc_id``, ``text``,
  ``techniques``) with ``granularity: span`` rows (``doc_id``, ``char_span``, ``techniques``);
  rows of any other granularity (``text`` + ``techniques``) count as labelled sentences;
* TRAM's report export JSON: ``{"sentences": [{"text": ..., "mappings": [{"attack_id": ...}]}]}``
  (one object or a list of them), each report becoming a document made of its sentences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huntfeed.attack.text import Sentence, split_sentences
from huntfeed.errors import DataFileError

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_CITATION = re.compile(r"\(Citation:[^)]*\)")
_TAGS = re.compile(r"</?code>")


@dataclass
class LabelledDoc:
    """A report with its technique labels and, where known, the labelled character spans."""

    id: str
    text: str
    labels: set[str]
    spans: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)

    def sentences(self) -> list[tuple[Sentence, set[str]]]:
        """Sentences of the text, each with the labels of the spans that overlap it."""
        out = []
        spans = sorted(self.spans)
        for sent in split_sentences(self.text):
            labels: set[str] = set()
            for start, end, techs in spans:
                if start >= sent.end:
                    break
                if end > sent.start:
                    labels.update(techs)
            out.append((sent, labels))
        return out


@dataclass
class Labelled:
    """Documents (for document-level fitting and scoring) and loose labelled sentences."""

    docs: list[LabelledDoc] = field(default_factory=list)
    sentences: list[tuple[str, set[str]]] = field(default_factory=list)

    def extend(self, other: Labelled) -> None:
        self.docs.extend(other.docs)
        self.sentences.extend(other.sentences)


def clean_stix_text(text: str) -> str:
    """ATT&CK prose to plain text: drop citations and code tags, keep link text."""
    text = _CITATION.sub("", text)
    text = _LINK.sub(r"\1", text)
    return " ".join(_TAGS.sub("", text).split())


def load_labelled(path: Path) -> Labelled:
    """Read a JSONL or TRAM JSON file of labelled text (see module docstring)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"cannot read labelled data: {exc}", where=str(path)) from exc
    stripped = raw.lstrip()
    if stripped.startswith("[") or (stripped.startswith("{") and "\n{" not in stripped.rstrip()):
        try:
            return _from_tram_export(json.loads(raw), path)
        except ValueError:
            pass  # a one-line JSONL file
    return _from_jsonl(raw.splitlines(), path)


def _techniques(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFileError("'techniques' must be a list of technique ids", where=where)
    return tuple(v.strip().upper() for v in value)


def _from_jsonl(lines: Iterable[str], path: Path) -> Labelled:
    docs: dict[str, LabelledDoc] = {}
    spans: list[tuple[str, int, int, tuple[str, ...], str]] = []
    out = Labelled()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DataFileError(f"bad JSON: {exc}", where=where) from exc
        if not isinstance(row, dict) or "techniques" not in row:
            raise DataFileError("expected an object with 'techniques'", where=where)
        techs = _techniques(row["techniques"], where)
        gran = row.get("granularity", "")
        if gran == "document":
            did = str(row.get("doc_id") or row.get("id"))
            docs[did] = LabelledDoc(did, str(row["text"]), set(techs))
        elif gran == "span":
            cs = row.get("char_span")
            if not (isinstance(cs, list) and len(cs) == 2):
                raise DataFileError("span rows need 'char_span': [start, end]", where=where)
            spans.append((str(row.get("doc_id")), int(cs[0]), int(cs[1]), techs, where))
        else:
            out.sentences.append((str(row.get("text", "")), set(techs)))
    for did, start, end, techs, where in spans:
        if did not in docs:
            raise DataFileError(f"span of unknown document {did!r}", where=where)
        docs[did].spans.append((start, end, techs))
    out.docs = list(docs.values())
    return out


def _from_tram_export(data: Any, path: Path) -> Labelled:
    reports = data if isinstance(data, list) else [data]
    out = Labelled()
    for n, rep in enumerate(reports):
        if not isinstance(rep, Mapping) or not isinstance(rep.get("sentences"), list):
            raise DataFileError("expected TRAM report objects with a 'sentences' list", where=f"{path}#{n}")
        parts: list[str] = []
        spans: list[tuple[int, int, tuple[str, ...]]] = []
        pos = 0
        for sent in rep["sentences"]:
            text = str(sent.get("text", "")).strip()
            ids = tuple(
                str(m.get("attack_id", "")).upper() for m in sent.get("mappings") or () if m.get("attack_id")
            )
            if ids:
                spans.append((pos, pos + len(text), ids))
            parts.append(text)
            pos += len(text) + 1
        labels = {t for _, _, ids in spans for t in ids}
        out.docs.append(
            LabelledDoc(str(rep.get("name") or f"{path.name}#{n}"), "\n".join(parts), labels, spans)
        )
    return out
