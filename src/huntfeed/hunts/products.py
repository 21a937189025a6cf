"""Which cloud, SaaS or appliance products an article names: imported Sigma rules for them need it."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from huntfeed.errors import DataFileError
from huntfeed.hunts.yamlfile import LineDict, load_yaml
from huntfeed.paths import package_data


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    alts = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


@functools.cache
def _own_name(product: str) -> re.Pattern[str]:
    return _words_pattern([product.replace("_", " "), product])


@dataclass(frozen=True, slots=True)
class ProductCues:
    """Cue words per product; a product not listed is named by its own name."""

    patterns: dict[str, re.Pattern[str]]

    def named(self, product: str, text: str) -> bool:
        """Whether ``text`` names ``product`` (a Sigma logsource product, lower case)."""
        return (self.patterns.get(product) or _own_name(product)).search(text) is not None


def load_product_cues(path: Path | None = None) -> ProductCues:
    """Load the product cue words (default: the bundled ``hunts/products.yaml``); errors give file:line."""
    path = path or package_data("hunts", "products.yaml")
    doc = load_yaml(path)
    if not isinstance(doc, LineDict) or not doc:
        raise DataFileError("expected a mapping of product to cue words", where=f"{path}:1")
    patterns = {}
    for name, words in doc.items():
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise DataFileError(f"{name!r} must be a list of words", where=f"{path}:{doc.line_of(name)}")
        patterns[str(name).lower()] = _words_pattern([w.strip().lower() for w in words])
    return ProductCues(patterns)
