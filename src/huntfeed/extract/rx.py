"""The extraction's regular expressions, compiled once per installation instead of once per process.

Compiling the extraction's 150 patterns (the TLD and heading-word alternations, the refang
styles) costs 25-30 ms of CPU in every process, a sixth of `huntfeed extract`'s start. Python's
``re`` parses a pattern and turns it into the engine's code, then hands that code to
``_sre.compile``; the code is a list of integers that depends only on the pattern, its flags and
the engine. ``compile`` keeps that code, per (pattern, flags), in one ``marshal`` file in the cache
folder (``huntfeed.paths.cache_dir``) and builds later processes' patterns straight from it.

The file is keyed by the interpreter's version and the engine's magic number and code size, so a
file written by another Python is never read; a missing or broken one means compiling as usual,
and an unwritable folder only costs that time. A pattern built from the file is the one
``re.compile`` returns (``Pattern.__eq__`` compares the pattern, flags and code; the tests check
every stored one). Patterns compiled for the first time are added to the file when the process
exits.
"""

from __future__ import annotations

import _sre
import atexit
import contextlib
import marshal
import re
import sys
from pathlib import Path
from typing import Any, AnyStr

_ENGINE = f"{sys.implementation.cache_tag}-{sys.hexversion:x}-{_sre.MAGIC}-{_sre.CODESIZE}"
# (pattern, flags) -> (final flags, code, groups, group index, index group): _sre.compile's arguments.
Entry = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
_stored: dict[tuple[str | bytes, int], Entry] | None = None
_added: dict[tuple[str | bytes, int], Entry] = {}
_used: dict[tuple[str | bytes, int], Entry] = {}
# More than this many stored patterns (patterns built from changing text would add some in every
# process): the file is written again with this process's patterns only.
MAX_STORED = 2048


def path() -> Path:
    """Where the compiled patterns are kept."""
    from huntfeed.paths import cache_dir

    return cache_dir() / f"extract-regex-{_ENGINE}.marshal"


def _load() -> dict[tuple[str | bytes, int], Entry]:
    try:
        data = marshal.loads(path().read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def entry_of(pattern: str | bytes, flags: int) -> Entry:
    """What re's compiler hands to _sre.compile for ``pattern`` (the steps of re._compiler.compile)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    # The opcodes are int subclasses (named constants): plain ints for marshal.
    return flags | parsed.state.flags, [int(c) for c in code], parsed.state.groups - 1, groupindex, tuple(indexgroup)


def _build(pattern: AnyStr, entry: Entry) -> re.Pattern[AnyStr]:
    built: re.Pattern[AnyStr] = _sre.compile(pattern, *entry)
    return built


def compile(pattern: AnyStr, flags: int | re.RegexFlag = 0) -> re.Pattern[AnyStr]:  # noqa: A001
    """``re.compile(pattern, flags)``, from the stored code when this pattern was compiled before."""
    global _stored
    if _stored is None:
        _stored = _load()
    key = (pattern, int(flags))
    entry = _stored.get(key)
    if entry is not None:
        with contextlib.suppress(Exception):  # a damaged entry: compile it as usual below
            built = _build(pattern, entry)
            _used[key] = entry
            return built
    compiled = re.compile(pattern, flags)
    try:
        entry = entry_of(pattern, int(flags))
    except Exception:  # noqa: BLE001 - another Python's compiler internals: just not stored
        return compiled
    if not _added:
        atexit.register(save)
    _added[key] = entry
    return compiled


def save() -> None:
    """Add this process's newly compiled patterns to the file (at exit; an unwritable folder is a cost)."""
    if not _added:
        return
    from huntfeed.paths import write_cache_file

    merged: dict[Any, Entry] = {**_load(), **_added}
    if len(merged) > MAX_STORED:
        merged = {**_used, **_added}
    with contextlib.suppress(OSError, ValueError):
        write_cache_file(path(), marshal.dumps(merged))
    _added.clear()
