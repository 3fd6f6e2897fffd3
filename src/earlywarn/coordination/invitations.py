"""Developer invitations: the link in a developer's notice lets its security contact create an account in the
developer organisation, or join it with an account they already have (docs/coordination.md, "Developer accounts").

The secret is ``HMAC-SHA256(secret key, "earlywarn-invitation:" + id)`` and only its SHA-256 is stored, as for the
operator's link (decision 0003). An invitation expires (``DEVELOPER_INVITATION_DAYS``), works once, and acting on
it writes an event on the case whose notice carried it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.accounts.models import Invitation, Membership, Organisation, Role, User
from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import event_record
from earlywarn.config.knobs import knob_int
from earlywarn.websites.contacts import clean_email


def invitation_token(invitation_id: uuid.UUID) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"earlywarn-invitation:{invitation_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_url(invitation: Invitation) -> str:
    return f"{settings.BASE_URL}/invitations/{invitation_token(invitation.id)}/"


def invitation_issue(*, organisation: Organisation, email: str, case: Case | None = None) -> Invitation:
    """A new invitation to join ``organisation`` (call inside the transaction of the notice that carries it)."""
    invitation = Invitation(id=uuid.uuid4(), organisation=organisation, email=email.lower(), role=Role.MEMBER,
                            case_id=case.pk if case is not None else None,
                            expires_at=timezone.now() + timedelta(days=knob_int("DEVELOPER_INVITATION_DAYS")))
    invitation.token_hash = _hash(invitation_token(invitation.id))
    invitation.save()
    return invitation


def invitation_resolve(token: str) -> Invitation | None:
    """The usable invitation a secret opens, or None: unknown, expired, used or revoked alike."""
    if not token or len(token) > 100:
        return None
    invitation = Invitation.objects.select_related("organisation").filter(token_hash=_hash(token)).first()
    return invitation if invitation is not None and invitation.usable else None


def _use(invitation: Invitation, user: User) -> Membership:
    """Mark the invitation used by ``user`` and make them a member; an event on the case (inside a transaction)."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.usable:
        raise ValidationFailed(_("This invitation has already been used or has expired."), code="invitation_used")
    locked.used_at = timezone.now()
    locked.used_by = user
    locked.save(update_fields=["used_at", "used_by"])
    membership, _created = Membership.objects.get_or_create(user=user, organisation=locked.organisation,
                                                            role=locked.role)
    case = Case.objects.filter(pk=locked.case_id).first() if locked.case_id else None
    if case is not None:
        event_record(case=case, actor=Actor.for_user(user), tag="case:developer:joined",
                     data={"organisation": str(locked.organisation_id), "invitation": str(locked.pk)})
    return membership


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """An existing account joins the invited organisation. Staff accounts cannot: keep the roles apart."""
    if Actor.for_user(user).is_staff:
        raise ValidationFailed(_("A staff account cannot join a developer organisation. Log in with another "
                                 "account, or create one."), code="staff_account")
    with transaction.atomic():
        return _use(invitation, user)


def invitation_sign_up(*, invitation: Invitation, email: str, display_name: str, password1: str,
                       password2: str, language: str) -> User:
    """Create an account and make it a member of the invited organisation, all or nothing.

    The address is verified when it is the invited one (the invitation reached it); another address gets
    allauth's verification mail before the account can log in."""
    from allauth.account.models import EmailAddress

    address = clean_email(email)
    name = (display_name or "").strip()
    if len(name) > 200:
        raise ValidationFailed(_("The text is too long."), field="display_name")
    if User.objects.filter(email__iexact=address).exists() or EmailAddress.objects.filter(
            email__iexact=address).exists():
        raise ValidationFailed(_("An account with this address exists already: log in to accept the invitation."),
                               field="email")
    if password1 != password2:
        raise ValidationFailed(_("The two passwords differ."), field="password2")
    user = User(email=address, display_name=name, language=language if language in {"ja", "en"} else "ja")
    try:
        validate_password(password1, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password1") from exc
    with transaction.atomic():
        user.set_password(password1)
        user.save()
        EmailAddress.objects.create(user=user, email=address, primary=True,
                                    verified=address == invitation.email.lower())
        _use(invitation, user)
    return user
