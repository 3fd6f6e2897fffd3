"""Suite-wide fixtures: named roles (Zulip's example_user style) and a clean outbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import factories
from tests.notify.smtp import SmtpSink


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def handler(db):
    return factories.handler()


@pytest.fixture
def coordinator(db):
    return factories.coordinator()


@pytest.fixture
def administrator(db):
    return factories.administrator()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on loopback, not yet started (a test may start it late, to simulate an outage)."""
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_settings(settings, smtp_sink):
    """Point Django's mail at ``smtp_sink`` and make retries fast."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EARLYWARN = {**settings.EARLYWARN, "MAIL_RETRY_BASE_SECONDS": 0.5, "MAIL_RETRY_MAX_SECONDS": 0.5,
                          "MAIL_MAX_ATTEMPTS": 4}
    return settings
