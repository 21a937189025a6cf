"""Every C accelerator is built, and built from its current source, wherever a C compiler exists.

setup.py marks the extensions optional, so a ``.c`` file that stops compiling fails silently: the
install goes on, and in a working tree the old ``.so`` stays and the C-against-twin tests compare
the old code with the twin. These checks make a broken or stale build fail the suite instead.
"""

from __future__ import annotations

import importlib
import shutil
import sysconfig
from pathlib import Path

import pytest

import huntfeed._native as native

NATIVE = Path(native.__file__).parent
SOURCES = sorted(NATIVE.glob("*.c"))
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")

pytestmark = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="no C compiler: the pure-Python twins are what runs here",
)


def test_there_are_accelerators_to_check() -> None:
    assert len(SOURCES) >= 6


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_each_source_has_an_importable_module(source: Path) -> None:
    module = importlib.import_module(f"huntfeed._native.{source.stem}")
    assert Path(module.__file__).name == source.stem + SUFFIX


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_each_module_is_newer_than_its_source(source: Path) -> None:
    built = source.with_name(source.stem + SUFFIX)
    if not built.exists():  # a wheel or a non-editable install keeps the modules elsewhere
        pytest.skip(f"{built.name} is not beside its source (not an editable install)")
    assert built.stat().st_mtime >= source.stat().st_mtime, f"{built.name} is older than {source.name}: rebuild"
