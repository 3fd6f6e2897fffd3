"""The stalled-task sweep (the lease django-tasks-db lacks) and the periodic-job scheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from earlywarn.config.periodic import periodic_jobs
from earlywarn.config.worker import run_scheduler, tasks_requeue_stalled
from earlywarn.notify.tasks import deliver_outbox_message

pytestmark = pytest.mark.django_db


def _running(started_ago: timedelta) -> DBTaskResult:
    result = deliver_outbox_message.enqueue("00000000-0000-0000-0000-000000000000")
    DBTaskResult.objects.filter(id=result.id).update(status=TaskResultStatus.RUNNING,
                                                     started_at=timezone.now() - started_ago)
    return DBTaskResult.objects.get(id=result.id)


def test_only_tasks_running_past_their_lease_go_back_to_the_queue(settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "TASK_LEASE_SECONDS": 60}
    stalled = _running(timedelta(seconds=61))
    alive = _running(timedelta(seconds=30))
    assert tasks_requeue_stalled() == 1
    stalled.refresh_from_db()
    alive.refresh_from_db()
    assert stalled.status == TaskResultStatus.READY
    assert alive.status == TaskResultStatus.RUNNING


def test_the_scheduler_enqueues_every_declared_job():
    jobs = periodic_jobs()
    assert "notify.requeue_orphaned_mail" in {job.name for job in jobs}
    run_scheduler(once=True)
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == {job.task.module_path for job in jobs}
