"""The ATT&CK catalog and the sentence model prepared once, read back in milliseconds by every process.

Building the catalog parses 15 MB of JSON (0.15 s) and loading the model decompresses and
converts 50 MB of arrays (0.2 s), in every process that analyses.  Both results are kept in the
cache folder (`huntfeed.paths.cache_dir`):

* the model as its decoded arrays, one ``.npy`` file each in ``attack-model-<key>/``, mapped
  read-only rather than read (the pages a report touches are faulted in; worker processes share
  them through the page cache);
* the catalog as plain tuples and dicts in one ``marshal`` file, rebuilt into its dataclasses.

The key covers the source files (path, size, modification time), the code that builds and reads
them and the Python version (marshal's format), so an updated bundle, a retrained model, a new
package or changed code means building from the source again.  A missing, foreign or broken
artefact is rebuilt; a folder that cannot be written only costs the time.  The artefacts are only
ever read from the user's own cache folder, where huntfeed itself wrote them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import marshal
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from huntfeed import __version__
from huntfeed.attack.catalog import Catalog, Entity, Procedure, Tactic, Technique, load_bundle
from huntfeed.attack.classifier import SentenceModel
from huntfeed.attack.combine import Combiner
from huntfeed.attack.offline import load_offline, offline_sources
from huntfeed.paths import cache_dir, prune_cache_family, write_cache_file

_MODEL_CODE = ("classifier.py", "combine.py", "prepared.py")
_CATALOG_CODE = ("catalog.py", "offline.py", "prepared.py")
_ARRAYS = ("idf", "bias", "w_data", "w_indices", "w_indptr")


def _key(kind: str, sources: Iterable[Path], code: Iterable[str]) -> str:
    h = hashlib.sha256(f"huntfeed {__version__} {kind} {sys.version}\n".encode())
    here = Path(__file__).parent
    for name in code:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    for path in sources:
        st = path.stat()
        h.update(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def _folder(folder: Path | None) -> Path:
    return folder if folder is not None else cache_dir()


def prepared_model(path: Path, *, folder: Path | None = None) -> SentenceModel:
    """``SentenceModel.load(path)``, from the prepared arrays when they are current."""
    try:
        target = _folder(folder) / f"attack-model-{_key('model', [path], _MODEL_CODE)}"
    except OSError:
        return SentenceModel.load(path)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return _read_model(target)
    model = SentenceModel.load(path)
    with contextlib.suppress(OSError, ValueError):
        _write_model(model, target)
    return model


def _read_model(target: Path) -> SentenceModel:
    head = json.loads((target / "model.json").read_text(encoding="utf-8"))
    arr = {name: np.asarray(np.load(target / f"{name}.npy", mmap_mode="r", allow_pickle=False)) for name in _ARRAYS}
    shape = (int(head["shape"][0]), int(head["shape"][1]))
    weights = sp.csr_matrix((arr["w_data"], arr["w_indices"], arr["w_indptr"]), shape=shape)
    if weights.indptr.dtype != np.int32 or weights.data.dtype != np.float32:
        raise TypeError("prepared model arrays of another layout")
    return SentenceModel(
        labels=[str(v) for v in head["labels"]],
        idf=arr["idf"],
        weights=weights,
        bias=arr["bias"],
        combiner=Combiner.from_dict(head["combiner"]),
        meta=dict(head["meta"]),
    )


def _write_model(model: SentenceModel, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".attack-model-"))
    try:
        w = model.weights
        values = {"idf": model.idf, "bias": model.bias, "w_data": w.data, "w_indices": w.indices, "w_indptr": w.indptr}
        for name, value in values.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)
        head = {
            "labels": model.labels,
            "shape": list(w.shape),
            "combiner": model.combiner.to_dict(),
            "meta": model.meta,
        }
        (tmp / "model.json").write_text(json.dumps(head), encoding="utf-8")
        os.rename(tmp, target)  # atomic: a reader sees all the files or none
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone after the rename; left over when another process won
    prune_cache_family(target)


# How each Catalog field is kept: dataclasses as tuples of their fields (in order), the rest as is.
def _rows(cls: type) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    names = tuple(f.name for f in dataclasses.fields(cls))
    return (lambda v: tuple(tuple(getattr(x, n) for n in names) for x in v)), (lambda v: tuple(cls(*r) for r in v))


def _table(cls: type) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    names = tuple(f.name for f in dataclasses.fields(cls))
    return (lambda v: {k: tuple(getattr(x, n) for n in names) for k, x in v.items()}), (
        lambda v: {k: cls(*r) for k, r in v.items()}
    )


def _plain() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    return (lambda v: dict(v) if isinstance(v, Mapping) else v), (lambda v: v)


_CODECS = {
    "version": _plain(),
    "date": _plain(),
    "spec_version": _plain(),
    "source": _plain(),
    "tactics": _rows(Tactic),
    "techniques": _table(Technique),
    "remap": _plain(),
    "entities": _table(Entity),
    "uses": _plain(),
    "procedures": _rows(Procedure),
}


def prepared_catalog(sources: Iterable[Path], build: Callable[[], Catalog], *, folder: Path | None = None) -> Catalog:
    """``build()``, from the prepared file when it is current for ``sources`` (the files build reads)."""
    names = [f.name for f in dataclasses.fields(Catalog)]
    if sorted(names) != sorted(_CODECS):  # a field this module does not know: no artefact
        return build()
    try:
        target = _folder(folder) / f"attack-catalog-{_key('catalog', sources, _CATALOG_CODE)}.marshal"
    except OSError:
        return build()
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError, KeyError):
        data = marshal.loads(target.read_bytes())
        return Catalog(**{name: _CODECS[name][1](data[name]) for name in names})
    catalog = build()
    with contextlib.suppress(OSError, ValueError):
        write_cache_file(target, marshal.dumps({name: _CODECS[name][0](getattr(catalog, name)) for name in names}))
    return catalog


def catalog_at(bundle: Path) -> Catalog:
    """The downloaded bundle if there is one, else the offline package copy: prepared once."""
    if bundle.exists():
        return prepared_catalog([bundle], lambda: load_bundle(bundle))
    try:
        sources = offline_sources()
    except (OSError, ValueError):
        return load_offline()  # its own error (the package missing) comes from there
    return prepared_catalog(sources, load_offline)
