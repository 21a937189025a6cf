"""The shared reader of sectioned knob files: lines in, (section, line, where) or the exact error out."""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.errors import DataFileError
from huntfeed.sectioned import regex_or_error, sectioned_lines


def _header(line: str, where: str) -> str:
    if not line.startswith("["):
        raise DataFileError("expected [section]", where=where)
    return line.strip("[]")


def test_lines_belong_to_the_last_header(tmp_path: Path) -> None:
    path = tmp_path / "k.txt"
    path.write_text("# comment\n[a]\n  one\n\n  # indented comment\n[b]\n\ttwo  \n", encoding="utf-8")
    assert list(sectioned_lines(path, _header, "orphan")) == [
        ("a", "one", f"{path}:3"),
        ("b", "two", f"{path}:7"),
    ]


@pytest.mark.parametrize(("text", "message", "line"), [
    ("  early\n[a]\n", "orphan line", 1),
    ("[a]\nnot a header\n", r"expected \[section\]", 2),
])
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "k.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match=message) as info:
        list(sectioned_lines(path, _header, "orphan line"))
    assert info.value.where == f"{path}:{line}"


def test_a_bad_regex_is_a_data_file_error() -> None:
    assert regex_or_error("a+b", "f:1").pattern == "a+b"
    with pytest.raises(DataFileError, match="bad regular expression") as info:
        regex_or_error("(unclosed", "f:9")
    assert info.value.where == "f:9"
