"""CISA Known Exploited Vulnerabilities: load the catalog (its JSON format) and download updates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huntfeed.errors import DataFileError, FetchError, HTTPStatusError, TooLargeError
from huntfeed.paths import data_dir

if TYPE_CHECKING:  # loaded by update_kev only: scoring reads the catalog and never fetches (0.06 s of a start)
    import httpx

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
KEV_FILE = "kev.json"
MAX_BYTES = 32 * 1024 * 1024
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def parse_kev(raw: Any, where: str) -> frozenset[str]:
    """CVE ids from a KEV document (``{"vulnerabilities": [{"cveID": ...}, ...]}``)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("vulnerabilities"), list):
        raise DataFileError("not a KEV catalog: no 'vulnerabilities' list", where=where)
    out: set[str] = set()
    for n, vuln in enumerate(raw["vulnerabilities"]):
        cve = vuln.get("cveID") if isinstance(vuln, dict) else None
        if not isinstance(cve, str) or not _CVE.match(cve.strip().upper()):
            raise DataFileError(f"entry {n} has no valid cveID", where=where)
        out.add(cve.strip().upper())
    return frozenset(out)


def load_kev(path: Path | None = None) -> frozenset[str]:
    """KEV CVE ids from ``path``, else data_dir()/kev.json when present, else an empty set."""
    if path is None:
        path = data_dir() / KEV_FILE
        if not path.is_file():
            return frozenset()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(f"cannot read: {exc.strerror}", where=str(path)) from exc
    except ValueError as exc:
        raise DataFileError(f"invalid JSON: {exc}", where=str(path)) from exc
    return parse_kev(raw, str(path))


def update_kev(
    url: str = KEV_URL,
    target: Path | None = None,
    *,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Path, int]:
    """Download the KEV catalog, check it, and replace the cached copy atomically; returns (path, count)."""
    import httpx

    target = target or data_dir() / KEV_FILE
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True, transport=transport) as client,
            client.stream("GET", url, headers={"User-Agent": "huntfeed"}) as resp,
        ):
            if resp.status_code != 200:
                raise HTTPStatusError(f"HTTP {resp.status_code}", where=url, status=resp.status_code)
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise TooLargeError(f"larger than {MAX_BYTES} bytes", where=url)
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise FetchError(f"download failed: {exc}", where=url) from exc
    body = b"".join(chunks)
    try:
        raw = json.loads(body)
    except ValueError as exc:
        raise DataFileError(f"downloaded KEV is not JSON: {exc}", where=url) from exc
    cves = parse_kev(raw, url)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(body)
    tmp.replace(target)
    return target, len(cves)


def parse_kev_products(raw: Any) -> dict[str, tuple[str, str]]:
    """CVE id -> (vendorProject, product) from a KEV document; entries without names are skipped."""
    out: dict[str, tuple[str, str]] = {}
    vulns = raw.get("vulnerabilities") if isinstance(raw, dict) else None
    for vuln in vulns if isinstance(vulns, list) else []:
        if not isinstance(vuln, dict):
            continue
        cve, vendor, product = (vuln.get(k) for k in ("cveID", "vendorProject", "product"))
        if isinstance(cve, str) and isinstance(product, str) and product.strip():
            out[cve.strip().upper()] = (str(vendor or "").strip(), product.strip())
    return out


def load_kev_products(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """The KEV catalog's product names per CVE (same file as ``load_kev``); empty without a catalog."""
    if path is None:
        path = data_dir() / KEV_FILE
        if not path.is_file():
            return {}
    load_kev(path)  # the same checks, the same errors
    return parse_kev_products(json.loads(path.read_text(encoding="utf-8")))
