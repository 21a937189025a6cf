"""Settings built once at the edge: config file, then environment, then command-line flags.

The file is ``$HUNTFEED_HOME/config.toml`` (or ``--config PATH``)::

    db = "postgresql+psycopg://hunt@localhost/huntfeed"
    out = "/srv/huntfeed/profiles"
    allow_hosts = ["intel.corp.example"]      # let these past the private-address guard

    [fetch]
    timeout = 20          # seconds per network operation
    deadline = 30         # seconds for a whole response
    max_bytes = 10485760  # decoded bytes per response
    user_agent = "huntfeed (+mailto:soc@example.org)"

    [usecases]
    packs = ["audit"]     # opt-in use-case packs (hunts.packs); none by default
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huntfeed.errors import ConfigError
from huntfeed.feeds.fetch_settings import USER_AGENT, FetchSettings
from huntfeed.paths import data_dir, default_db_url

_TOP = {"db", "out", "allow_hosts", "fetch", "usecases"}
_USECASES = {"packs"}
_FETCH = {"timeout": (int, float), "deadline": (int, float), "max_bytes": (int,), "user_agent": (str,)}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a command needs to know about its environment."""

    db_url: str
    out_dir: Path | None = None
    allow_hosts: frozenset[str] = frozenset()
    fetch: FetchSettings = field(default_factory=FetchSettings)
    usecase_packs: tuple[str, ...] = ()  # [usecases] packs: opt-in use-case packs (names checked when loaded)

    def with_flags(self, *, db_url: str | None = None, out_dir: Path | None = None,
                   allow_hosts: tuple[str, ...] = ()) -> Settings:
        """Command-line flags win over the file and the environment."""
        hosts = self.allow_hosts | frozenset(h.lower() for h in allow_hosts)
        return Settings(
            db_url=db_url or self.db_url,
            out_dir=out_dir or self.out_dir,
            allow_hosts=hosts,
            usecase_packs=self.usecase_packs,
            fetch=FetchSettings(
                timeout=self.fetch.timeout,
                deadline=self.fetch.deadline,
                max_bytes=self.fetch.max_bytes,
                user_agent=self.fetch.user_agent,
                allow_hosts=hosts,
            ),
        )


def _check(table: dict[str, Any], allowed: set[str] | dict[str, Any], where: str) -> None:
    unknown = set(table) - set(allowed)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}", where=where)


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (if any) and $HUNTFEED_DB; a wrong key or type is a ConfigError."""
    file = path or data_dir() / "config.toml"
    data: dict[str, Any] = {}
    if path is not None or file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config: {exc.strerror}", where=str(file)) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {exc}", where=str(file)) from exc
    _check(data, _TOP, str(file))
    fetch = data.get("fetch", {})
    if not isinstance(fetch, dict):
        raise ConfigError("[fetch] must be a table", where=str(file))
    _check(fetch, _FETCH, f"{file} [fetch]")
    for key, types in _FETCH.items():
        if key in fetch and (not isinstance(fetch[key], types) or isinstance(fetch[key], bool)):
            raise ConfigError(f"[fetch] {key} has the wrong type", where=str(file))
    hosts = data.get("allow_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise ConfigError("allow_hosts must be a list of host names", where=str(file))
    packs = _usecase_packs(data.get("usecases", {}), str(file))
    out = data.get("out")
    db = os.environ.get("HUNTFEED_DB") or data.get("db") or default_db_url()
    allow = frozenset(h.lower() for h in hosts)
    return Settings(
        db_url=str(db),
        out_dir=Path(out) if out else None,
        allow_hosts=allow,
        usecase_packs=packs,
        fetch=FetchSettings(
            timeout=float(fetch.get("timeout", 20.0)),
            deadline=float(fetch.get("deadline", 30.0)),
            max_bytes=int(fetch.get("max_bytes", 10 * 1024 * 1024)),
            user_agent=str(fetch.get("user_agent", USER_AGENT)),
            allow_hosts=allow,
        ),
    )


def _usecase_packs(table: Any, where: str) -> tuple[str, ...]:
    if not isinstance(table, dict):
        raise ConfigError("[usecases] must be a table", where=where)
    _check(table, _USECASES, f"{where} [usecases]")
    packs = table.get("packs", [])
    if not isinstance(packs, list) or not all(isinstance(p, str) and p.strip() for p in packs):
        raise ConfigError("[usecases] packs must be a list of pack names", where=where)
    return tuple(p.strip() for p in packs)
