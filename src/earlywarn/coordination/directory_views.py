"""The developer directory's pages for coordinators (coordination/directory.py). Others get a 404."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from earlywarn.accounts.models import Organisation, OrganisationKind
from earlywarn.cases.errors import DomainError
from earlywarn.cases.policy import actor_for_request
from earlywarn.coordination.directory import developer_save, developers_search, may_use_directory, response_history

FIELDS = ("name", "name_en", "contact_email", "security_txt_url", "web_form_url", "pgp_key", "pgp_fingerprint", "note")


@login_required
@require_http_methods(["GET", "POST"])
def directory(request: HttpRequest) -> HttpResponse:
    actor = actor_for_request(request)
    if not may_use_directory(actor):
        raise Http404
    error, field, form = "", "", {}
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in FIELDS}
        try:
            organisation = developer_save(actor=actor, data=form)
        except DomainError as exc:
            error, field = str(exc.message), exc.field or ""
        else:
            messages.success(request, _("Done."))
            return redirect("developer:directory_entry", organisation_id=organisation.id)
    query = request.GET.get("q", "")
    page = Paginator(developers_search(actor, query), 50).get_page(request.GET.get("page"))
    return render(request, "coordination/directory.html",
                  {"page": page, "q": query, "error": error, "field": field, "form": form},
                  status=422 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def directory_entry(request: HttpRequest, organisation_id: uuid.UUID) -> HttpResponse:
    actor = actor_for_request(request)
    if not may_use_directory(actor):
        raise Http404
    organisation = Organisation.objects.filter(pk=organisation_id, kind=OrganisationKind.DEVELOPER).first()
    if organisation is None:
        raise Http404
    error, field = "", ""
    contact = getattr(organisation, "security_contact", None)
    form = {"name": organisation.name, "name_en": organisation.name_en, "contact_email": organisation.contact_email,
            **({key: getattr(contact, key) for key in FIELDS[3:]} if contact else {})}
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in FIELDS}
        try:
            developer_save(actor=actor, data=form, organisation=organisation)
        except DomainError as exc:
            error, field = str(exc.message), exc.field or ""
            organisation.refresh_from_db()
        else:
            messages.success(request, _("Done."))
            return redirect("developer:directory_entry", organisation_id=organisation.id)
    return render(request, "coordination/directory_entry.html",
                  {"organisation": organisation, "contact": contact, "history": response_history(actor, organisation),
                   "products": organisation.products.all(), "error": error, "field": field, "form": form},
                  status=422 if error else 200)
