"""API token management for the logged-in user."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from earlywarn.accounts import services
from earlywarn.cases.errors import FORBIDDEN_CHARACTERS


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    raw = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name or len(name) > 100 or FORBIDDEN_CHARACTERS.search(name):
            messages.error(request, _("Give the token a name of at most 100 characters."))
        else:
            _token, raw = services.token_create(user=request.user, name=name)  # type: ignore[arg-type]
    tokens = request.user.api_tokens.all()  # type: ignore[union-attr]
    return render(request, "accounts/tokens.html", {"tokens": tokens, "raw": raw})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: uuid.UUID) -> HttpResponse:
    if services.token_revoke(user=request.user, token_id=token_id):  # type: ignore[arg-type]
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:tokens")

