"""Background work of the mail outbox: thin, idempotent tasks that call ``earlywarn.notify.delivery``."""

from __future__ import annotations

from django_tasks import task

from earlywarn.config.periodic import PeriodicJob
from earlywarn.notify.delivery import outbox_deliver, outbox_requeue_orphans


@task()
def deliver_outbox_message(message_pk: str) -> str:
    """Send one outbox message: a no-op when it was already sent, is dead, is not due or is being sent."""
    return outbox_deliver(message_pk)


@task()
def requeue_orphaned_mail() -> int:
    return outbox_requeue_orphans()


PERIODIC_JOBS = [PeriodicJob(name="notify.requeue_orphaned_mail", every_seconds=60, task=requeue_orphaned_mail)]
