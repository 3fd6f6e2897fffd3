"""Background work of the website flow: the operators' reminders (idempotent; docs/websites.md)."""

from __future__ import annotations

from django_tasks import task

from earlywarn.config.periodic import PeriodicJob
from earlywarn.websites.notification import reminders_due


@task()
def send_operator_reminders() -> int:
    return reminders_due()


PERIODIC_JOBS = [PeriodicJob(name="websites.send_operator_reminders", every_seconds=3600,
                             task=send_operator_reminders)]
