"""YAML loading that remembers line numbers, so strict loaders can say ``file:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from huntfeed.errors import DataFileError


class LineDict(dict[str, Any]):
    """A mapping read from YAML; ``line`` is where it starts and ``lines`` where each key sits."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """1-based line of ``key`` (or of the mapping itself when the key is absent)."""
        return self.lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise DataFileError(
                f"keys must be strings, got {key!r}", where=f"line {key_node.start_mark.line + 1}"
            )
        if key in out:
            raise DataFileError(f"duplicate key {key!r}", where=f"line {key_node.start_mark.line + 1}")
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors and duplicate keys raise DataFileError with file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    return load_yaml_text(text, str(path))


def load_yaml_text(text: str, where: str) -> Any:
    """Parse YAML text; errors carry ``where:line``."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except DataFileError as exc:
        raise DataFileError(exc.message, where=f"{where}:{exc.where.removeprefix('line ')}") from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise DataFileError(f"invalid YAML: {exc.problem}", where=f"{where}:{line}") from exc
    except yaml.YAMLError as exc:
        raise DataFileError(f"invalid YAML: {exc}", where=where) from exc
