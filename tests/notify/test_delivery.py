"""Outbox delivery through a real SMTP server on loopback: outage, 4xx, 5xx, drop before 250 (security.md #23)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from earlywarn.cases.models import CaseEvent
from earlywarn.config.worker import run_worker
from earlywarn.notify.delivery import outbox_deliver, outbox_requeue_orphans, retry_delay
from earlywarn.notify.models import OutboxMessage, OutboxStatus
from tests import factories

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]


def _drain(until: float = 5.0) -> None:
    """Run the worker over due tasks until nothing is pending or due soon."""
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        run_worker(batch=True, interval=0)
        if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
            return
        time.sleep(0.05)


def test_mail_waits_out_an_smtp_outage_and_is_delivered_once(smtp_settings, smtp_sink):
    smtp_settings.EARLYWARN = {**smtp_settings.EARLYWARN, "MAIL_RETRY_BASE_SECONDS": 1,
                               "MAIL_RETRY_MAX_SECONDS": 1}  # no retry falls due during the first pass
    receipts = [factories.submit("product", finder_email=f"f{i}@example.test") for i in range(3)]
    assert OutboxMessage.objects.count() == 3

    run_worker(batch=True, interval=0)  # the server is down: every attempt fails, nothing is lost
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    assert pending.count() == 3
    assert all(m.attempts == 1 and m.last_error and m.next_attempt_at > m.created_at for m in pending)

    smtp_sink.start()
    time.sleep(1.3)
    _drain()

    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 3
    expected = {m.message_id for m in OutboxMessage.objects.all()}
    assert sorted(smtp_sink.ids()) == sorted(expected)  # each exactly once, with its own Message-ID
    assert {r.to[0] for r in smtp_sink.received} == {r.report.finder_email for r in receipts}
    for received in smtp_sink.received:  # the subject carries the tracking number, never the report's title
        assert "Stored XSS" not in received.subject
        assert "Stored XSS" not in received.body


@pytest.mark.parametrize(("mode", "error"), [("4xx", "451"), ("drop", "SMTPServerDisconnected")])
def test_a_transient_failure_is_retried_with_the_same_message_id(smtp_settings, smtp_sink, mode, error):
    """A 4xx answer, or a connection dropped before 250: the mail waits and goes out later, same Message-ID."""
    factories.submit("website")
    smtp_sink.mode = mode
    smtp_sink.start()
    run_worker(batch=True, interval=0)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert error in message.last_error

    smtp_sink.mode = "accept"
    time.sleep(0.7)
    _drain()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2
    assert smtp_sink.ids() == [message.message_id, message.message_id]


def test_a_5xx_answer_is_a_dead_letter_with_an_alert(smtp_settings, smtp_sink):
    receipt = factories.submit("product")
    smtp_sink.mode = "5xx"
    smtp_sink.start()
    run_worker(batch=True, interval=0)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.DEAD
    assert "550" in message.last_error
    assert CaseEvent.objects.filter(case=receipt.case, tag="case:mail:dead").count() == 1
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()  # not retried


def test_attempts_are_bounded(smtp_settings, smtp_sink):
    smtp_settings.EARLYWARN = {**smtp_settings.EARLYWARN, "MAIL_RETRY_BASE_SECONDS": 0.02,
                               "MAIL_RETRY_MAX_SECONDS": 0.05}
    factories.submit("product")
    _drain(until=3)  # server never starts: 4 attempts, then dead
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.DEAD
    assert message.attempts == 4


def test_a_duplicate_task_does_not_send_twice(smtp_settings, smtp_sink):
    factories.submit("product")
    smtp_sink.start()
    message = OutboxMessage.objects.get()
    assert outbox_deliver(str(message.pk)) == "sent"
    assert outbox_deliver(str(message.pk)) == "skipped"
    assert len(smtp_sink.received) == 1


def test_a_message_held_by_a_live_lease_is_not_sent_by_another_worker(smtp_settings, smtp_sink):
    factories.submit("product")
    smtp_sink.start()
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(leased_until=timezone.now() + timezone.timedelta(minutes=5))
    assert outbox_deliver(str(message.pk)) == "skipped"
    assert smtp_sink.received == []


def test_an_orphaned_message_gets_a_new_task(smtp_settings, smtp_sink):
    factories.submit("product")
    DBTaskResult.objects.all().delete()  # the task was lost (pruned, or failed on a bug)
    past = timezone.now() - timezone.timedelta(hours=1)
    OutboxMessage.objects.update(next_attempt_at=past)
    assert outbox_requeue_orphans() == 1
    assert outbox_requeue_orphans() == 0  # not re-queued again while the new task is due
    smtp_sink.start()
    _drain()
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert len(smtp_sink.received) == 1


def test_retry_delay_grows_and_is_capped(settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "MAIL_RETRY_BASE_SECONDS": 10, "MAIL_RETRY_MAX_SECONDS": 60}
    delays = [retry_delay(n).total_seconds() for n in range(1, 8)]
    assert 8 <= delays[0] <= 12
    assert 16 <= delays[1] <= 24
    assert 32 <= delays[2] <= 48
    assert all(d <= 72 for d in delays)
    assert delays[-1] >= 48
