"""A worker killed in the middle of a delivery strands nothing: the lease sweep hands the task to another
worker, which delivers the message with the same Message-ID (security.md #14, #22)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from earlywarn.notify.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.notify.smtp import SmtpSink

pytestmark = [pytest.mark.smtp, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(smtp_sink: SmtpSink) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start ``earlywarn worker`` processes with production settings against the test database."""
    procs: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "earlywarn.config.settings",
        "DATABASE_URL": _database_url(),
        "EARLYWARN_DATA_DIR": str(settings.DATA_DIR),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        "EARLYWARN_TASK_LEASE_SECONDS": "2",
        "EARLYWARN_SMTP_TIMEOUT": "1",
    }

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "earlywarn.config.cli", "worker", "--interval", "0.1"],
                                env=env)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_mid_delivery_strands_nothing(smtp_sink, start_worker):
    factories.submit("product")
    message = OutboxMessage.objects.get()
    smtp_sink.mode = "hang"  # the server takes the message and never answers: the worker is mid-delivery
    smtp_sink.start()

    first = start_worker()
    assert smtp_sink.data_seen.wait(30), "the first worker never reached the SMTP server"
    assert DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count() == 1
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    # Without the lease the task would stay RUNNING for ever and the mail would never go.
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count() == 1

    smtp_sink.mode = "accept"
    start_worker()
    _wait(lambda: OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENT).exists(), 60,
          "the second worker to deliver the stranded mail")

    assert smtp_sink.ids() == [message.message_id, message.message_id]  # the repeat carries the same Message-ID
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1
