"""Throughput of the analysis and of the scale mode; prints the figures docs/scale.md reports.

    python bench/throughput.py [--n 2000] [--batch 25] [--skip-distributed]
    python bench/throughput.py --quick     # figures 1, 3 and 4 only, 1000 reports: a few minutes idle
    python bench/throughput.py --real [--runs 3] [--size 30000] [--repeat 1]   # real reports, figure R

1. Analysis on one core (this process pinned to one CPU, BLAS threads off): synthetic 5 KB
   reports through the full pipeline minus the network (text -> article -> analyse).
2. A synthetic backfill of n reports in the local mode (one process, SQLite store included).
3. The same backfill on Celery workers with a PostgreSQL store and a Redis broker (throw-away
   servers on loopback, as in the tests): 1 worker, then 2 workers; ratio of the rates.
4. Peak resident memory of each worker process (VmHWM) with the models loaded.

``--real`` measures the real-report figures instead (bench/real_reports.py builds ~30 KB reports
from ``../shared/eval/reports_dev.jsonl``): whole ``huntfeed analyze --jsonl`` processes pinned to
one core, on one report and on all of them, so start-up (imports and knowledge loading, to the
first profile) and the cost per report after start both come out of process CPU time; the same
process's peak memory; ``huntfeed --help`` and a one-line ``huntfeed extract`` start; and, when
``--peer-python`` (default ``.venv-bench/bin/python``) has ioc-finder, ioc-finder's whole process
extracting from the same reports as a yardstick.
"""

from __future__ import annotations

import argparse
import compileall
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/sklearn load: one core means one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import contextlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

from tests.synthetic import report, write_jsonl  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of a process and its children, by pid (PostgreSQL's backends, for one)."""
    pids = [root] + [int(x) for x in subprocess.run(["pgrep", "-P", str(root)], capture_output=True,
                                                    text=True).stdout.split()]
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # a backend that just exited
            out[pid] = cpu_seconds(pid)
    return out


def own_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench_analysis(m: int) -> float:
    from huntfeed.distributed.documents import Doc, doc_article
    from huntfeed.pipeline import Knowledge, analyse

    kb = Knowledge.load()
    docs = [Doc(f"b{i}", text, title=title) for i, (title, text) in enumerate(report(10_000_000 + i, 5000)
                                                                                 for i in range(m + 20))]
    for d in docs[:20]:  # warm-up: lazy caches, first-call imports
        analyse(doc_article(d, d.text or ""), kb)
    started, cpu0 = time.perf_counter(), own_cpu()
    for d in docs[20:]:
        analyse(doc_article(d, d.text or ""), kb)
    rate = m / (time.perf_counter() - started)
    cpu = (own_cpu() - cpu0) / m
    size = sum(len(d.text or "") for d in docs[20:]) / m
    # The CPU time per article does not depend on what else the machine runs; the rate does.
    print(f"[1] analysis, one core: {rate:.1f} articles/s ({m} synthetic reports, mean {size / 1000:.1f} KB; "
          f"{cpu * 1000:.1f} ms CPU per article = {1 / cpu:.1f} articles per CPU-second)")
    return rate


def bench_local_backfill(archive: Path, n: int, work: Path) -> float:
    from huntfeed.distributed.backfill import backfill_local
    from huntfeed.pipeline import Knowledge
    from huntfeed.store import Store

    store = Store(f"sqlite:///{work / 'local.db'}")
    kb = Knowledge.load()
    started = time.perf_counter()
    result = backfill_local(store, kb, archive)
    elapsed = time.perf_counter() - started
    assert result.done == n, result.as_dict()
    print(f"[2] local backfill, one process + SQLite: {n} reports in {elapsed:.1f} s = {n / elapsed:.1f} articles/s")
    return n / elapsed


def _workers(k: int, broker: str, home: Path) -> list[subprocess.Popen[bytes]]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]), HUNTFEED_BROKER=broker,
               HUNTFEED_HOME=str(home))
    return [
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "huntfeed.distributed.app", "worker", "--pool=solo",
                          "-Q", "huntfeed", "--without-gossip", "--without-mingle", "-n", f"bench{i}@%h",
                          "--loglevel=WARNING"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(k)
    ]


def bench_distributed(archive: Path, n: int, k: int, pg: object, redis_url: str, redis_pid: int,
                      home: Path, batch: int) -> tuple[float, list[float]]:
    from huntfeed.distributed.app import app
    from huntfeed.distributed.dispatch import dispatch_backfill
    from huntfeed.distributed.tasks import worker_info

    db_url = pg.create_database(f"bench_{k}")  # type: ignore[attr-defined]
    procs = _workers(k, redis_url, home)
    try:
        deadline = time.monotonic() + 120
        while len(app.control.ping(timeout=0.5)) < k:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("workers did not start")
        # Warm every worker (models loaded, store migrated) before the clock starts: a worker
        # that missed the warm-up would load its models (seconds) inside the timed run.
        loaded: set[int] = set()
        while len(loaded) < k:
            if time.monotonic() > deadline + 120:
                raise RuntimeError(f"only {len(loaded)} of {k} workers took a warm-up task")
            replies = [r.get(timeout=120) for r in [worker_info.apply_async(kwargs={"load": True})
                                                    for _ in range(4 * k)]]
            loaded |= {info["pid"] for info in replies if info["knowledge_loads"]}
        dispatch_backfill(db_url, write_jsonl(home / "warm.jsonl", 4 * k, 5000, start=20_000_000), batch=1,
                          timeout=300)
        postmaster = int((pg.datadir / "postmaster.pid").read_text().split()[0])  # type: ignore[attr-defined]
        cpu0, pg0, me0, redis0 = sum(cpu_seconds(p.pid) for p in procs), tree_cpu(postmaster), own_cpu(), \
            cpu_seconds(redis_pid)
        started = time.perf_counter()
        result = dispatch_backfill(db_url, archive, batch=batch, timeout=3600)
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        pg1 = tree_cpu(postmaster)
        pg_cpu = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
        me, redis_cpu = own_cpu() - me0, cpu_seconds(redis_pid) - redis0
        assert result.done == n, result.as_dict()
        peaks = [peak_rss_mb(p.pid) for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    print(f"[3] distributed backfill, {k} worker(s) + PostgreSQL + Redis: {n} reports in {elapsed:.1f} s = "
          f"{n / elapsed:.1f} articles/s ({n / cpu:.1f} per worker CPU-second); "
          f"worker peak RSS {', '.join(f'{m:.0f} MB' for m in peaks)}; load average {load()}")
    w, rest = cpu / n, (pg_cpu + redis_cpu + me) / n
    print(f"    CPU per article: workers {w * 1000:.1f} ms, PostgreSQL {pg_cpu / n * 1000:.2f} ms, "
          f"Redis {redis_cpu / n * 1000:.2f} ms, dispatcher {me / n * 1000:.2f} ms; the stack used "
          f"{(cpu + pg_cpu + redis_cpu + me) / elapsed:.2f} of {os.cpu_count()} cores; 2 cores shared with "
          f"the rest of the stack bound the 2-worker ratio at {2 * w / (w + rest):.2f}x")
    return n / elapsed, peaks


def _compile_trees() -> None:
    trees = [ROOT / "src", *(Path(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    for tree in trees:
        if tree.is_dir():
            compileall.compile_dir(str(tree), quiet=1)


def bench_real(runs: int, size: int, repeat: int, peer_python: Path) -> None:
    import real_reports as rr

    shared = rr.shared_dir()
    if shared is None:
        print("[R] skipped: ../shared/eval/reports_dev.jsonl not found (set HUNTFEED_SHARED)")
        return
    reports = rr.real_reports(rr.dev_texts(shared), size, repeat)
    mb = sum(len(r.encode("utf-8")) for r in reports) / 1e6
    core = min(os.sched_getaffinity(0))
    hf = rr.huntfeed_cmd()
    with tempfile.TemporaryDirectory(prefix="huntfeed-real-") as tmp:
        work = Path(tmp)
        all_docs = rr.write_jsonl(work / "all.jsonl", reports)
        first = rr.write_jsonl(work / "first.jsonl", reports[:1])
        one = work / "one-line.txt"
        one.write_text("C2 at evil[.]example.com and 203.0.113.7\n", encoding="utf-8")
        # A cache folder of this run's own, warmed by an untimed run: the user's cache is shared with every
        # other checkout and process on the machine, and one that rewrote the query cache for other rules
        # made the next start convert them again (pySigma, ~1 s) - one source of the start's noise.
        private = {"HUNTFEED_CACHE": str(work / "cache")}
        # Bytecode for the timed tree (this checkout's src and any PYTHONPATH tree, e.g. a `git archive`
        # compared against): with PYTHONDONTWRITEBYTECODE set the warm-up writes none, and a tree without
        # it compiles every module in every timed start (bench/ioc_peers.py does the same).
        _compile_trees()
        rr.timed_process(hf + ["analyze", "--jsonl", str(all_docs)], cpu=core, env=private)  # untimed: caches, .pyc

        def timed(cmd: list[str]) -> list[rr.Run]:
            return [rr.timed_process(cmd, cpu=core, env=private) for _ in range(runs)]

        help_run, extract_run = rr.median_run(timed(hf + ["--help"])), rr.median_run(timed(hf + ["extract", str(one)]))
        # Start and whole runs alternate, so a slow spell of the machine touches both alike. CPU time still
        # moves with what the rest of the machine runs (shared caches and cores): the fastest run is the
        # figure least disturbed by that, the median beside it.
        starts, wholes = [], []
        for _ in range(runs):
            starts += timed(hf + ["analyze", "--jsonl", str(first)])[:1]
            wholes += timed(hf + ["analyze", "--jsonl", str(all_docs)])[:1]
        start, whole = rr.median_run(starts), rr.median_run(wholes)
        start_min = min(r.cpu for r in starts)
        # Per report after start from each pair of neighbouring runs (one spell of the machine each).
        pers = sorted((w.cpu - s.cpu) / (len(reports) - 1) for s, w in zip(starts, wholes, strict=True))
        per, per_min = pers[len(pers) // 2], pers[0]
        # The same two runs with an empty query cache: what the very first run after an install costs.
        cold_first = rr.timed_process(hf + ["analyze", "--jsonl", str(first)], cpu=core,
                                      env={"HUNTFEED_CACHE": str(work / "cold-1")})
        cold_all = rr.timed_process(hf + ["analyze", "--jsonl", str(all_docs)], cpu=core,
                                    env={"HUNTFEED_CACHE": str(work / "cold-all")})
        print(f"[R] real reports: {len(reports)} of {mb * 1e6 / len(reports) / 1000:.1f} KB on average "
              f"({mb:.2f} MB), whole processes pinned to one core, CPU time, median of {runs}; load {load()}")
        print(f"    huntfeed --help: {help_run.cpu:.2f} s; huntfeed extract, one-line file: {extract_run.cpu:.2f} s "
              f"(target <= 0.35)")
        print(f"    huntfeed analyze --jsonl, one report (start to first profile): median {start.cpu:.2f} s, "
              f"fastest {start_min:.2f} s ({rr.spread(starts)}; target <= 1.5)")
        print(f"    all {len(reports)}: {whole.cpu:.2f} s, {len(reports) / whole.cpu:.1f} reports/s with the start; "
              f"after start {per * 1000:.0f} ms per report = {1 / per:.1f} reports/s = "
              f"{mb / len(reports) / per * 1000:.0f} KB/s on one core (target >= 15 reports/s, 450 KB/s), the median "
              f"of {runs} pairs of runs; the fastest pair {per_min * 1000:.0f} ms = {1 / per_min:.1f} reports/s")
        print(f"    with an empty hunt query cache (the first run after an install): one report {cold_first.cpu:.2f} s, "
              f"all {len(reports)} {cold_all.cpu:.2f} s")
        print(f"    peak memory of that process, everything loaded: {whole.rss_mb:.0f} MB (target <= 300 MB)")
        if peer_python.exists():
            code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('ioc_finder') is None)"
            if subprocess.run([str(peer_python), "-c", code]).returncode == 0:
                peer = rr.median_run(timed([str(peer_python), str(Path(rr.__file__)), "ioc-finder", str(all_docs)]))
                print(f"    ioc-finder (extraction only) on the same reports: {peer.cpu:.2f} s; huntfeed's whole "
                      f"analysis takes {whole.cpu / peer.cpu:.2f}x its time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="reports in the synthetic backfill (issue target: 10000)")
    parser.add_argument("--m", type=int, default=300, help="reports for the one-core analysis figure")
    parser.add_argument("--batch", type=int, default=25, help="documents per worker task (huntfeed backfill --batch)")
    parser.add_argument("--skip-distributed", action="store_true", help="no PostgreSQL/Redis/Celery part")
    parser.add_argument("--skip-local", action="store_true", help="no local SQLite backfill (figure 2)")
    parser.add_argument("--quick", action="store_true",
                        help="the scale-out check in a few minutes: --n 1000 --m 100 --batch 10 --skip-local")
    parser.add_argument("--real", action="store_true", help="the real-report figures (R) only")
    parser.add_argument("--runs", type=int, default=3, help="--real: runs per figure (the median is printed)")
    parser.add_argument("--size", type=int, default=30_000, help="--real: characters per report (at least)")
    parser.add_argument("--repeat", type=int, default=1, help="--real: passes over the write-ups")
    parser.add_argument("--peer-python", type=Path, default=ROOT / ".venv-bench" / "bin" / "python",
                        help="--real: interpreter with ioc-finder installed, for the yardstick")
    args = parser.parse_args()
    if args.real:
        bench_real(args.runs, args.size, args.repeat, args.peer_python)
        return
    if args.quick:
        # Smaller tasks keep the tail (one worker finishing the last task alone) short in a short run.
        args.n, args.m, args.batch, args.skip_local = 1000, 100, 10, True
    print(f"huntfeed throughput benchmark: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}, "
          f"load average {load()} (other work on the machine lowers every figure)")
    with tempfile.TemporaryDirectory(prefix="huntfeed-bench-") as tmp:
        work = Path(tmp)
        os.environ["HUNTFEED_HOME"] = str(work)
        archive = write_jsonl(work / "archive.jsonl", args.n, 5000)
        all_cpus = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(all_cpus)})  # figures 1 and 2 are per core
        bench_analysis(args.m)
        if not args.skip_local:
            bench_local_backfill(archive, args.n, work)
        os.sched_setaffinity(0, all_cpus)
        if args.skip_distributed:
            return
        from tests.pg import start_postgres
        from tests.redis_server import start_redis

        pg, redis = start_postgres(), start_redis()
        if isinstance(pg, str) or isinstance(redis, str):
            print(f"[3] skipped: {pg if isinstance(pg, str) else redis}")
            return
        try:
            from huntfeed.distributed.app import app

            app.conf.broker_url = redis.url
            app.conf.result_backend = redis.url
            assert redis.proc is not None
            one, peaks1 = bench_distributed(archive, args.n, 1, pg, redis.url, redis.proc.pid, work, args.batch)
            two, peaks2 = bench_distributed(archive, args.n, 2, pg, redis.url, redis.proc.pid, work, args.batch)
        finally:
            redis.stop()
            pg.stop()
        print(f"[3] scale-out: 2 workers / 1 worker = {two / one:.2f}x (target >= 1.8 on this {os.cpu_count()}-core "
              f"machine, which also runs PostgreSQL, Redis and the dispatcher); load average now {load()}")
        print(f"[4] peak memory per worker: {max(peaks1 + peaks2):.0f} MB at most (target < 500 MB)")


if __name__ == "__main__":
    main()
