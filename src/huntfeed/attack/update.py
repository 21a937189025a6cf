"""`attack update`: fetch or copy an official bundle into the data folder, verified and atomic."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path

import httpx

from huntfeed.attack.catalog import Catalog, load_bundle
from huntfeed.attack.engine import bundle_path
from huntfeed.errors import FetchError, HTTPStatusError, TooLargeError

DEFAULT_URL = "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack.json"
MAX_BYTES = 200 * 1024 * 1024
PREVIOUS_SUFFIX = ".previous"


def download(url: str, dest: Path, *, timeout: float = 60.0, max_bytes: int = MAX_BYTES) -> None:
    """Stream url into dest, refusing errors and oversize bodies."""
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as resp:
            if resp.status_code != 200:
                raise HTTPStatusError(f"HTTP {resp.status_code}", where=url, status=resp.status_code)
            size = 0
            with dest.open("wb") as fh:
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLargeError(f"bundle larger than {max_bytes} bytes", where=url)
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        raise FetchError(f"download failed: {exc}", where=url) from exc


def install(source: Path, data_dir: Path) -> tuple[Catalog, Path | None]:
    """Verify that source parses, then atomically make it the data folder's bundle, keeping the old one.

    Gzip input is stored decompressed so that later loads skip the inflate step.
    """
    catalog = load_bundle(source)  # raises ParseError before anything is replaced
    target = bundle_path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".bundle-", suffix=".json", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with source.open("rb") as raw:
            magic = raw.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(source, "rb") as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        previous: Path | None = None
        if target.exists():
            # copy, not move: the live bundle stays in place until the atomic replace below
            previous = target.with_name(target.name + PREVIOUS_SUFFIX)
            shutil.copy2(target, previous)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return catalog, previous


def update(
    data_dir: Path, *, url: str | None = None, file: Path | None = None
) -> tuple[Catalog, Path | None]:
    """Install a bundle from a file or URL (MITRE's attack-stix-data by default)."""
    if file is not None:
        return install(file, data_dir)
    attack_dir = bundle_path(data_dir).parent
    attack_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".download-", suffix=".json", dir=attack_dir)
    os.close(fd)
    tmp = Path(name)
    try:
        download(url or DEFAULT_URL, tmp)
        return install(tmp, data_dir)
    finally:
        tmp.unlink(missing_ok=True)
