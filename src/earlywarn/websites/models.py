"""The operators' side of the website flow: known operators, the contacts a case notifies, their private links,
fix reports and public alerts (partnership.md §3.3, §4.12, §4.13, §4.21)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earlywarn.cases.categories import WEBSITE_OPERATOR_TYPES


class Operator(models.Model):
    """A website operator the receiving organisation knows: an operator organisation, its type and its hosts."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.PROTECT,
                                        related_name="website_operator")
    operator_type = models.CharField(max_length=32, choices=[(k, en) for k, (_ja, en) in
                                                             WEBSITE_OPERATOR_TYPES.items()])
    hosts = models.JSONField(default=list, blank=True)  # host names of sites it runs, lower-case
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organisation} ({self.operator_type})"


class Audience(models.TextChoices):
    """Who reads the notification (§4.12: texts differ by recipient)."""

    SMALL = "small", _("Small organisation without security staff")
    CSIRT = "csirt", _("Organisation with a security team (CSIRT)")
    BUILDER = "builder", _("Website builder acting for the operator")


class ContactSource(models.TextChoices):
    SECURITY_TXT = "security_txt", _("The site's security.txt")
    HANDLER = "handler", _("Recorded by the handler")
    OPERATOR = "operator", _("Added by the operator")


class ContactRole(models.TextChoices):
    OPERATOR = "operator", _("Website operator")
    BUILDER = "builder", _("Website builder")


class WebsiteContact(models.Model):
    """Someone a website case writes to: the operator's contact, or the builder the operator brought in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="website_contacts")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=ContactRole.choices)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    language = models.CharField(max_length=8, default="ja")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.SMALL)
    source = models.CharField(max_length=16, choices=ContactSource.choices)
    encryption = models.URLField(max_length=500, blank=True)  # security.txt Encryption: where the key may be
    # The OpenPGP key a handler pinned (decision 0006): mail to this contact is encrypted to exactly this
    # fingerprint at delivery time, and only then carries the vulnerability details.
    pgp_fingerprint = models.CharField(max_length=64, blank=True)
    pgp_key = models.TextField(blank=True)  # the armoured public key as seen and pinned
    pgp_pinned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.role}: {self.email}"


class ParticipantLink(models.Model):
    """A contact's private page link (decision 0003's design): only the secret's SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(WebsiteContact, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link {self.id} for {self.contact_id}"


class FixKind(models.TextChoices):
    """How the operator says the problem was dealt with (§3.5: 修正完了 and its two sub-kinds)."""

    FIXED = "fixed", _("Fixed")
    PAGE_DELETED = "page_deleted", _("The page was deleted")
    WORKAROUND = "workaround", _("Avoided by how the site is operated")


class FixReport(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="fix_reports")
    contact = models.ForeignKey(WebsiteContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=FixKind.choices)
    description = models.TextField(blank=True)
    fixed_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.fixed_on}"


class Alert(models.Model):
    """A public alert (注意喚起) about a widespread problem; the cases it closed carry its id in their events."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=300)
    body = models.TextField()
    url = models.URLField(max_length=500, blank=True)  # where the alert is published, when elsewhere
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    cases_closed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title
