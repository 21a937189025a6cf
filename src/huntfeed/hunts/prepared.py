"""The use-case library prepared once: strictly loaded from its YAML files, then kept as JSON in the cache.

Parsing the library's YAML with line numbers (for ``file:line`` errors) takes about a quarter of a
second in every process that analyses; the loaded use cases are frozen dataclasses, so they are
written as JSON once and read back in a few milliseconds. The file is keyed by every use-case
file's name and bytes and by the loader's own code, so an edited, added or removed file, or a
changed loader, means a full strict load again (with its errors). A missing, foreign or broken file
is rebuilt; a folder that cannot be written only costs time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huntfeed import __version__
from huntfeed.hunts.usecase import UseCase, load_usecases
from huntfeed.paths import cache_dir, write_cache_file

_LOADER_SOURCES = ("usecase.py", "yamlfile.py", "prepared.py")


def _key(directory: Path) -> str:
    h = hashlib.sha256(f"huntfeed {__version__}\n".encode())
    here = Path(__file__).parent
    for name in _LOADER_SOURCES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    for path in sorted(directory.glob("*.y*ml")):  # the files load_usecases reads
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def prepared_usecases(directory: Path, *, folder: Path | None = None) -> tuple[UseCase, ...]:
    """What ``load_usecases(directory)`` returns, read from the prepared file when it is current."""
    path = (folder or cache_dir()) / f"usecases-{_key(directory)}.json"
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        return tuple(decode(UseCase, doc) for doc in json.loads(path.read_text(encoding="utf-8")))
    cases = load_usecases(directory)
    with contextlib.suppress(OSError):
        write_cache_file(path, json.dumps([encode(uc) for uc in cases], ensure_ascii=False).encode("utf-8"))
    return cases


def encode(value: Any) -> Any:
    """Dataclasses (field by field), enums (their value), tuples and mappings as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot prepare a {type(value).__name__}")


@functools.cache
def _fields(tp: type) -> tuple[dict[str, Any], frozenset[str]]:
    return typing.get_type_hints(tp), frozenset(f.name for f in dataclasses.fields(tp))


def decode(tp: Any, value: Any) -> Any:
    """The inverse of ``encode`` for type ``tp``, read from the dataclasses' own annotations."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints, names = _fields(tp)
        if set(value) != names:
            raise KeyError(f"the fields of {tp.__name__} changed")
        return tp(**{name: decode(hints[name], v) for name, v in value.items()})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v) for v in value)
        return tuple(decode(a, v) for a, v in zip(args, value, strict=True))
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return {k: decode(args[1], v) for k, v in value.items()}
    if origin in (types.UnionType, typing.Union):  # str | int, X | None: the first member that reads it
        for member in args:
            with contextlib.suppress(TypeError, KeyError, ValueError, AttributeError):
                return decode(member, value)
    if tp is type(None) and value is None:
        return None
    if tp in (str, int, float, bool) and isinstance(value, tp):
        return value
    raise TypeError(f"cannot read back {value!r} as {tp!r}")
