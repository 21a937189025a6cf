"""Near-duplicate detection and campaign links, scored; their cost next to analysis; look-up cost by store size.

    python bench/dedup_eval.py [--sizes 1000,4000,16000] [--seed 7]

1. Duplicates: every original article of the demo corpus (its main text, as trafilatura extracts it)
   is recorded in a real SQLite store with its band keys; then each generated rewrite is looked up
   through the index exactly as a new article is (``stories.place``'s candidates + ``same_story``):
   syndicated (other boilerplate before and after), truncated (first 45-70 % of the words),
   reordered (paragraph blocks shuffled), paraphrased (about 12 % of the words replaced by others
   from a fixed list, 10 % of the sentences dropped), plus the corpus's two real syndicated copies.
   A rewrite found as a copy of its own original is a true positive; found as a copy of another, a
   false positive (and a miss); not found, a miss. Every original is looked up too (excluding
   itself): anything found there is a false positive (this includes the corpus's campaign articles,
   separate write-ups of one intrusion, which must not merge).
2. Campaign links: the demo is run (``huntfeed demo``) and the campaigns it finds are compared, as
   pairs of reports in one campaign, with the three campaigns written into the corpus.
3. Cost: CPU time per demo article of fingerprinting, the story look-up and campaign linking,
   against the CPU time of ``pipeline.analyse`` on the same article.
4. Scaling: CPU time of one story look-up and one link look-up in stores of the given sizes
   (synthetic members and profile keys): an index search grows with log(size), a scan with size.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from huntfeed.campaigns import linking, stories  # noqa: E402
from huntfeed.campaigns.fingerprint import Fingerprint, band_keys, fingerprint, same_story  # noqa: E402
from huntfeed.feeds.article import document_article, html_to_text  # noqa: E402
from huntfeed.paths import package_data  # noqa: E402
from huntfeed.store import Store  # noqa: E402
from huntfeed.store.stories import StoryMember  # noqa: E402

DEMO = package_data("demo")
KNOWN_CAMPAIGNS = [  # written into the demo corpus (docs/demo.md)
    {"hollowgrain-ransomware-intrusion", "hollowgrain-municipalities-advisory"},
    {"tallyworks-trojanised-installer", "spoolmoth-invoicing-plugin"},
    {"corvane-filegate-exploitation", "filegate-leak-extortion"},
]
REAL_COPIES = {"npm-tinycolor-term-republished": "npm-tinycolor-term-hijack",
               "hollowgrain-advisory-republished": "hollowgrain-municipalities-advisory"}
HEADERS = ["This article first appeared on a partner site and is republished with permission.",
           "Sponsored content continues below. Sign up for our weekly threat briefing to get stories like this.",
           "Editor's note: we carry this report in full as part of our syndication programme.", ""]
FOOTERS = ["Copyright the original authors. All rights reserved. Share this story.",
           "Have a tip? Write to our newsroom. Follow us for more breaking security news.",
           "This story was syndicated by our content partner network. Related: ransomware roundup, patch notes.", ""]
SWAP = ["the", "a", "this", "that", "attackers", "operators", "group", "server", "host", "file", "files", "data",
        "network", "said", "reported", "found", "uses", "used", "then", "also", "which", "its", "their", "new"]


def originals() -> dict[str, str]:
    """slug -> main text of every original article (the update overlay's version where it has one)."""
    pages = {p.stem: p for p in sorted((DEMO / "site" / "posts").glob("*.html"))}
    pages.update({p.stem: p for p in sorted((DEMO / "update" / "posts").glob("*.html"))})
    return {slug: html_to_text(p.read_text("utf-8").replace("{{BASE}}", "http://demo.local"), "")
            for slug, p in pages.items() if slug not in REAL_COPIES}


def rewrites(slug: str, text: str, rng: random.Random) -> list[tuple[str, str]]:
    words = text.split()
    paras = [p for p in text.split("\n") if p.strip()]
    blocks = [paras[i : i + 2] for i in range(0, len(paras), 2)]
    rng.shuffle(blocks)
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = [s for s in sentences if rng.random() > 0.10]
    para = " ".join(rng.choice(SWAP) if rng.random() < 0.12 else w for w in " ".join(kept).split())
    return [
        ("syndicated", f"{rng.choice(HEADERS)}\n{text}\n{rng.choice(FOOTERS)}"),
        ("truncated", " ".join(words[: int(len(words) * rng.uniform(0.45, 0.70))])),
        ("reordered", "\n".join(p for b in blocks for p in b)),
        ("paraphrased", para),
    ]


def _member(slug: str, text: str, cfg: object) -> tuple[StoryMember, list[tuple[int, str]]]:
    fp = fingerprint(text, stories.settings())
    mid = slug[:16]
    return (StoryMember(mid, mid, slug, "demo", slug, None, len(text), slug, fp.encode(), fp.n_shingles),
            band_keys(fp, stories.settings()))


def lookup(store: Store, text: str, exclude: str = "") -> str | None:
    """The story a text is placed in through the index, as stories.place decides; None for its own."""
    cfg = stories.settings()
    fp = fingerprint(text, cfg)
    best: tuple[float, str] | None = None
    for cand in store.story_candidates(band_keys(fp, cfg), exclude=exclude):
        dup, sim = same_story(fp, Fingerprint.decode(cand.signature, cand.n_shingles), cfg)
        if dup and (best is None or sim > best[0]):
            best = (sim, cand.story_id)
    return best[1] if best else None


def eval_duplicates(seed: int) -> None:
    rng = random.Random(seed)
    texts = originals()
    copies = {c: html_to_text((DEMO / "site" / "posts" / f"{c}.html").read_text("utf-8"), "") for c in REAL_COPIES}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/d.db")
        for slug, text in texts.items():
            store.record_story_member(*_member(slug, text, None))
        by_kind: dict[str, list[int]] = {}
        tp = fp_ = fn = 0
        cases = [(kind, slug, t) for slug, text in texts.items() for kind, t in rewrites(slug, text, rng)]
        cases += [("real copy", REAL_COPIES[c], t) for c, t in copies.items()]
        for kind, slug, text in cases:
            got = lookup(store, text)
            ok = got == slug[:16]
            tp += ok
            fp_ += got is not None and not ok
            fn += not ok
            by_kind.setdefault(kind, [0, 0])[0] += ok
            by_kind[kind][1] += 1
        false_merges = [s for s, t in texts.items() if lookup(store, t, exclude=s[:16]) is not None]
        fp_ += len(false_merges)
    precision, recall = tp / max(tp + fp_, 1), tp / max(tp + fn, 1)
    print(f"duplicates: {len(texts)} originals, {len(cases)} copies; precision {precision:.3f}, recall {recall:.3f} "
          f"(tp {tp}, fp {fp_}, fn {fn}); originals wrongly merged: {false_merges or 'none'}")
    for kind, (ok, n) in by_kind.items():
        print(f"  {kind:12s} recall {ok}/{n} = {ok / n:.3f}")


def eval_campaigns() -> Store:
    from click.testing import CliRunner

    from huntfeed.campaigns.campaign import load_campaigns
    from huntfeed.cli import cli

    out = Path(tempfile.mkdtemp(prefix="dedup-eval-"))
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    store = Store(f"sqlite:///{out / 'huntfeed-demo.db'}")

    def pairs(groups: list[set[str]]) -> set[frozenset[str]]:
        return {frozenset((a, b)) for g in groups for a in g for b in g if a < b}

    found = [{p.url.rsplit("/", 1)[-1].removesuffix(".html") for p in c.members} for c in load_campaigns(store)]
    got, want = pairs(found), pairs(KNOWN_CAMPAIGNS)
    print(f"campaign links: {len(found)} campaigns found, {len(KNOWN_CAMPAIGNS)} known; pair precision "
          f"{len(got & want) / max(len(got), 1):.3f}, recall {len(got & want) / max(len(want), 1):.3f}")
    return store


def eval_cost(store: Store) -> None:
    from huntfeed.pipeline import Knowledge, analyse

    kb = Knowledge.load(kev_path=DEMO / "kev.json")
    profiles = {p.url.rsplit("/", 1)[-1].removesuffix(".html"): p for p in store.list_profiles(limit=1000)}
    texts = {s: t for s, t in originals().items() if s in profiles}
    analyse_cpu = extra_cpu = 0.0
    for slug, text in texts.items():
        article = document_article(text, url=f"http://demo.local/posts/{slug}.html", title=slug)
        t0 = time.process_time()
        analyse(article, kb)
        t1 = time.process_time()
        stories.place(store, article)
        linking.link_profile(store, profiles[slug])
        t2 = time.process_time()
        analyse_cpu += t1 - t0
        extra_cpu += t2 - t1
    n = len(texts)
    print(f"cost per article ({n} demo articles, CPU): analysis {analyse_cpu / n * 1000:.1f} ms, fingerprint + story "
          f"look-up + campaign linking {extra_cpu / n * 1000:.2f} ms = {extra_cpu / analyse_cpu * 100:.1f} % of analysis")


def eval_scaling(sizes: list[int], seed: int) -> None:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    probe_text = " ".join(rng.choice(vocab) for _ in range(600))
    probe_keys = [("ioc", f"domain|probe{i}.example") for i in range(12)]
    cfg = stories.settings()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/s.db")
        have = 0
        for size in sizes:
            for i in range(have, size):
                text = " ".join(rng.choice(vocab) for _ in range(300))
                fp = fingerprint(text, cfg)
                mid = f"{i:016x}"
                store.record_story_member(StoryMember(mid, mid, "", "", "", None, len(text), mid, fp.encode(),
                                                      fp.n_shingles), band_keys(fp, cfg))
                store.set_profile_keys(mid, [("ioc", f"domain|h{rng.randrange(size * 4)}.example") for _ in range(10)])
            have = size
            reps = 200
            t0 = time.process_time()
            for _ in range(reps):
                lookup(store, probe_text)
            t1 = time.process_time()
            for _ in range(reps):
                store.profiles_sharing(probe_keys)
            t2 = time.process_time()
            print(f"  store of {size:6d} articles: story look-up {(t1 - t0) / reps * 1000:.2f} ms CPU "
                  f"(fingerprint included), link look-up {(t2 - t1) / reps * 1000:.2f} ms CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,4000,16000")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    eval_duplicates(args.seed)
    store = eval_campaigns()
    eval_cost(store)
    print("look-up cost by store size:")
    eval_scaling([int(s) for s in args.sizes.split(",")], args.seed)


if __name__ == "__main__":
    main()
