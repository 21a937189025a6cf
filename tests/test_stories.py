"""Near-duplicate detection: fingerprints (table-driven), the strict settings loader and the store's band index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from huntfeed.campaigns.fingerprint import (
    DedupSettings,
    Fingerprint,
    band_keys,
    fingerprint,
    load_settings,
    same_story,
)
from huntfeed.errors import DataFileError
from huntfeed.paths import package_data
from huntfeed.store import Store
from huntfeed.store.stories import StoryMember

CFG = load_settings()
POSTS = package_data("demo", "site", "posts")


def body(slug: str) -> str:
    html = (POSTS / f"{slug}.html").read_text("utf-8")
    inner = re.search(r'<div class="post-body"[^>]*>(.*?)<footer class="post-footer">', html, re.S)
    assert inner
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inner.group(1))).strip()


BASE = body("hollowgrain-ransomware-intrusion")
WORDS = BASE.split()
PARAS = re.split(r"(?<=\.) (?=[A-Z])", BASE)

# (case, text compared with BASE, same story?) -- one row per kind of copy the detector must handle
CASES = [
    ("identical", BASE, True),
    ("syndicated with other boilerplate", "Republished with permission from Ironveil Labs. Subscribe to our "
     "newsletter for more. " + BASE + " Copyright the authors. Share this story on social media.", True),
    ("truncated to the first 40%", " ".join(WORDS[: len(WORDS) * 2 // 5]), True),
    ("paragraphs reordered", " ".join(PARAS[len(PARAS) // 2:] + PARAS[: len(PARAS) // 2]), True),
    ("another article of the corpus", body("lanternbeacon-https-c2"), False),
    ("another ransomware write-up", body("teams-helpdesk-vishing"), False),
    ("a stub too short to judge", " ".join(WORDS[:40]), False),
]


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_same_story(case: str, text: str, expected: bool) -> None:
    dup, sim = same_story(fingerprint(BASE, CFG), fingerprint(text, CFG), CFG)
    assert dup is expected, f"{case}: similarity {sim}"


def test_no_two_original_demo_articles_are_one_story() -> None:
    slugs = sorted(p.stem for p in POSTS.glob("*.html") if "republished" not in p.stem)
    fps = {s: fingerprint(body(s), CFG) for s in slugs}
    dups = [(a, b) for i, a in enumerate(slugs) for b in slugs[i + 1:] if same_story(fps[a], fps[b], CFG)[0]]
    assert dups == []


def test_fingerprints_are_stable_and_round_trip() -> None:
    a, b = fingerprint(BASE, CFG), fingerprint(BASE, CFG)
    assert a == b and Fingerprint.decode(a.encode(), a.n_shingles) == a
    assert band_keys(a, CFG) == band_keys(b, CFG)


@pytest.mark.parametrize(("text", "message"), [
    ("shingle_size: 3\nbogus: 1\n", "expected a mapping"),
    ("threshold: 1.5\n", "out of range"),
    ("num_perm: many\n", "expected a number"),
    ("- 1\n", "expected a mapping"),
])
def test_settings_loader_is_strict(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "dedup.yaml"
    path.write_text(text)
    with pytest.raises(DataFileError, match=message):
        load_settings(path)


def test_shipped_settings_are_the_documented_defaults() -> None:
    assert load_settings() == DedupSettings()


def _member(mid: str, story: str, text: str) -> tuple[StoryMember, list[tuple[int, str]]]:
    fp = fingerprint(text, CFG)
    return (StoryMember(mid, story, f"https://x.example/{mid}", "X", mid, None, len(text), "h" + mid,
                        fp.encode(), fp.n_shingles), band_keys(fp, CFG))


def test_store_finds_candidates_through_the_band_index(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    for slug in sorted(p.stem for p in POSTS.glob("*.html"))[:12]:
        m, bands = _member(slug[:16], slug[:16], body(slug))
        store.record_story_member(m, bands)
    copy = "Reprinted with permission. " + BASE
    found = store.story_candidates(band_keys(fingerprint(copy, CFG), CFG))
    assert [m.member_id for m in found] == ["hollowgrain-rans"]
    assert store.story_candidates(band_keys(fingerprint(copy, CFG), CFG), exclude="hollowgrain-rans") == []
    # Re-recording a member replaces its bands instead of adding to them.
    m, bands = _member("hollowgrain-rans", "hollowgrain-rans", body("lanternbeacon-https-c2"))
    store.record_story_member(m, bands)
    assert store.story_candidates(band_keys(fingerprint(copy, CFG), CFG)) == []
    # The look-up is an index search, not a scan of the band table.
    with store.engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.execute(sa.text(
            "EXPLAIN QUERY PLAN SELECT member_id FROM story_bands WHERE band = 1 AND bucket = 'x'")))
    assert "USING" in plan and "INDEX" in plan and not plan.startswith("SCAN"), plan
