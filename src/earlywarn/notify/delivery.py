"""Delivering the outbox: lease a message, send it, record the outcome; retry with back-off; dead-letter.

Each delivery attempt is one ``deliver_outbox_message`` task. The task is idempotent and safe to run twice at
once: it first takes a short lease on the message row (an atomic conditional UPDATE), so only one worker sends
a given message at a time; a worker killed mid-send leaves the lease to expire and the task to be re-queued by
the sweep (``earlywarn.config.worker``). Every attempt sends the Message-ID fixed at enqueue time, so a
repeated delivery is recognisable as the same message by the receiver.
"""

from __future__ import annotations

import logging
import random
import smtplib
from datetime import datetime, timedelta
from email.message import Message
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from earlywarn.config.knobs import knob_float, knob_int
from earlywarn.notify import pgp
from earlywarn.notify.models import OutboxMessage, OutboxStatus

logger = logging.getLogger("earlywarn.notify")


def _lease_seconds() -> int:
    return knob_int("TASK_LEASE_SECONDS")


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off with jitter: base·2^(n−1), capped, ±20 %."""
    base = knob_float("MAIL_RETRY_BASE_SECONDS")
    cap = knob_float("MAIL_RETRY_MAX_SECONDS")
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not cryptography


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer means the server will never take this message: retrying would only repeat it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _lease(message_pk: str, now: datetime) -> OutboxMessage | None:
    """Take the message for one attempt, or None when it is sent, dead, not due, or held by another worker."""
    taken = OutboxMessage.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now),
        pk=message_pk, status=OutboxStatus.PENDING, next_attempt_at__lte=now,
    ).update(leased_until=now + timedelta(seconds=_lease_seconds()))
    if taken != 1:
        return None
    return OutboxMessage.objects.get(pk=message_pk)


def outbox_deliver(message_pk: str) -> str:
    """One delivery attempt. Returns what happened: sent, retry, dead or skipped."""
    now = timezone.now()
    message = _lease(message_pk, now)
    if message is None:
        return "skipped"
    email, unusable = _email(message)
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        return _failed(message, exc)
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.SENT, sent_at=timezone.now(), attempts=message.attempts + 1, leased_until=None,
            last_error="", secure_body="", encrypted=not unusable and bool(message.pgp_fingerprint),
        )
        if unusable and message.case_id is not None:
            from earlywarn.cases.models import CaseEvent

            CaseEvent.objects.create(case_id=message.case_id, tag="case:mail:key_unusable", actor_label="system",
                                     data={"outbox": str(message.pk), "template": message.template,
                                           "to": message.to, "fingerprint": message.pgp_fingerprint,
                                           "reason": unusable})
    return "sent"


class _EncryptedEmail(EmailMessage):
    """An EmailMessage whose entity is an RFC 3156 multipart/encrypted (headers as Django sets them)."""

    def __init__(self, *, entity: Message, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entity = entity

    def message(self, **kwargs: Any) -> Any:
        plain = super().message(**kwargs)
        for name, value in plain.items():
            if name.lower() not in {"content-type", "content-transfer-encoding", "mime-version"}:
                Message.__setitem__(self._entity, name, value)  # already checked and encoded by Django
        return self._entity


def _current_key(message: OutboxMessage) -> str:
    """The key as pinned now: a website contact's key may have been refreshed (a revocation learnt) or unpinned
    since the message was written; an unpinned fingerprint is a missing key. Other mail uses its own copy."""
    if message.case_id is None:
        return message.pgp_key
    from django.apps import apps

    contacts = apps.get_model("websites", "WebsiteContact").objects.filter(case_id=message.case_id, email=message.to)
    if not contacts.exists():
        return message.pgp_key
    pinned = contacts.filter(pgp_fingerprint=message.pgp_fingerprint).exclude(pgp_key="").first()
    return str(pinned.pgp_key) if pinned is not None else ""


def _email(message: OutboxMessage) -> tuple[EmailMessage, str]:
    """The mail to send, and why the pinned key could not be used ("" when it was, or there is none).

    A message for a pinned key is encrypted now, with the key as pinned; when the key is unusable the plain body,
    which never carries details, goes instead and the case records why (decision 0006).
    """
    headers = {"Message-ID": message.message_id}
    if message.pgp_fingerprint and message.secure_body:
        try:
            entity = pgp.pgp_mime(message.secure_body, _current_key(message), message.pgp_fingerprint)
        except pgp.KeyUnusable as exc:
            logger.warning("mail %s: pinned key %s unusable (%s); sending the plain notice", message.pk,
                           message.pgp_fingerprint, exc.reason)
            reason = exc.reason
        else:
            return _EncryptedEmail(entity=entity, subject=message.subject, body="", to=[message.to],
                                   headers=headers), ""
        return EmailMessage(subject=message.subject, body=message.body_text, to=[message.to], headers=headers), reason
    return EmailMessage(subject=message.subject, body=message.body_text, to=[message.to], headers=headers), ""


def _failed(message: OutboxMessage, exc: BaseException) -> str:
    attempts = message.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    dead = is_permanent(exc) or attempts >= knob_int("MAIL_MAX_ATTEMPTS")
    with transaction.atomic():
        if dead:
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=OutboxStatus.DEAD, attempts=attempts, last_error=error, leased_until=None, secure_body="")
            _alert_dead(message, error)
            return "dead"
        due = timezone.now() + retry_delay(attempts)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=attempts, last_error=error, leased_until=None, next_attempt_at=due)
        _enqueue(message, run_after=due)
    logger.warning("mail %s to be retried at %s (attempt %s): %s", message.pk, due.isoformat(), attempts, error)
    return "retry"


def _alert_dead(message: OutboxMessage, error: str) -> None:
    """Dead letter: staff see it in the case's audit trail and in the error log."""
    logger.error("mail %s (%s) is dead after %s attempts: %s", message.pk, message.template, message.attempts + 1,
                 error)
    if message.case_id is not None:
        from earlywarn.cases.models import CaseEvent

        CaseEvent.objects.create(case_id=message.case_id, tag="case:mail:dead", actor_label="system",
                                 data={"outbox": str(message.pk), "template": message.template, "error": error})


def _enqueue(message: OutboxMessage, *, run_after: datetime | None = None) -> None:
    from earlywarn.notify.tasks import deliver_outbox_message

    task = deliver_outbox_message if run_after is None else deliver_outbox_message.using(run_after=run_after)
    task.enqueue(str(message.pk))


def outbox_requeue_orphans() -> int:
    """Give a new delivery task to pending mail whose task was lost (failed on a bug, pruned, never ran).

    A message counts as orphaned when it has been due for longer than one lease without being sent. Its
    ``next_attempt_at`` moves to now, so the same message is not re-queued on every sweep.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=_lease_seconds())
    requeued = 0
    stale = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lt=cutoff).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now))
    for message in stale.only("pk")[:500]:
        with transaction.atomic():
            if OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING,
                                            next_attempt_at__lt=cutoff).update(next_attempt_at=now):
                _enqueue(message)
                requeued += 1
    if requeued:
        logger.warning("re-queued %s orphaned mail message(s)", requeued)
    return requeued
