"""Cases of both flows, their participants, vulnerabilities, messages, attachments and events."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earlywarn.cases.flows import REJECTION_REASONS, Category, Flow, State, definition
from earlywarn.intake.models import Report
from earlywarn.records import AppendOnly


class Case(models.Model):
    """One report's handling. ``state`` is written only by ``earlywarn.cases.services``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="case")
    flow = models.CharField(max_length=16, choices=[(f.value, f.value) for f in Flow])
    state = models.CharField(max_length=64)
    # When ``state``/``flow`` were last set: exactly the ``created_at`` of the last state-setting ``CaseEvent``
    # (written by the same service in the same transaction), None if unknown. The statistics read the state at a
    # cut-off after it from the case itself instead of the trail (``stats.tally``).
    state_changed_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(_("title"), max_length=300)
    received_on = models.DateField()  # original receipt date (platform time zone); survives reclassification
    accepted_at = models.DateTimeField(null=True, blank=True)
    judged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # websites: IPA notified the operator (S13, S17)
    published_at = models.DateTimeField(null=True, blank=True)  # products: handling status published on JVN (S7)
    # Breakdown attributes (S9, S10, S14–S16): free category names, blank when unknown.
    product_type = models.CharField(max_length=64, blank=True)
    cause = models.CharField(max_length=64, blank=True)
    vulnerability_type = models.CharField(max_length=64, blank=True)
    threat = models.CharField(max_length=64, blank=True)
    operator_type = models.CharField(max_length=64, blank=True)
    rejection_reason = models.CharField(max_length=64, blank=True)
    embargoed = models.BooleanField(default=True)  # confidential until publication
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=0)  # bumped on each transition; guards lost updates

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["flow", "state"]), models.Index(fields=["received_on"])]

    def __str__(self) -> str:
        return f"{self.report.tracking_id} ({self.flow}/{self.state})"

    @property
    def tracking_id(self) -> str:
        return self.report.tracking_id

    @property
    def state_def(self) -> State:
        return definition(self.flow).state(self.state)

    @property
    def published_category(self) -> Category:
        return self.state_def.published_category(Flow(self.flow))

    @property
    def sub_status(self) -> Category | None:
        return self.state_def.sub_status

    @property
    def judgment(self) -> str:
        """The acceptance judgment (受理判断): ``pending``, ``accepted`` or ``not_accepted``."""
        if self.accepted_at is not None:
            return "accepted"
        return "not_accepted" if self.rejection_reason else "pending"

    @property
    def rejection_reason_labels(self) -> tuple[str, str] | None:
        """(ja, en) labels of the 不受理 reason, or None when the report was not rejected."""
        return REJECTION_REASONS.get(self.rejection_reason)


class PriorityProvision(models.Model):
    """Priority information provision (優先情報提供, §4.9, S11): one sector informed before JVN publication.

    Written today only by the history import; the coordination issue will own this model (its service, its
    actions and its API) and may extend it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="priority_provisions")
    sector = models.CharField(max_length=64)
    provided_on = models.DateField()

    class Meta:
        ordering = ["provided_on", "id"]

    def __str__(self) -> str:
        return f"{self.sector} on {self.provided_on}"


class ParticipantRole(models.TextChoices):
    FINDER = "finder", _("Finder")
    DEVELOPER = "developer", _("Product developer")
    OPERATOR = "operator", _("Website operator")
    BUILDER = "builder", _("Website builder")
    RECIPIENT = "recipient", _("Priority-information recipient")
    COMMITTEE = "committee", _("Committee member")


class CaseParticipant(models.Model):
    """Someone brought into a case: an organisation (all its members) or a single user."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="case_participations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="case_participations"
    )
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | models.Q(user__isnull=False),
                name="participant_has_party",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.organisation or self.user}"


class Vulnerability(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vulnerabilities")
    title = models.CharField(max_length=300)
    cwe = models.CharField(max_length=16, blank=True)  # products: CWE-79 …
    website_type = models.CharField(max_length=64, blank=True)  # websites: §5.2 T9 types
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Staff only")
    FINDER = "finder", _("Staff and finder")
    ORGANISATION = "organisation", _("Staff and one organisation")
    PARTICIPANTS = "participants", _("Everyone in the case")


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_label = models.CharField(max_length=200)  # "finder (status link)", a person's name, "system"
    from_finder = models.BooleanField(default=False)
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"message {self.id} on {self.case_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.id}"


class Attachment(models.Model):
    """A file sent with a report or message. Stored privately, served only through access-checked views."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.INTERNAL)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class CaseEvent(AppendOnly):
    """The audit trail: one row per change, append-only. Tags read ``case:<subject>:<action>``."""

    records_name = "case events"

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    tag = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=200)
    from_flow = models.CharField(max_length=16, blank=True)
    to_flow = models.CharField(max_length=16, blank=True)
    from_state = models.CharField(max_length=64, blank=True)
    to_state = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        # (tag, created_at): the statistics read a few tags (fix reports, unreachable listings) over a period
        indexes = [models.Index(fields=["case", "created_at"]), models.Index(fields=["tag", "created_at"])]

    def __str__(self) -> str:
        return f"{self.tag} {self.from_state}→{self.to_state}"

