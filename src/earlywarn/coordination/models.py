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


# --------------------------------------------------------------------------------------------------------------
# Schedule (§4.4): the publication date the coordinator proposes and the developers agree to.
# --------------------------------------------------------------------------------------------------------------


class PublicationSchedule(models.Model):
    """The proposed and agreed publication date-time of a case (an embargo until then) and its automatic publication.

    Date-times are stored in UTC; ``time_zone`` is the zone they were agreed in (shown to every party)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="schedule")
    proposed_at = models.DateTimeField(null=True, blank=True)  # the proposed publication date-time
    proposed_by = models.CharField(max_length=200, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)  # the agreed publication date-time (the embargo's end)
    agreed_on = models.DateTimeField(null=True, blank=True)  # when the agreement was recorded
    time_zone = models.CharField(max_length=64, default="Asia/Tokyo")
    published_at = models.DateTimeField(null=True, blank=True)  # set by the automatic publication

    def __str__(self) -> str:
        return f"{self.agreed_at or self.proposed_at}"


class DeveloperReminder(models.Model):
    """One reminder sent to a developer that has not acknowledged a notice (§3.2; EARLYWARN_DEVELOPER_REMINDER_DAYS)."""

    id = models.BigAutoField(primary_key=True)
    notice = models.ForeignKey(DeveloperNotice, on_delete=models.CASCADE, related_name="reminders")
    due_day = models.PositiveIntegerField()  # the configured day after notification this reminder was for
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["notice", "due_day"], name="developer_reminder_once")]

    def __str__(self) -> str:
        return f"{self.notice_id} day {self.due_day}"


# --------------------------------------------------------------------------------------------------------------
# Developer directory: products and their end of life (§4.8).
# --------------------------------------------------------------------------------------------------------------


class DeveloperProduct(models.Model):
    """A product of a developer organisation, with its end of support when it is an EOL product."""

    id = models.BigAutoField(primary_key=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    support_ended_on = models.DateField(null=True, blank=True)
    eol_notice_url = models.URLField(blank=True)  # where the developer declared the end of life

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="developer_product_unique")]

    def __str__(self) -> str:
        return self.name


class EolCase(models.TextChoices):
    A = "A", _("A: support ended, impact small - closed (normal handling)")
    B = "B", _("B: support ended, countermeasure prepared - publication")
    C = "C", _("C: support ended, no countermeasure, developer agrees to a stop-using publication")
    D = "D", _("D: support ended, developer neither fixes nor agrees - committee, stop-using publication")
    E = "E", _("E: support ended, developer unreachable - committee, stop-using publication")


class EolAssessment(models.Model):
    """Which of the cases A–E of §4.8 applies to a case about an end-of-life product, and why."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="eol")
    product = models.ForeignKey(DeveloperProduct, on_delete=models.PROTECT, related_name="eol_assessments")
    eol_case = models.CharField(max_length=1, choices=EolCase.choices)
    stop_using = models.BooleanField(default=False)  # the publication is a 利用中止 (stop using) notice
    reason = models.TextField()
    assessed_at = models.DateTimeField(default=timezone.now)
    assessed_by = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.eol_case


# --------------------------------------------------------------------------------------------------------------
# Individual handling (個別対応, §4.11): the developer asks to close without publication.
# --------------------------------------------------------------------------------------------------------------


class IndividualHandlingRequest(models.Model):
    """A developer's request to close without publication, the §4.11 criteria and the coordinator's decision."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="individual_requests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    users_description = models.TextField()  # who the product's users are and how all of them will be told
    requested_at = models.DateTimeField(default=timezone.now)
    general_purpose = models.BooleanField(null=True)  # 汎用性を有する製品か
    many_or_unspecified_users = models.BooleanField(null=True)  # 多数または不特定の利用者か
    all_users_notified = models.BooleanField(null=True)  # the developer can notify every user
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    reasons = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return self.decision


# --------------------------------------------------------------------------------------------------------------
# Priority information provision (優先情報提供, §4.9).
# --------------------------------------------------------------------------------------------------------------


class PrioritySelection(models.Model):
    """A case selected for priority provision: to which sectors, how many business days before publication.

    Each delivery also writes the ``cases.PriorityProvision`` row per sector that the statistics count (S11)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="priority_selection")
    sectors = models.JSONField(default=list)
    lead_business_days = models.PositiveSmallIntegerField()
    information = models.TextField()  # the countermeasure information the recipients receive
    selected_at = models.DateTimeField(default=timezone.now)
    selected_by = models.CharField(max_length=200)
    provided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return ",".join(self.sectors)


class PriorityDelivery(models.Model):
    """Who received the countermeasure information of a case, in which sector, and when it was queued."""

    id = models.BigAutoField(primary_key=True)
    selection = models.ForeignKey(PrioritySelection, on_delete=models.CASCADE, related_name="deliveries")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(max_length=64)
    email = models.EmailField()
    delivered_at = models.DateTimeField(default=timezone.now)
    first_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivered_at", "id"]
        constraints = [models.UniqueConstraint(fields=["selection", "organisation"], name="priority_delivery_once")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.sector}"
