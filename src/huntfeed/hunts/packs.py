"""Opt-in use-case packs: folders of use cases kept out of the default library until the user enables them.

The default library (``data/usecases``) holds alert-grade hunts, each quiet on at least 95% of other
attacks' recorded telemetry. A pack is a folder under ``data/usecase_packs/<name>/`` for hunts that do
not meet that bar by nature: the ``audit`` pack lists every occurrence of an event that is also routine
(every cleared event log: a lab reset or an intruder, no field tells them apart). The user enables a pack
in the config file::

    [usecases]
    packs = ["audit"]

or per command with ``huntfeed usecases ... --pack audit``. Off by default.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from huntfeed.errors import ConfigError, DataFileError
from huntfeed.hunts.prepared import prepared_usecases
from huntfeed.hunts.usecase import UseCase
from huntfeed.paths import package_data

# A pack whose use cases must all carry this grade (the audit pack is for audit-grade listings only:
# an alert-grade hunt put there would escape the 5% rule the default library is held to).
REQUIRED_GRADE = {"audit": "audit"}


def packs_root() -> Path:
    return package_data("usecase_packs")


def available_packs(root: Path | None = None) -> tuple[str, ...]:
    """The packs that exist: the sub-folders of the packs folder, sorted."""
    folder = root or packs_root()
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))))


def configured_packs() -> tuple[str, ...]:
    """The packs the config file enables (``[usecases] packs``; $HUNTFEED_CONFIG names the file the
    root ``--config`` flag chose, else the data folder's config.toml)."""
    from huntfeed.config import load_settings

    env = os.environ.get("HUNTFEED_CONFIG")
    return load_settings(Path(env) if env else None).usecase_packs


def load_packs(names: Iterable[str], *, root: Path | None = None) -> tuple[UseCase, ...]:
    """The use cases of the named packs (each once, in the order named), strictly loaded.

    An unknown pack name is a ConfigError listing the known ones; a use case whose grade the pack does
    not allow is a DataFileError at its file.
    """
    folder = root or packs_root()
    known = available_packs(folder)
    cases: list[UseCase] = []
    for name in dict.fromkeys(names):
        if name not in known:
            raise ConfigError(f"unknown use-case pack {name!r} (known: {', '.join(known) or 'none'})")
        grade = REQUIRED_GRADE.get(name)
        for uc in prepared_usecases(folder / name):
            if grade is not None and uc.grade != grade:
                raise DataFileError(f"{uc.id} is grade {uc.grade}; the {name} pack holds grade {grade} only",
                                    where=f"{uc.path}:1")
            cases.append(uc)
    return tuple(cases)


def with_packs(library: tuple[UseCase, ...], packs: tuple[UseCase, ...]) -> tuple[UseCase, ...]:
    """The library followed by the packs' use cases; an id the library (or another pack) has is an error."""
    seen = {uc.id: uc.path for uc in library}
    for uc in packs:
        if uc.id in seen:
            raise DataFileError(f"duplicate use case id {uc.id} (also in {seen[uc.id]})", where=f"{uc.path}:1")
        seen[uc.id] = uc.path
    return library + packs
