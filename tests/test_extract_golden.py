"""Extraction output pinned, so that a restructuring of the scanners and fidelity rules changes
nothing by accident: every indicator (type, value, raw, span, defanged, fidelity, reason) on the
demo corpus is kept in full (tests/golden/extract_demo.jsonl, our own data), and on the shared
eval sets as a digest per set (their data stays in ../shared). Regenerate with UPDATE_GOLDEN=1
after a deliberate change and read the demo diff."""

from __future__ import annotations

import hashlib
import json

import pytest

from huntfeed.extract import extract
from huntfeed.feeds.article import html_to_text
from huntfeed.paths import package_data
from tests.conftest import shared_path
from tests.golden_check import check_golden


def _lines(doc_id: str, text: str) -> list[str]:
    return [
        json.dumps([doc_id, i.type.value, i.value, i.raw, i.start, i.end, i.defanged, i.fidelity.value, i.reason],
                   ensure_ascii=False)
        for i in extract(text, all=True)
    ]  # fmt: skip


def test_demo_corpus_output_is_pinned() -> None:
    root = package_data("demo")
    out: list[str] = []
    for page in sorted(root.glob("*/posts/*.html")):
        rel = page.relative_to(root).as_posix()
        out += _lines(rel, html_to_text(page.read_text(encoding="utf-8"), "https://demo.invalid/" + rel))
    check_golden("extract_demo.jsonl", "\n".join(out) + "\n")


@pytest.mark.parametrize(("name", "field"), [("ioc_cases.jsonl", "text"), ("reports_dev.jsonl", "full_text")])
def test_shared_sets_output_is_pinned(name: str, field: str) -> None:
    path = shared_path("eval", name)  # skips with a message where ../shared is absent
    digest = hashlib.sha256()
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for out in _lines(str(row["id"]), str(row.get(field) or "")):
            digest.update(out.encode() + b"\n")
            count += 1
    check_golden(f"extract_{name.split('.')[0]}.sha256", f"{count} {digest.hexdigest()}\n")
