"""Coordination of a product case with its developers (partnership.md §3.2 step 4, §4.4, §4.6; docs/coordination.md).

Only services (``coordination/services.py``) write these rows, inside the transaction of ``case_transition()`` or
next to a ``CaseEvent``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earlywarn.accounts.models import Organisation
from earlywarn.cases.models import Case


class Coordination(models.Model):
    """The clocks of one product case: the start date (起算日) and the 45-day publication target (§4.4)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="coordination")
    started_at = models.DateTimeField(default=timezone.now)
    start_date = models.DateField()  # 起算日 (EARLYWARN_COORDINATION_START_DATE)
    target_date = models.DateField()  # a target, never a deadline the developer failed (§4.4)

    def __str__(self) -> str:
        return f"{self.start_date} → {self.target_date}"


class DeveloperNotice(models.Model):
    """A developer organisation brought into a case, where its notice went, and its acknowledgement."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="developer_notices")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="developer_notices")
    email = models.EmailField()
    language = models.CharField(max_length=8, default="ja")
    notified_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notified_at", "organisation__name"]
        constraints = [models.UniqueConstraint(fields=["case", "organisation"], name="developer_notice_unique")]

    def __str__(self) -> str:
        return self.email


class ProductStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Under investigation")
    AFFECTED = "affected", _("Affected")
    NOT_AFFECTED = "not_affected", _("Not affected")
    FIXED = "fixed", _("Fixed")


class ProductStatement(models.Model):
    """A developer's status of one product and version, with its statement for publication."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="product_statements")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="product_statements")
    product = models.CharField(max_length=200)
    version = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=ProductStatus.choices)
    fixed_version = models.CharField(max_length=100, blank=True)
    statement = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "product", "version"]
        constraints = [models.UniqueConstraint(fields=["case", "organisation", "product", "version"],
                                               name="product_statement_unique")]

    def __str__(self) -> str:
        return f"{self.product} {self.version}".strip()


class ContactAttempt(models.Model):
    """One attempt to reach a developer (§4.6: the record behind listing it as unreachable)."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contact_attempts")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contact_attempts")
    channel = models.CharField(max_length=16)
    note = models.TextField(blank=True)
    attempted_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return self.channel


class UnreachableListing(models.Model):
    """What the public list of unreachable developers shows for one case: the developer's name and product only."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="unreachable_listings")
    developer_name = models.CharField(max_length=300)
    product = models.CharField(max_length=200)
    listed_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-listed_at", "id"]

    def __str__(self) -> str:
        return f"{self.developer_name}: {self.product}"
