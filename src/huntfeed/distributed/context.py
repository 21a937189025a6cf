"""What a worker process keeps between tasks: the knowledge bundle, store engines, HTTP clients.

Loading the ATT&CK engine and the use-case library is the costly part of starting up, so it
happens once per worker process (at process start under the prefork pool, else on first use),
never per task.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from huntfeed.config import load_settings
from huntfeed.feeds.fetch import Fetcher
from huntfeed.pipeline import Knowledge, settle_heap
from huntfeed.store import Store

_lock = threading.Lock()
_knowledge: Knowledge | None = None
_stores: dict[str, Store] = {}
_fetchers: dict[frozenset[str], Fetcher] = {}
stats = {"knowledge_loads": 0, "tasks": 0}


def knowledge() -> Knowledge:
    """This process's knowledge bundle, loaded on first call ($HUNTFEED_KEV names a KEV file)."""
    global _knowledge
    with _lock:
        if _knowledge is None:
            kev = os.environ.get("HUNTFEED_KEV")
            from huntfeed.environment.load import find_environment

            # The same environment.toml as the dispatcher's: $HUNTFEED_ENVIRONMENT or the data folder.
            _knowledge = Knowledge.load(kev_path=Path(kev) if kev else None, environment=find_environment())
            settle_heap()  # a worker analyses many articles with it: the collector no longer walks it
            stats["knowledge_loads"] += 1
        return _knowledge


def store(url: str) -> Store:
    """One Store (engine and pool) per database URL per process."""
    with _lock:
        if url not in _stores:
            _stores[url] = Store(url)
        return _stores[url]


def fetcher(allow_hosts: frozenset[str]) -> Fetcher:
    """One guarded HTTP client per allow-list per process."""
    with _lock:
        if allow_hosts not in _fetchers:
            cfg = load_settings().with_flags(allow_hosts=tuple(sorted(allow_hosts)))
            _fetchers[allow_hosts] = Fetcher(cfg.fetch)
        return _fetchers[allow_hosts]


def reset_after_fork() -> None:
    """Forget inherited engines and clients: sockets must not be shared across processes."""
    with _lock:
        for s in _stores.values():
            s.engine.dispose(close=False)
        _stores.clear()
        _fetchers.clear()
