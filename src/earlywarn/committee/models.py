"""The publication judgment committee (公表判定委員会, partnership.md §2 #8, §4.7; docs/committee.md).

A pool of members with declared interests; per case a referral, the members seated on it, their votes, the
committee's decision and the meetings that handle it. Only ``committee/services.py`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earlywarn.accounts.models import Organisation
from earlywarn.cases.models import Case, CaseParticipant
from earlywarn.records import AppendOnly


class CommitteeMember(models.Model):
    """A person in the pool. Seated per case; never on a case of an organisation they declared an interest in."""

    id = models.BigAutoField(primary_key=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_member")
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True)  # affiliation, field of expertise
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.user)


class DeclaredInterest(models.Model):
    """An organisation the member has a conflict of interest with (employer, client, business partner)."""

    id = models.BigAutoField(primary_key=True)
    member = models.ForeignKey(CommitteeMember, on_delete=models.CASCADE, related_name="interests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [models.UniqueConstraint(fields=["member", "organisation"], name="declared_interest_unique")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.organisation_id}"


class ReferralReason(models.TextChoices):
    UNREACHABLE = "unreachable", _("Developer unreachable")  # 連絡不能 (EOL case E)
    DEADLOCKED = "deadlocked", _("Coordination deadlocked")  # 調整難航・調整不能 (EOL case D)


class Decision(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    NOT_PUBLISH = "not_publish", _("Do not publish")


class Referral(models.Model):
    """One time a case went before the committee, and how it ended (published or back to coordination)."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="committee_referrals")
    reason_code = models.CharField(max_length=16, choices=ReferralReason.choices)
    reason = models.TextField()
    eol_case = models.CharField(max_length=1, blank=True)  # D or E when the case is about an EOL product
    binding = models.BooleanField(default=True)  # EARLYWARN_COMMITTEE_BINDING when referred
    referred_at = models.DateTimeField(default=timezone.now)
    referred_by = models.CharField(max_length=200)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_by = models.CharField(max_length=16, blank=True)  # "votes" or "meeting"
    decided_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)  # "published" or "resumed"

    class Meta:
        ordering = ["-referred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=models.Q(ended_at__isnull=True),
                                               name="committee_one_open_referral")]

    def __str__(self) -> str:
        return f"{self.case_id} ({self.reason_code})"


class Seat(models.Model):
    """A member selected for one referral; the case participant row is what gives them the case."""

    id = models.BigAutoField(primary_key=True)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="seats")
    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT, related_name="seats")
    participant = models.OneToOneField(CaseParticipant, on_delete=models.PROTECT, related_name="committee_seat")
    selected_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["selected_at", "id"]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.referral_id}"


class Vote(models.Model):
    """A seated member's decision with reasons. Final once cast."""

    seat = models.OneToOneField(Seat, on_delete=models.CASCADE, primary_key=True, related_name="vote")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reasons = models.TextField()
    voted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.decision


class Meeting(models.Model):
    """A committee meeting on a date for one or more cases; an urgent meeting holds exactly one (§4.7, 2019)."""

    id = models.BigAutoField(primary_key=True)
    held_on = models.DateField()
    urgent = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    referrals = models.ManyToManyField(Referral, related_name="meetings")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.held_on}{' (urgent)' if self.urgent else ''}"


class CommitteeEvent(AppendOnly):
    """The audit trail of the pool (members, interests): append-only. Case-level steps are ``CaseEvent`` rows."""

    records_name = "committee events"

    id = models.BigAutoField(primary_key=True)
    tag = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField(max_length=200)
    member = models.ForeignKey(CommitteeMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.tag

