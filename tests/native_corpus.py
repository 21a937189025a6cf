"""The texts the C-against-twin tests run every accelerator over: the demo corpus and the shared sets."""

from __future__ import annotations

import json

from huntfeed.feeds.article import html_to_text
from huntfeed.paths import package_data
from tests.conftest import shared_path


def demo_texts() -> list[str]:
    """The demo site's articles as the pipeline reads them (HTML to text)."""
    root = package_data("demo")
    return [
        html_to_text(p.read_text(encoding="utf-8"), "https://demo.invalid/" + p.name)
        for p in sorted(root.glob("*/posts/*.html"))
    ]


def shared_texts(name: str, field: str) -> list[str]:
    """``field`` of every row of ``../shared/eval/<name>``; skips with a message where it is absent."""
    path = shared_path("eval", name)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [str(r.get(field) or "") for r in rows]
