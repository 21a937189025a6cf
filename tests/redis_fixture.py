"""Pytest fixtures for the scale-mode tests: a Redis server and two Celery worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from huntfeed.paths import package_data
from tests.redis_server import RedisServer, start_redis

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis server for the test session."""
    got = start_redis()
    if isinstance(got, str):
        pytest.skip(got)
    yield got
    got.stop()


def demo_kev() -> Path | None:
    """The demo's KEV file where the corpus has one (both modes must score with the same list)."""
    path = package_data("demo", "kev.json")
    return path if path.is_file() else None


def worker_env(broker: str, home: Path) -> dict[str, str]:
    """Environment of a worker subprocess: this checkout's code, the test broker, fast politeness."""
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "HUNTFEED_BROKER": broker,
        "HUNTFEED_HOME": str(home),
        "HUNTFEED_HOST_INTERVAL": "0.05",
        "HUNTFEED_RETRY_BASE": "0.2",
    })
    kev = demo_kev()
    if kev is not None:
        env["HUNTFEED_KEV"] = str(kev)
    env.pop("HUNTFEED_DB", None)
    return env


def start_workers(broker: str, home: Path, n: int = 2, *, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    """n worker processes: the first through `celery -A ... worker`, the rest through `huntfeed worker`."""
    procs = []
    for i in range(n):
        if i == 0:
            cmd = [sys.executable, "-m", "celery", "-A", "huntfeed.distributed.app", "worker", "--concurrency=1",
                   "-Q", "huntfeed", "--without-gossip", "--without-mingle", "-n", f"w{i}@%h", "--loglevel=WARNING"]
        else:
            cmd = [sys.executable, "-m", "huntfeed", "worker", "--concurrency", "1", "--loglevel", "WARNING"]
        log = open(log_dir / f"worker{i}.log", "wb")  # noqa: SIM115 - handed to the child
        procs.append(subprocess.Popen(cmd, env=worker_env(broker, home), stdout=log, stderr=subprocess.STDOUT,
                                      cwd=str(home)))
    return procs


def wait_ready(app: object, procs: list[subprocess.Popen[bytes]], log_dir: Path, timeout: float = 120) -> None:
    """Until every worker answers a ping (or one dies: fail with its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for i, p in enumerate(procs):
            if p.poll() is not None:
                log = (log_dir / f"worker{i}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"worker {i} exited with {p.returncode}:\n{log}")
        replies = app.control.ping(timeout=0.5)  # type: ignore[attr-defined]
        if len(replies) >= len(procs):
            return
    raise RuntimeError("workers did not come up in time")


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    """Cold shutdown (SIGQUIT: the work is done, nothing to drain), then kill what lingers."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGQUIT)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
