"""The one atomic writer behind every prepared-knowledge file in the cache folder."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

from huntfeed.paths import cache_dir, package_data, prune_cache_family, write_cache_file


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


def _aged(path: Path, age: int) -> Path:
    os.utime(path, ns=(1_700_000_000_000_000_000 - age, 1_700_000_000_000_000_000 - age))
    return path


def test_write_cache_file_keeps_the_newest_of_its_family(tmp_path: Path) -> None:
    for age, key in enumerate(["aa", "bb", "cc", "dd", "ee"]):
        (tmp_path / f"hunt-queries-{key}.json").write_text(key)
        _aged(tmp_path / f"hunt-queries-{key}.json", age)
    (tmp_path / "hunt-queries-aa.marshal").write_text("other suffix")
    (tmp_path / "usecases-aa.json").write_text("other family")
    (tmp_path / "hunt-queries-x-aa.json").write_text("other stem")
    write_cache_file(tmp_path / "hunt-queries-ff.json", b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hunt-queries-aa.json", "hunt-queries-aa.marshal", "hunt-queries-bb.json", "hunt-queries-cc.json",
        "hunt-queries-ff.json", "hunt-queries-x-aa.json", "usecases-aa.json",
    ]


def test_prune_removes_old_model_folders(tmp_path: Path) -> None:
    for age in range(6):
        folder = tmp_path / f"attack-model-{age:032x}"
        folder.mkdir()
        (folder / "bias.npy").write_bytes(b"x")
        _aged(folder, age)
    prune_cache_family(tmp_path / f"attack-model-{0:032x}", keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"attack-model-{0:032x}", f"attack-model-{1:032x}"]


def test_package_data_is_where_importlib_resources_finds_it() -> None:
    for parts in [("extract", "reference_domains.txt"), ("attack",), ()]:
        assert package_data(*parts) == Path(str(resources.files("huntfeed").joinpath("data", *parts)))
    assert package_data("extract", "reference_domains.txt").is_file()
