"""The one atomic writer behind every prepared-knowledge file in the cache folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from huntfeed.paths import cache_dir, write_cache_file


def test_write_cache_file_replaces_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "tables.bin"
    write_cache_file(target, b"first")
    write_cache_file(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["tables.bin"]


def test_write_cache_file_into_a_file_raises_oserror(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(OSError):
        write_cache_file(blocker / "tables.bin", b"data")


def test_cache_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUNTFEED_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HUNTFEED_CACHE", raising=False)
    assert cache_dir() == tmp_path / "home" / "cache"
    monkeypatch.setenv("HUNTFEED_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
