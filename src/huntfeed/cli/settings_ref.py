"""The root command's settings, read from the config file on first use.

`huntfeed extract` and `huntfeed --help` read no settings, and building them imports the fetcher
(httpx); commands that use them call ``cli.common.settings()``, which loads them here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huntfeed.config import Settings


@dataclass
class SettingsRef:
    """``--config PATH`` (or None for the default file), loaded and checked when first asked for."""

    path: Path | None
    _loaded: Settings | None = field(default=None, repr=False)

    def get(self) -> Settings:
        if self._loaded is None:
            from huntfeed.config import load_settings

            self._loaded = load_settings(self.path)
        return self._loaded
