"""Optional C accelerators built from this folder's ``*.c`` files (see setup.py).

Import them through `load`, which returns None where the extension was not built (no compiler) or
where ``HUNTFEED_PURE=1`` asks for the pure-Python path, so every caller keeps a twin in Python.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The built accelerator ``huntfeed._native.<name>``, or None (not built, or HUNTFEED_PURE=1)."""
    if os.environ.get("HUNTFEED_PURE") == "1":
        return None
    try:
        return importlib.import_module(f"huntfeed._native.{name}")
    except ImportError:
        return None
