"""Hand an outbox message to the task queue. Delivery itself lives in ``earlywarn.notify.tasks``."""

from __future__ import annotations

from earlywarn.notify.models import OutboxMessage


def outbox_dispatch(message: OutboxMessage) -> None:
    """Enqueue delivery of ``message``. The database task backend writes the task in the caller's transaction."""
    from earlywarn.notify.tasks import deliver_outbox_message

    deliver_outbox_message.enqueue(str(message.id))
