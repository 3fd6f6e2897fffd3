"""The task worker and scheduler processes, and the lease that django-tasks-db lacks.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: a worker killed
mid-task leaves it RUNNING for ever. ``tasks_requeue_stalled`` is the missing lease: a task RUNNING for longer
than its declared timeout goes back to READY, and another worker runs it. Every task is idempotent, so a task
that was in fact still running (a paused process) does no harm beyond a repeated mail with the same
Message-ID. The worker runs the sweep itself, so nothing depends on a scheduler being up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from earlywarn.config.knobs import knob_int
from earlywarn.config.periodic import periodic_jobs

logger = logging.getLogger("earlywarn.worker")

# Declared timeouts (seconds) of tasks that may legitimately run longer than the default lease.
TASK_TIMEOUTS: dict[str, int] = {}


def _timeout(task_path: str) -> int:
    return TASK_TIMEOUTS.get(task_path, knob_int("TASK_LEASE_SECONDS"))


def tasks_requeue_stalled() -> int:
    """Put tasks RUNNING past their timeout back to READY. Returns how many."""
    now = timezone.now()
    shortest = min([knob_int("TASK_LEASE_SECONDS"), *TASK_TIMEOUTS.values()])
    requeued = 0
    candidates = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING,
                                             started_at__lt=now - timedelta(seconds=shortest))
    for task_id, path, started in candidates.values_list("id", "task_path", "started_at")[:1000]:
        if started is not None and started < now - timedelta(seconds=_timeout(path)):
            requeued += DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING,
                                                    started_at=started).update(status=TaskResultStatus.READY)
    if requeued:
        logger.warning("re-queued %s task(s) whose worker stopped mid-task", requeued)
    return requeued


def _every(every: float, stop: threading.Event, job: Callable[[], object], what: str,
           survives: type[BaseException]) -> None:
    """Run ``job`` every ``every`` seconds in this thread until ``stop``: a failure of kind ``survives`` is logged
    and the next round tries again; each round closes its connection, so the next opens a fresh one (after a
    restore replaced the database file, the new file)."""
    while not stop.wait(every):
        try:
            job()
        except survives:
            logger.exception("%s failed; trying again in %ss", what, every)
        finally:
            connection.close()


def wal_checkpoint() -> tuple[int, int, int] | None:
    """On SQLite, copy the write-ahead log into the database without waiting for anyone (PASSIVE): (busy, frames in
    the log, frames copied). None on other databases. Web processes leave this to the worker (settings.py)."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, frames, copied = cursor.fetchone()
    return int(busy), int(frames), int(copied)


def run_worker(*, batch: bool = False, interval: float = 1.0, max_tasks: int | None = None) -> None:
    """Run tasks until stopped (or, with ``batch``, until the queue is empty), sweeping stalled tasks."""
    lease = knob_int("TASK_LEASE_SECONDS")
    worker = Worker(
        queue_names=["*"], interval=interval, batch=batch, backend_name="default", startup_delay=not batch,
        max_tasks=max_tasks, worker_id=get_random_string(32), excluded_queue_names=[],
    )
    tasks_requeue_stalled()
    stop = threading.Event()
    if not batch:
        worker.configure_signals()
        threading.Thread(target=_every, daemon=True, name="earlywarn-sweep",
                         args=(max(1.0, lease / 4), stop, tasks_requeue_stalled, "stalled-task sweep",
                               DatabaseError)).start()
        if connection.vendor == "sqlite":
            # Any failure: the checkpoints must go on for the life of the worker (the web processes rely on them).
            threading.Thread(target=_every, daemon=True, name="earlywarn-checkpoint",
                             args=(1.0, stop, wal_checkpoint, "WAL checkpoint", Exception)).start()
    try:
        worker.run()
    finally:
        stop.set()


def run_scheduler(*, tick: float = 1.0, once: bool = False) -> None:
    """Enqueue every declared periodic job when it is due (first run at start-up)."""
    jobs = periodic_jobs()
    last_run: dict[str, float] = {}
    logger.info("scheduler: %s", ", ".join(f"{j.name} every {j.every_seconds}s" for j in jobs) or "no jobs")
    while True:
        now = time.monotonic()
        for job in jobs:
            if now - last_run.get(job.name, -float("inf")) >= job.every_seconds:
                job.task.enqueue()
                last_run[job.name] = now
        if once:
            return
        time.sleep(tick)
        close_old_connections()
