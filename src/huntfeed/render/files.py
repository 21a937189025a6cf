"""Writing outputs to disk: atomically, and never outside the chosen folder."""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
import zlib
from pathlib import Path

from huntfeed.errors import ConfigError
from huntfeed.model import Profile
from huntfeed.render import json_profile, markdown

_SAFE_ID = re.compile(r"^[0-9a-f]{16}$")

# Our temporary files: ".<name>.<host tag>-<pid>.<random>.huntfeed-tmp". The tag and pid say
# who is writing, so a later run can tell a file orphaned by a killed process from one that a
# live writer (a scheduler beside a cron run, a worker) is about to rename.
TEMP_SUFFIX = ".huntfeed-tmp"
_TEMP_NAME = re.compile(r"^\..+\.([0-9a-f]{8})-(\d+)\.[^.]+" + re.escape(TEMP_SUFFIX) + "$")
# Past this age a temporary file is stale whoever made it: a write takes well under a second.
STALE_TEMP_AGE = 600.0


def _host_tag() -> str:
    return f"{zlib.crc32(socket.gethostname().encode('utf-8', 'replace')):08x}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or no answer: assume a live writer
    return True


def clean_stale_temp_files(folder: Path, *, max_age: float = STALE_TEMP_AGE) -> list[Path]:
    """Remove the temporary files of ``atomic_write`` that a killed process left in ``folder``.

    A file goes when its writer (on this host) is no longer running, or when it is older than
    ``max_age`` seconds; anything not named like our temporary files is never touched.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    host, now = _host_tag(), time.time()
    with os.scandir(folder) as it:
        for item in it:
            m = _TEMP_NAME.match(item.name)
            if m is None or not item.is_file(follow_symlinks=False):
                continue
            try:
                old = now - item.stat(follow_symlinks=False).st_mtime > max_age
                orphan = m.group(1) == host and int(m.group(2)) != os.getpid() and not _alive(int(m.group(2)))
                if old or orphan:
                    os.unlink(item.path)
                    removed.append(Path(item.path))
            except FileNotFoundError:
                continue  # its writer renamed or removed it meanwhile
    return removed


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_host_tag()}-{os.getpid()}.", suffix=TEMP_SUFFIX,
                               dir=path.parent)
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
