"""Renderers: each turns a sequence of profiles into one document of its format.

The registry maps a format name to ``module:function``; modules load on first use so the
CLI stays quick and a format's heavy library is imported only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import cast

from huntfeed.errors import ConfigError
from huntfeed.model import Profile

Renderer = Callable[[Sequence[Profile]], str]

RENDERERS: dict[str, str] = {
    "md": "huntfeed.render.markdown:render_many",
    "json": "huntfeed.render.json_profile:render_many",
    "stix": "huntfeed.render.stix:render",
    "misp": "huntfeed.render.misp:render",
    "csv": "huntfeed.render.csv_out:render",
    "navigator": "huntfeed.render.navigator:render",
}


def get_renderer(fmt: str) -> Renderer:
    """The renderer for ``fmt``; a clear error names the known formats."""
    try:
        target = RENDERERS[fmt]
    except KeyError:
        raise ConfigError(f"unknown format {fmt!r}; known: {', '.join(sorted(RENDERERS))}") from None
    module, _, func = target.partition(":")
    return cast(Renderer, getattr(importlib.import_module(module), func))
