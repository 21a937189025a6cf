"""The Celery application: ``celery -A huntfeed.distributed.app worker`` (or ``huntfeed worker``).

Broker and result backend come from $HUNTFEED_BROKER (default redis://127.0.0.1:6379/0) and
$HUNTFEED_RESULTS (default: the broker). Results that matter (profiles, item states) go to the
store named in each task; the backend only lets a dispatcher wait for its tasks.
"""

from __future__ import annotations

import os

from celery import Celery

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def broker_url() -> str:
    """The Redis broker URL this process uses."""
    return os.environ.get("HUNTFEED_BROKER") or DEFAULT_BROKER


app = Celery("huntfeed", broker=broker_url(), backend=os.environ.get("HUNTFEED_RESULTS") or broker_url(),
             include=["huntfeed.distributed.tasks"])
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    # A worker killed mid-task leaves its message for another worker; every task is idempotent.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_transport_options={"visibility_timeout": 3600},
    result_expires=3600,
    task_default_queue="huntfeed",
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    worker_send_task_events=False,
)
