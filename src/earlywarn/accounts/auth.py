"""API authentication: personal bearer tokens, or the browser session (with CSRF)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from earlywarn.accounts.models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > 200:
            return None
        row = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
        if row is None or not row.is_active or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.earlywarn_via_token = True  # type: ignore[attr-defined]
        return row.user


class BrowserSession(SessionAuth):
    """The logged-in browser session, with Django's CSRF check.

    ninja's SessionAuth checks CSRF before it looks for a session, which refuses a cookieless anonymous
    submission with 403 before ``Anonymous`` is tried. Only a request that carries a logged-in session has
    anything for CSRF to protect, so only that one is checked.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)


class Anonymous:
    """Lets an operation run without credentials (public intake); the policy then sees an anonymous actor."""

    def __call__(self, request: HttpRequest) -> Any:
        return "anonymous"


token_or_session = [TokenAuth(), BrowserSession()]
optional_auth = [TokenAuth(), BrowserSession(), Anonymous()]
