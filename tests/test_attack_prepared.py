"""The prepared ATT&CK catalog and model: read back equal to what the sources build, rebuilt when they change."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from huntfeed.attack import prepared
from huntfeed.attack.catalog import Catalog
from huntfeed.attack.classifier import SentenceModel
from huntfeed.attack.engine import AttackEngine
from huntfeed.attack.offline import load_offline, offline_sources
from huntfeed.paths import package_data

MODEL = package_data("attack", "model.npz")
TEXT = (
    "The actor sent spearphishing e-mails with a malicious Word attachment. The macro ran PowerShell "
    "with an encoded command to download a second stage, then added a Run registry key for persistence "
    "and used Mimikatz to dump credentials from LSASS memory before moving laterally over SMB."
)


def _same_model(a: SentenceModel, b: SentenceModel) -> None:
    assert a.labels == b.labels and a.meta == b.meta and a.combiner == b.combiner
    for x, y in ((a.idf, b.idf), (a.bias, b.bias)):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    for name in ("data", "indices", "indptr"):
        x, y = getattr(a.weights, name), getattr(b.weights, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert a.weights.shape == b.weights.shape


def test_the_prepared_model_is_the_loaded_model_and_is_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = prepared.prepared_model(MODEL, folder=tmp_path)
    _same_model(first, SentenceModel.load(MODEL))
    [made] = tmp_path.glob("attack-model-*")
    assert sorted(p.name for p in made.iterdir()) == sorted([*(f"{n}.npy" for n in prepared._ARRAYS), "model.json"])

    def no_load(path: Path) -> SentenceModel:
        raise AssertionError("the source was read again")

    monkeypatch.setattr(SentenceModel, "load", staticmethod(no_load))
    _same_model(prepared.prepared_model(MODEL, folder=tmp_path), first)


def test_a_changed_model_file_is_loaded_again(tmp_path: Path) -> None:
    copy = tmp_path / "model.npz"
    copy.write_bytes(MODEL.read_bytes())
    prepared.prepared_model(copy, folder=tmp_path / "cache")
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a retrained model: a new file
    prepared.prepared_model(copy, folder=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("attack-model-*"))) == 2


@pytest.mark.parametrize("damage", ["json", "array", "missing"])
def test_a_broken_prepared_model_is_rebuilt(tmp_path: Path, damage: str) -> None:
    prepared.prepared_model(MODEL, folder=tmp_path)
    [made] = tmp_path.glob("attack-model-*")
    if damage == "json":
        (made / "model.json").write_text("{not json", encoding="utf-8")
    elif damage == "array":
        (made / "w_data.npy").write_bytes(b"\x93NUMPY garbage")
    else:
        (made / "idf.npy").unlink()
    _same_model(prepared.prepared_model(MODEL, folder=tmp_path), SentenceModel.load(MODEL))


def test_an_unwritable_cache_costs_only_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    _same_model(prepared.prepared_model(MODEL, folder=blocked / "cache"), SentenceModel.load(MODEL))
    built = load_offline()
    assert prepared.prepared_catalog(offline_sources(), load_offline, folder=blocked / "cache") == built


def test_the_prepared_catalog_equals_the_built_one_and_skips_the_build(tmp_path: Path) -> None:
    calls: list[int] = []

    def build() -> Catalog:
        calls.append(1)
        return load_offline()

    built = build()
    first = prepared.prepared_catalog(offline_sources(), build, folder=tmp_path)
    again = prepared.prepared_catalog(offline_sources(), build, folder=tmp_path)
    assert len(calls) == 2  # the test's own build and the first prepared call; the second read the file
    for catalog in (first, again):
        assert catalog == built
        assert type(catalog.techniques["T1059.001"]) is type(built.techniques["T1059.001"])
        assert catalog.procedures == built.procedures and catalog.tactic_order == built.tactic_order


def test_a_changed_or_broken_catalog_source_is_built_again(tmp_path: Path) -> None:
    source = tmp_path / "bundle.json"
    source.write_text("{}", encoding="utf-8")
    built = load_offline()
    calls: list[int] = []

    def build() -> Catalog:
        calls.append(1)
        return built

    prepared.prepared_catalog([source], build, folder=tmp_path / "c")
    source.write_text("{ }", encoding="utf-8")  # another size: another key
    prepared.prepared_catalog([source], build, folder=tmp_path / "c")
    for path in (tmp_path / "c").glob("attack-catalog-*"):
        path.write_bytes(b"\x00broken")
    assert prepared.prepared_catalog([source], build, folder=tmp_path / "c") == built
    assert len(calls) == 3


def test_inference_with_the_prepared_knowledge_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNTFEED_CACHE", str(tmp_path / "cache"))
    cold = AttackEngine.load().infer(TEXT)  # builds the artefacts
    assert list((tmp_path / "cache").glob("attack-catalog-*")) and list((tmp_path / "cache").glob("attack-model-*"))
    warm = AttackEngine.load().infer(TEXT)
    assert warm == cold and warm.observed
    monkeypatch.setenv("HUNTFEED_CACHE", str(tmp_path / "other"))
    assert AttackEngine.load().infer(TEXT) == cold
