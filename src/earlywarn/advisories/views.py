"""Public advisory pages, the CSAF provider, OSV records, and the staff preview and publication actions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from earlywarn.advisories import csaf_doc, osv, provider, selectors, services
from earlywarn.advisories.csaf_check import csaf_findings
from earlywarn.advisories.forms import AdvisoryFilterForm
from earlywarn.advisories.models import AdvisoryRevision
from earlywarn.cases.errors import DomainError
from earlywarn.cases.policy import Action, ActionDenied, actor_for_request


def _language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


def _osv_record(revision: AdvisoryRevision) -> dict[str, Any] | None:
    url = f"{csaf_doc.base_url()}/advisories/{revision.slug}/"
    return osv.build(revision.content, published=revision.initial_published_at, modified=revision.published_at,
                     url=url)


@require_GET
def advisory_list(request: HttpRequest) -> HttpResponse:
    form = AdvisoryFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # errors are shown; valid fields still filter
    page = Paginator(selectors.published_list(form.filters()), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "advisories/list.html", {"form": form, "page": page, "language": _language(),
                                                     "query": query.urlencode()})


def _public(slug: str) -> AdvisoryRevision:
    try:
        return selectors.published_revision(slug)
    except selectors.AdvisoryNotFound as exc:
        raise Http404 from exc


@require_GET
def advisory_detail(request: HttpRequest, slug: str) -> HttpResponse:
    revision = _public(slug)
    return render(request, "advisories/detail.html", {
        "revision": revision, "a": selectors.present(revision.content, _language()),
        "history": selectors.revision_history(revision), "language": _language(),
        "csaf_url": f"/.well-known/csaf/{revision.csaf_path}", "has_osv": _osv_record(revision) is not None})


@require_GET
def advisory_osv(request: HttpRequest, slug: str) -> HttpResponse:
    record = _osv_record(_public(slug))
    if record is None:
        raise Http404
    return JsonResponse(record, json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_GET
def csaf_provider_metadata(request: HttpRequest) -> HttpResponse:
    served = provider.provider_metadata_file()
    return HttpResponse(served.body, content_type=served.content_type)


@require_GET
def csaf_file(request: HttpRequest, path: str) -> HttpResponse:
    served = provider.served_file(path)
    if served is None:
        raise Http404
    return HttpResponse(served.body, content_type=served.content_type)


def _staff_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Drafts: the uniform 404 for anyone who may not edit advisories, 403 for editors lacking the action."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except selectors.AdvisoryNotFound as exc:
            raise Http404 from exc
        except ActionDenied:
            return HttpResponseForbidden(_("You may not do this on this advisory."))

    return login_required(wrapper)


@require_GET
@_staff_view
def advisory_preview(request: HttpRequest, advisory_id: uuid.UUID) -> HttpResponse:
    """What publishing now would serve, in every format, with what is missing or failing."""
    advisory = selectors.access_advisory(actor_for_request(request), advisory_id)
    fmt = request.GET.get("format", "html")
    problems: list[str] = []
    try:
        content, doc = services.render_next(advisory)
    except DomainError as exc:
        content, doc = None, None
        problems.append(str(exc.message))
    if fmt in {"csaf", "osv"}:
        if doc is None or content is None:
            return JsonResponse({"error": {"code": "invalid_draft", "message": problems[0]}}, status=422)
        if fmt == "csaf":
            return HttpResponse(csaf_doc.dumps(doc), content_type="application/json")
        now = advisory.revisions.order_by("number").values_list("published_at", flat=True).first()
        record = osv.build(content, published=now or doc_time(doc), modified=doc_time(doc),
                           url=f"{csaf_doc.base_url()}/advisories/{advisory.slug}/")
        if record is None:
            return JsonResponse({"error": {"code": "no_osv", "message": _("No affected product has a package "
                                                                          "ecosystem (purl).")}}, status=404)
        return JsonResponse(record, json_dumps_params={"ensure_ascii": False, "indent": 2})
    findings = csaf_findings(doc) if doc is not None else []
    if content is not None:
        problems += services.publication_problems(advisory, content)
    return render(request, "advisories/preview.html", {
        "advisory": advisory, "a": selectors.present(content, _language()) if content else None,
        "problems": problems, "findings": findings, "missing": advisory.missing_translations(),
        "csaf_json": csaf_doc.dumps(doc) if doc else "", "language": _language(),
        "revisions": advisory.revisions.order_by("number")})


def doc_time(doc: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(doc["document"]["tracking"]["current_release_date"].replace("Z", "+00:00"))


@require_POST
@_staff_view
def advisory_act(request: HttpRequest, advisory_id: uuid.UUID) -> HttpResponseBase:
    """Approve or publish the draft (POST ``action`` = approve | publish, ``version`` = the version seen)."""
    actor = actor_for_request(request)
    advisory = selectors.access_advisory(actor, advisory_id, Action.ADVISORY_PUBLISH)
    action = request.POST.get("action", "")
    version = request.POST.get("version", "")
    target = redirect("advisories:preview", advisory_id=advisory.id)
    if action not in {"approve", "publish"}:
        messages.error(request, _("Unknown action."))
        return target
    if version != str(advisory.version):
        messages.error(request, _("Someone else changed this advisory meanwhile. Reload it and try again."))
        return target
    try:
        if action == "approve":
            services.advisory_approve(actor=actor, advisory=advisory)
            messages.success(request, _("Approved for publication."))
        else:
            revision = services.advisory_publish(actor=actor, advisory=advisory)
            messages.success(request, _("Published as revision %(number)s.") % {"number": revision.number})
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return target
