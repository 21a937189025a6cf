"""Writing outputs to disk: atomically, and never outside the chosen folder."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from huntfeed.errors import ConfigError
from huntfeed.model import Profile
from huntfeed.render import json_profile, markdown

_SAFE_ID = re.compile(r"^[0-9a-f]{16}$")


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_profile_files(out_dir: Path, profile: Profile) -> tuple[Path, Path]:
    """``<id>.md`` and ``<id>.json`` for the latest version; the id is checked, not trusted."""
    if not _SAFE_ID.match(profile.id):
        raise ConfigError(f"refusing to write a profile with unsafe id {profile.id!r}")
    md_path = out_dir / f"{profile.id}.md"
    json_path = out_dir / f"{profile.id}.json"
    atomic_write(md_path, markdown.render(profile))
    atomic_write(json_path, json_profile.render(profile))
    return md_path, json_path
