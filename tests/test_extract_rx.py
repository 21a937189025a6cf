"""The extraction's compiled patterns kept in the cache folder (extract/rx.py): every pattern built
from the file is the one re.compile builds, the file stops changing once written, and a broken or
foreign file only means compiling as usual."""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from huntfeed.extract import rx

# One process: extract from a text that reaches every scanner and the outline, then report what
# rx did. Run fresh each time, so its module state is that of a new `huntfeed extract`.
_CHILD = """
import json
from huntfeed.extract import extract, rx
text = "## IOCs\\n| evil[.]com | 1.2.3.4 | d41d8cd98f00b204e9800998ecf8427e |\\nSee hxxp://x[.]org/a " * 40
found = extract(text, all=True)
print(json.dumps({"added": len(rx._added), "used": len(rx._used), "found": len(found)}))
"""


def _run(cache: Path) -> dict[str, int]:
    import json

    env = {**os.environ, "HUNTFEED_CACHE": str(cache)}
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True)
    result: dict[str, int] = json.loads(out.stdout)
    return result


def _file(cache: Path) -> Path:
    files = list(cache.glob("extract-regex-*.marshal"))
    assert len(files) == 1, files
    return files[0]


def test_written_once_then_read_back_unchanged(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert first["added"] > 100 and first["used"] == 0  # every pattern compiled, then stored at exit
    stored = _file(tmp_path).read_bytes()
    second = _run(tmp_path)
    assert second["added"] == 0 and second["used"] == first["added"]
    assert second["found"] == first["found"]
    assert _file(tmp_path).read_bytes() == stored  # nothing new: the file is not written again


def test_every_stored_pattern_is_what_re_compile_builds(tmp_path: Path) -> None:
    _run(tmp_path)
    entries = marshal.loads(_file(tmp_path).read_bytes())
    assert len(entries) > 100
    for (pattern, flags), entry in entries.items():
        built = rx._build(pattern, entry)
        assert built == re.compile(pattern, flags), pattern  # Pattern.__eq__: pattern, flags and code
        assert built.groupindex == re.compile(pattern, flags).groupindex


def test_a_broken_file_is_compiled_around_and_replaced(tmp_path: Path) -> None:
    _run(tmp_path)
    path = _file(tmp_path)
    path.write_bytes(b"not marshal data")
    again = _run(tmp_path)
    assert again["added"] > 100 and again["used"] == 0
    assert isinstance(marshal.loads(path.read_bytes()), dict)


def test_a_damaged_entry_is_compiled_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    key = (r"a(?P<x>b)+c", 0)
    monkeypatch.setattr(rx, "_stored", {key: (0, [1, 2, 3], 0, {}, ())})  # not valid engine code
    monkeypatch.setattr(rx, "_added", {})
    monkeypatch.setattr(rx, "save", lambda: None)
    got = rx.compile(*key)
    assert got == re.compile(*key) and got.match("abbc") is not None


def test_entry_of_is_what_sre_is_given() -> None:
    for pattern, flags in [(r"(?i)\bfoo(?P<bar>\d+)", 0), (b"h{32}", 0), (r"x|y", re.IGNORECASE), (r"^a$", re.M)]:
        assert rx._build(pattern, rx.entry_of(pattern, int(flags))) == re.compile(pattern, flags)
