"""Command-line entry point: a thin shell over the library.

The root command and its lazy command table live in ``huntfeed.cli.root`` (click). ``main`` runs a
plain `huntfeed extract FILE ...` through ``huntfeed.cli.fast`` without importing click, and every
other command line through the root command. ``cli``, ``LazyGroup``, ``LAZY_COMMANDS`` and the
other names of ``root`` are read from here as before, loaded on first use.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from huntfeed.cli.root import COMMAND_MODULES, LAZY_COMMANDS, LazyGroup, cli

__all__ = ["COMMAND_MODULES", "LAZY_COMMANDS", "LazyGroup", "cli", "main"]


def main() -> None:
    """Console-script entry: map huntfeed errors to a clear message and exit code 2."""
    # Submodules by their full names: "from huntfeed.cli import fast" would ask __getattr__ first.
    from huntfeed.cli.fast import parse, run

    args = parse(sys.argv[1:])
    if args is not None and run(args):
        return
    from huntfeed.cli.root import main as root_main

    root_main()


def __getattr__(name: str) -> Any:
    # The root command's names, imported with click only when someone asks for them.
    if name.startswith("__"):
        raise AttributeError(name)
    import huntfeed.cli.root as root

    try:
        return getattr(root, name)
    except AttributeError:
        raise AttributeError(f"module 'huntfeed.cli' has no attribute {name!r}") from None
