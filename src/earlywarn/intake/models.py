"""Reports (届出): the original submission, kept immutable once written."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earlywarn.records import ImmutableError

__all__ = ["ImmutableError"]  # still importable from here


class ReportKind(models.TextChoices):
    PRODUCT = "product", _("Software product")
    WEBSITE = "website", _("Website")


class ReportOrigin(models.TextChoices):
    FINDER = "finder", _("Finder")
    DEVELOPER_SELF = "developer_self", _("Developer self-report")
    OVERSEAS_CSIRT = "overseas_csirt", _("Overseas CSIRT")


class Report(models.Model):
    """What the finder sent, exactly as sent. The case built from it may change; this never does."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tracking_id = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=ReportKind.choices)  # kind at receipt; the case may move
    origin = models.CharField(max_length=32, choices=ReportOrigin.choices, default=ReportOrigin.FINDER)
    received_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=8, default="ja")
    submission = models.JSONField()  # every submitted field, as validated
    finder_name = models.CharField(max_length=200, blank=True)
    finder_email = models.EmailField(blank=True)
    finder_organisation = models.CharField(max_length=200, blank=True)
    finder_identity_provided = models.BooleanField(default=False)  # §4.2: separate from contactability
    finder_contactable = models.BooleanField(default=False)
    consent_share_identity = models.BooleanField(default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    status_token_hash = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.tracking_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError("a report is immutable once received")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("a report is never deleted")
