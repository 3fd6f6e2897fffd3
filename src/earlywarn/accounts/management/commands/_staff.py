"""Helpers shared by the account management commands."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from earlywarn.accounts.models import Membership, Organisation, User


def ensure_user(email: str, password: str | None, *, display_name: str = "", language: str = "ja") -> User:
    """The user with ``email`` (created if missing), with a verified primary allauth e-mail address."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, display_name=display_name, language=language)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def ensure_membership(user: User, organisation: Organisation, role: str) -> Membership:
    membership, _created = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    return membership


def ensure_totp(user: User, secret: str) -> bool:
    """Give ``user`` a TOTP authenticator with ``secret`` unless one exists. Returns True when created."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return False
    TOTP.activate(user, secret)
    return True
