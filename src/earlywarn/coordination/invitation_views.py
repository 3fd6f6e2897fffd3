"""The invitation page behind the link of a developer's notice: create an account in the developer organisation,
or (logged in) join it with the account one has (coordination/invitations.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from earlywarn.accounts.models import Invitation
from earlywarn.cases.errors import DomainError
from earlywarn.coordination.invitations import invitation_accept, invitation_resolve, invitation_sign_up


def _next(invitation: Invitation) -> str:
    if invitation.case_id:
        return reverse("developer:case", kwargs={"case_id": invitation.case_id})
    return reverse("developer:home")


def _no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store"  # the link is a secret
    return response


@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_resolve(token)
    if invitation is None:
        raise Http404
    error, field, form = "", "", {"email": invitation.email, "display_name": ""}
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        try:
            if user is not None:
                invitation_accept(invitation=invitation, user=user)
                return redirect(_next(invitation))
            form = {"email": request.POST.get("email", ""), "display_name": request.POST.get("display_name", "")}
            created = invitation_sign_up(
                invitation=invitation, email=form["email"], display_name=form["display_name"],
                password1=request.POST.get("password1", ""), password2=request.POST.get("password2", ""),
                language="en" if (get_language() or "ja").startswith("en") else "ja")
        except DomainError as exc:
            error, field = str(exc.message), exc.field or ""
        else:
            from allauth.account.utils import perform_login

            # Logs in at once when the address is the invited (so verified) one; otherwise allauth sends its
            # verification mail first and shows its "verification sent" page.
            return perform_login(request, created, email_verification=settings.ACCOUNT_EMAIL_VERIFICATION,
                                 redirect_url=_next(invitation), signup=True, email=created.email)
    login_url = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
    language = "en" if (get_language() or "ja").startswith("en") else "ja"
    context = {"invitation": invitation, "organisation_name": invitation.organisation.display_name(language),
               "user_": user, "error": error, "field": field, "form": form, "login_url": login_url,
               "language": language}
    return _no_store(render(request, "coordination/invitation.html", context, status=422 if error else 200))
