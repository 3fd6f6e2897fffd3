"""Outbox delivery task (see docs/decisions for the lease and retry design)."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from earlywarn.notify.models import OutboxMessage, OutboxStatus


@task()
def deliver_outbox_message(message_pk: str) -> str:
    """Send one outbox message; a no-op when it was already sent. Same Message-ID on every attempt."""
    message = OutboxMessage.objects.filter(pk=message_pk).first()
    if message is None or message.status != OutboxStatus.PENDING:
        return "skipped"
    email = EmailMessage(
        subject=message.subject, body=message.body_text, to=[message.to],
        headers={"Message-ID": message.message_id},
    )
    email.send()
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.SENT, sent_at=timezone.now(), attempts=message.attempts + 1
        )
    return "sent"
