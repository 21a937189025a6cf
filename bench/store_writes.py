"""CPU cost of storing analysed profiles in PostgreSQL: one transaction per document or per batch.

    python bench/store_writes.py [--n 500]

Analyses 10 synthetic 5 KB reports once, then stores n copies (new ids and contents) the way a
backfill does, and prints the CPU time per article of the PostgreSQL server (all backends) and
of this process (the worker's side: SQLAlchemy, JSON), both independent of the machine's load:

* per-document: previous version, save, backfill mark, each its own transaction (the
  pre-batching worker);
* batch: 25 documents per ``Store.save_profiles`` transaction, with documents compressed by
  LZ4 (migration 0003) and, for comparison, by PostgreSQL's default pglz.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import sqlalchemy as sa  # noqa: E402

from bench.throughput import own_cpu, tree_cpu  # noqa: E402
from huntfeed.distributed.documents import Doc, doc_article  # noqa: E402
from huntfeed.model import Profile  # noqa: E402
from huntfeed.pipeline import Knowledge, analyse  # noqa: E402
from huntfeed.store import BackfillMark, Store  # noqa: E402
from tests.pg import start_postgres  # noqa: E402
from tests.synthetic import report  # noqa: E402

BATCH = 25


def per_document(store: Store, profiles: list[Profile]) -> None:
    for i, p in enumerate(profiles):
        store.get_profile(p.id)
        store.save_profile(p)
        store.mark_backfill(f"d{i}", "f", "done", profile_id=p.id)


def batched(store: Store, profiles: list[Profile]) -> None:
    for i in range(0, len(profiles), BATCH):
        chunk = profiles[i : i + BATCH]
        store.backfill_states(f"d{j}" for j in range(i, i + len(chunk)))
        store.latest_profiles(p.id for p in chunk)
        store.save_profiles(chunk, backfill=[BackfillMark(f"d{j}", "f", "done", p.id) for j, p in enumerate(chunk, i)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    kb = Knowledge.load()
    base = []
    for i in range(10):
        title, text = report(10_000_000 + i, 5000)
        base.append(analyse(doc_article(Doc(f"b{i}", text, title=title), text), kb))
    pg = start_postgres()
    if isinstance(pg, str):
        sys.exit(f"skipped: {pg}")
    postmaster = int((pg.datadir / "postmaster.pid").read_text().split()[0])
    runs: list[tuple[str, Callable[[Store, list[Profile]], None], str | None]] = [
        ("per-document transactions, LZ4", per_document, None),
        ("batches of 25, LZ4", batched, None),
        ("batches of 25, pglz", batched, "pglz"),
    ]
    try:
        for k, (name, write, compression) in enumerate(runs):
            store = Store(pg.create_database(f"w{k}"))
            if compression:
                with store.engine.begin() as conn:
                    conn.execute(sa.text(f"ALTER TABLE profile_versions ALTER COLUMN doc SET COMPRESSION {compression}"))
            profiles = [replace(base[i % 10], id=f"{k}{i:015d}", content_hash=f"{k}-{i}") for i in range(args.n)]
            pg0, me0 = tree_cpu(postmaster), own_cpu()
            write(store, profiles)
            pg1, me = tree_cpu(postmaster), own_cpu() - me0
            server = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
            print(f"{name}: PostgreSQL {server / args.n * 1000:.2f} ms, this process {me / args.n * 1000:.2f} ms "
                  f"CPU per article ({args.n} profiles)")
            store.close()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
