"""Users, organisations (by kind), memberships with roles, and personal API tokens."""

from __future__ import annotations

import hashlib
import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earlywarn.records import AppendOnly


class OrganisationKind(models.TextChoices):
    RECEIVING = "receiving", _("Receiving organisation")
    COORDINATING = "coordinating", _("Coordinating organisation")
    DEVELOPER = "developer", _("Product developer")
    OPERATOR = "operator", _("Website operator")
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure", _("Critical-infrastructure operator")
    OVERSEAS_CSIRT = "overseas_csirt", _("Overseas CSIRT")
    PRODUCT_USER = "product_user", _("Product user")


class Role(models.TextChoices):
    """A member's role inside an organisation. Staff roles only exist in receiving/coordinating organisations."""

    HANDLER = "handler", _("Handler")  # receiving organisation: judges reports, works the website flow
    COORDINATOR = "coordinator", _("Coordinator")  # coordinating organisation: works the product flow
    ADMINISTRATOR = "administrator", _("Administrator")  # platform administration, sees every case
    MEMBER = "member", _("Member")  # developer/operator/recipient staff
    ORG_ADMIN = "org_admin", _("Organisation administrator")


class EmailUserManager(UserManager["User"]):
    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: object
    ) -> User:
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: object
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person. Logs in by e-mail address; ``username`` is unused."""

    username = None  # type: ignore[assignment]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, default="ja", choices=[("ja", "日本語"), ("en", "English")]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []  # e-mail is the username field
    objects = EmailUserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.display_name or self.email


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    name = models.CharField(_("name (Japanese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    sector = models.CharField(_("sector"), max_length=64, blank=True, help_text=_("critical-infrastructure sector"))
    contact_email = models.EmailField(_("security contact e-mail"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A personal, revocable API token. Only its SHA-256 is stored; the raw value is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class Invitation(models.Model):
    """An invitation to become a member of an organisation (docs/coordination.md, "Developer accounts").

    The developer's notice mail carries the secret; only its SHA-256 is stored (decision 0003's design, as the
    operator's link). It expires, works once, and a later notice issues a new one. ``case_id`` names the case
    whose notice carried it (for the audit trail and the page it leads to); it is not a foreign key so that
    accounts stays below cases.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.MEMBER)
    case_id = models.UUIDField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation_id}"

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class SecurityContact(models.Model):
    """How to reach an organisation's security team besides ``Organisation.contact_email`` (the developer
    directory, partnership.md §3.2 step 4): its OpenPGP key, security.txt and web form."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, primary_key=True,
                                        related_name="security_contact")
    pgp_key = models.TextField(_("OpenPGP public key"), blank=True)
    pgp_fingerprint = models.CharField(_("OpenPGP fingerprint"), max_length=64, blank=True)
    security_txt_url = models.URLField(_("security.txt address"), blank=True)
    web_form_url = models.URLField(_("web form address"), blank=True)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return str(self.organisation_id)


class OrganisationEvent(AppendOnly):
    """The audit trail of an organisation's directory entry (name, security contacts, pinned key): append-only.
    What happens on a case is a ``CaseEvent``."""

    records_name = "organisation events"

    id = models.BigAutoField(primary_key=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="events")
    tag = models.CharField(max_length=64)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.tag

