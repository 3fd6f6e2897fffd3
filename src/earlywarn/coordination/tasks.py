"""Background work of the coordination: reminders to developers, priority information before publication and the
scheduled publication (docs/coordination.md).

The jobs are idempotent: a reminder is recorded once per notice and day (``DeveloperReminder``), and a published
case and a delivered priority selection are never due again, so an extra run or a run after a dead worker sends
and publishes nothing twice."""

from __future__ import annotations

from django_tasks import task

from earlywarn.config.periodic import PeriodicJob
from earlywarn.coordination.priority import priority_deliver_due
from earlywarn.coordination.schedule import developer_reminders_due, scheduled_publications_due


@task()
def send_developer_reminders() -> int:
    return developer_reminders_due()


@task()
def deliver_priority_information() -> int:
    return priority_deliver_due()


@task()
def publish_scheduled_cases() -> int:
    return scheduled_publications_due()


PERIODIC_JOBS = [
    PeriodicJob(name="coordination.send_developer_reminders", every_seconds=3600, task=send_developer_reminders),
    PeriodicJob(name="coordination.deliver_priority_information", every_seconds=3600,
                task=deliver_priority_information),
    PeriodicJob(name="coordination.publish_scheduled_cases", every_seconds=60, task=publish_scheduled_cases),
]
