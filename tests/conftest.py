from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.httpserver import LoopbackServer

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may touch the user's real data folder or store.
    home = tmp_path_factory.mktemp("huntfeed-home")
    monkeypatch.setenv("HUNTFEED_HOME", str(home))
    monkeypatch.delenv("HUNTFEED_DB", raising=False)
    monkeypatch.delenv("HUNTFEED_CONFIG", raising=False)  # the root --config flag sets it for the process


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test with a clear message where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (the shared data folder sits beside the repository)")
    return path
