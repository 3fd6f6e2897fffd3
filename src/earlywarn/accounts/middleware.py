"""Staff must use MFA: a staff member without an authenticator is sent to set one up before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from earlywarn.cases.policy import Actor

EXEMPT_PREFIXES = ("/static/", "/i18n/")


def _exempt(path: str) -> bool:
    """Static files, the language switch and allauth's own pages (login, logout, MFA set-up and sign-in).

    Only allauth's views are exempt under /accounts/: earlywarn's account pages there (API tokens) need MFA
    like everything else, or a staff member without a second factor could mint a token and use the API.
    """
    if path.startswith(EXEMPT_PREFIXES):
        return True
    if not path.startswith("/accounts/"):
        return False
    try:
        match = resolve(path)
    except Resolver404:
        return True  # allauth's 404s; nothing to protect
    return getattr(match.func, "__module__", "").startswith("allauth.")


def user_has_mfa(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not _exempt(request.path_info)
            and Actor.for_user(user).is_staff
            and not user_has_mfa(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "mfa_required", "message": _(
                    "Staff must set up two-factor authentication before using the platform."), "fields": {}}},
                    status=403)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
