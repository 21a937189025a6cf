"""A MISP feed folder: ``manifest.json``, ``hashes.csv`` and one ``<event uuid>.json`` per profile.

This is the layout MISP's "Feeds" (type "MISP Feed") fetch from a URL or a local folder: the
manifest lists each event's uuid with its info, date, tags and timestamp, so MISP pulls only
events whose timestamp moved; ``hashes.csv`` (md5 of each attribute value, event uuid) lets MISP
correlate against a feed without importing it. The events are the MISP renderer's events
(``render.misp.build_event``), serialised with PyMISP's own feed writer (``MISPEvent.to_feed``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymisp import MISPEvent, MISPOrganisation

from huntfeed.errors import ConfigError
from huntfeed.model import Profile
from huntfeed.render.files import atomic_write
from huntfeed.render.misp import NAMESPACE, build_event

ORG_NAME = "huntfeed"
ORG_UUID = str(uuid.uuid5(NAMESPACE, "org|huntfeed"))
_EVENT_FILE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$")


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """What one export wrote."""

    events: int
    attributes: int
    hashes: int
    removed: int


def _feed_event(p: Profile) -> MISPEvent:
    ev = build_event(p)
    org = MISPOrganisation()
    org.from_dict(name=ORG_NAME, uuid=ORG_UUID)
    ev.Orgc = org
    return ev


def feed_documents(profiles: Sequence[Profile]) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    """(manifest, {event uuid: event document}, hashes.csv lines) for ``profiles``."""
    manifest: dict[str, Any] = {}
    events: dict[str, dict[str, Any]] = {}
    hashes: list[str] = []
    for p in profiles:
        ev = _feed_event(p)
        doc = ev.to_feed(with_meta=True)["Event"]
        meta_hashes = doc.pop("_hashes", [])
        manifest.update(doc.pop("_manifest", {}))
        events[ev.uuid] = {"Event": doc}
        hashes.extend(f"{h},{ev.uuid}" for h in meta_hashes)
    return manifest, events, hashes


def write_feed(folder: Path, profiles: Sequence[Profile]) -> FeedSummary:
    """Write the feed for ``profiles`` into ``folder`` (created); stale event files of ours are removed.

    Every file is written atomically, the manifest last, so a MISP instance polling the folder
    during an export sees either the old feed or the new one, never a manifest naming a missing
    event.
    """
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    manifest, events, hashes = feed_documents(profiles)
    for event_id, doc in events.items():
        atomic_write(folder / f"{event_id}.json", json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True))
    atomic_write(folder / "hashes.csv", "".join(line + "\n" for line in hashes))
    atomic_write(folder / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True))
    removed = 0
    for path in folder.iterdir():
        # Only files named like our event files go; anything else in the folder is the user's.
        if _EVENT_FILE.match(path.name) and path.stem not in events and path.is_file():
            path.unlink()
            removed += 1
    n_attrs = sum(len(d["Event"].get("Attribute", [])) for d in events.values())
    return FeedSummary(events=len(events), attributes=n_attrs, hashes=len(hashes), removed=removed)
