"""pipeline.settle_heap: what is loaded leaves the collector's sight, young collections come less often."""

from __future__ import annotations

import subprocess
import sys


def test_settle_heap_freezes_what_is_loaded_and_raises_the_young_threshold() -> None:
    # in a fresh interpreter: freezing the test process's own heap would keep its garbage for good
    code = (
        "import gc\n"
        "from huntfeed.pipeline import GC_YOUNG, settle_heap\n"
        "before = gc.get_freeze_count(); old = gc.get_threshold()\n"
        "settle_heap()\n"
        "assert gc.get_freeze_count() > before + 1000, gc.get_freeze_count()\n"
        "assert gc.get_threshold() == (GC_YOUNG, *old[1:]), gc.get_threshold()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
