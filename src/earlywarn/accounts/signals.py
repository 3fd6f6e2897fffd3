"""Account signal receivers: a staff member's API tokens do not outlive their second factor."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_removed
from django.dispatch import receiver
from django.utils import timezone

from earlywarn.accounts.models import ApiToken


@receiver(authenticator_removed)
def tokens_revoke_without_mfa(sender: Any, user: Any = None, authenticator: Any = None, **kwargs: Any) -> None:
    """TOTP switched off: revoke the staff member's tokens, as the session is sent back to set MFA up."""
    from earlywarn.accounts.middleware import user_has_mfa
    from earlywarn.cases.policy import Actor

    if user is None or getattr(authenticator, "type", None) != Authenticator.Type.TOTP:
        return
    if Actor.for_user(user).is_staff and not user_has_mfa(user):
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
