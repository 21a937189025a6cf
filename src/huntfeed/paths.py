"""Where huntfeed keeps its state: one data folder, overridable for tests and servers."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# platformdirs, shutil and tempfile are imported where they are used: `huntfeed extract` with
# $HUNTFEED_CACHE set needs none of them, and they cost a tenth of its start on a small file.
_PACKAGE = Path(__file__).parent  # huntfeed/: what importlib.resources.files("huntfeed") names


def data_dir() -> Path:
    """The user's data folder ($HUNTFEED_HOME, else the platform's data dir); created on demand."""
    root = os.environ.get("HUNTFEED_HOME")
    if not root:
        import platformdirs

        root = platformdirs.user_data_dir("huntfeed", appauthor=False)
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """``$HUNTFEED_CACHE``, else ``cache`` in ``$HUNTFEED_HOME``, else the platform's cache folder.

    Prepared knowledge (extraction tables, ATT&CK model, use-case library, converted queries) lives
    here; every file in it can be rebuilt, so nothing is lost when it is deleted.
    """
    if env := os.environ.get("HUNTFEED_CACHE"):
        return Path(env)
    if home := os.environ.get("HUNTFEED_HOME"):
        return Path(home) / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("huntfeed", appauthor=False))


def write_cache_file(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically: a reader sees the whole file or none.

    Raises OSError; callers treat an unwritable cache as a cost, never as a failure.
    """
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # gone after the replace; left only by a failed write
    prune_cache_family(target)


# Each prepared file is keyed by its sources' paths, sizes and times, so every upgrade, checkout or
# edited data file adds one; without pruning the cache only grows (2 GB seen on a developer machine).
CACHE_KEEP = 4


def _mtime(path: Path) -> int:
    # An entry gone or unreadable counts as oldest, so a failed stat never reorders the others.
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def prune_cache_family(target: Path, keep: int = CACHE_KEEP) -> None:
    """Remove all but the ``keep`` newest entries of ``target``'s family (its name up to the last '-'
    and its suffix: ``attack-model-<key>``, ``hunt-queries-<key>.json``), ``target`` always kept.

    Several installations may share one cache, hence more than one kept. Deleting an entry another
    process reads costs that process a rebuild, never a failure; an entry that cannot go stays.
    """
    stem, sep, _ = target.name.rpartition("-")
    if not sep:
        return
    family = [p for p in target.parent.glob(f"{stem}-*{target.suffix}")
              if p != target and p.name.rpartition("-")[0] == stem and p.suffix == target.suffix]
    family.sort(key=_mtime, reverse=True)
    import shutil

    for old in family[max(keep - 1, 0):]:
        with contextlib.suppress(OSError):
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()


def default_db_url() -> str:
    """$HUNTFEED_DB, else SQLite in the data folder."""
    return os.environ.get("HUNTFEED_DB") or f"sqlite:///{data_dir() / 'huntfeed.db'}"


def package_data(*parts: str) -> Path:
    """A path inside the package's bundled data folder."""
    # The package folder itself, as importlib.resources.files("huntfeed") gives it for a package on
    # disk (the only kind the data is read from): importlib.resources pulls in zipfile, bz2 and lzma.
    return _PACKAGE.joinpath("data", *parts)
