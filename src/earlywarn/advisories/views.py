"""Public advisory pages, the CSAF provider, OSV records, and the staff preview and publication actions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial, wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET, require_POST, require_safe

from earlywarn.advisories import csaf_doc, cve, feeds, formats, osv, provider, selectors, services, vex, withdrawal
from earlywarn.advisories.csaf_check import csaf_findings
from earlywarn.advisories.forms import AdvisoryFilterForm
from earlywarn.advisories.models import AdvisoryRevision
from earlywarn.cases.errors import DomainError
from earlywarn.cases.policy import Action, ActionDenied, actor_for_request

# The feeds, as linked from /advisories/ (<link rel="alternate"> and visibly). RSS 1.0 is announced with the
# conventional application/rss+xml so that readers discover it; it is served as application/rdf+xml.
FEED_LINKS = [{"url": f"/feeds/{lang}/advisories.{fmt}", "lang": lang, "title": f"{kind} ({name})",
               "type": "application/rss+xml" if fmt == "rdf" else "application/atom+xml"}
              for lang, name in (("ja", "日本語"), ("en", "English"))
              for fmt, kind in (("rdf", "RSS 1.0"), ("atom", "Atom"))]


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
    results = selectors.ListResults(form.filters())
    page = Paginator(cast("Any", results), 50).get_page(request.GET.get("page"))  # sized and sliceable
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "advisories/list.html", {
        "form": form, "page": page, "language": _language(), "query": query.urlencode(), "feeds": FEED_LINKS,
        "search": results.search, "capped": results.capped, "cap": f"{selectors.SEARCH_CAP:,}"})


def _public(slug: str) -> AdvisoryRevision:
    try:
        return selectors.published_revision(slug)
    except selectors.AdvisoryNotFound as exc:
        raise Http404 from exc


# Conditional GET on the advisory by id (page, OSV, CSAF files): the ETag and Last-Modified come from the current
# revision, looked up once per request, so a 304 costs one indexed query and no rendering. The page differs for a
# signed-in user (header, messages): only anonymous requests get validators; others are always answered in full.
#
# May be stored, but revalidated (ETag) before each reuse: a withdrawal or a new revision is seen at once. The page
# is private: a signed-in user's differs. Anonymous answers are also served from files (public_files.py, fastpath.py).
_REVALIDATE = {"Cache-Control": "public, no-cache"}
_REVALIDATE_PRIVATE = {"Cache-Control": "private, no-cache"}


def _current(request: HttpRequest, slug: str) -> AdvisoryRevision | None:
    cache: dict[str, AdvisoryRevision | None] = request.__dict__.setdefault("_advisory_revisions", {})
    if slug not in cache:
        cache[slug] = selectors.published_revision_or_none(slug)
    return cache[slug]


def _validators_apply(request: HttpRequest) -> bool:
    return not request.user.is_authenticated


def _revision_etag(request: HttpRequest, slug: str, *, kind: str) -> str | None:
    revision = _current(request, slug) if _validators_apply(request) or kind != "html" else None
    if revision is None:
        return None
    language = _language() if kind == "html" else ""
    seed = f"{kind}|{revision.pk}|{revision.number}|{language}|{csaf_doc.base_url()}|{csaf_doc.engine_version()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def _revision_last_modified(request: HttpRequest, slug: str, *, kind: str) -> datetime | None:
    revision = _current(request, slug) if _validators_apply(request) or kind != "html" else None
    return revision.published_at if revision is not None else None


@require_safe  # HEAD too: the production server answers HEAD from the public files (public_files.py)
@condition(etag_func=partial(_revision_etag, kind="html"),
           last_modified_func=partial(_revision_last_modified, kind="html"))
def advisory_detail(request: HttpRequest, slug: str) -> HttpResponse:
    revision = _current(request, slug)
    if revision is None:
        raise Http404
    response = render(request, "advisories/detail.html", {
        "revision": revision, "a": selectors.present(revision.content, _language()),
        "history": selectors.revision_history(revision), "language": _language(),
        "csaf_url": f"/.well-known/csaf/{revision.csaf_path}", "has_osv": osv.applies(revision.content),
        "vex_url": f"/.well-known/csaf/{revision.vex_csaf_path}" if revision.vex_csaf_path else "",
        "withdrawn": withdrawal.public_notice(revision.content, _language())})
    response["Cache-Control"] = _REVALIDATE_PRIVATE["Cache-Control"]
    return response


@require_safe
@condition(etag_func=partial(_revision_etag, kind="osv"),
           last_modified_func=partial(_revision_last_modified, kind="osv"))
def advisory_osv(request: HttpRequest, slug: str) -> HttpResponse:
    revision = _current(request, slug)
    record = _osv_record(revision) if revision is not None else None
    if record is None:
        raise Http404
    return JsonResponse(record, json_dumps_params={"ensure_ascii": False, "indent": 2}, headers=_REVALIDATE)


@require_GET
def advisory_cve(request: HttpRequest, slug: str, cve_id: str) -> HttpResponse:
    """The CVE JSON 5 record of one CVE ID of a published advisory (docs/advisories.md)."""
    revision = _public(slug)
    try:
        record = cve.build(revision.content, cve_id, published=revision.initial_published_at,
                           updated=revision.published_at)
    except cve.NotReady as exc:
        message = _("This advisory has no English description yet; a CVE record needs one.") \
            if exc.reason == "description" else _("This advisory lists no product; a CVE record needs one.")
        return JsonResponse({"error": {"code": "cve_not_ready", "message": message}}, status=409)
    if record is None:
        raise Http404
    return JsonResponse(record, json_dumps_params={"ensure_ascii": False, "indent": 2})


def _feed_state(request: HttpRequest) -> tuple[int, int, datetime | None]:
    """Computed once per request for both the ETag and Last-Modified."""
    state = getattr(request, "_advisory_feed_state", None)
    if state is None:
        state = selectors.publication_state()
        request._advisory_feed_state = state  # type: ignore[attr-defined]
    return state


def _feed_etag(request: HttpRequest, language: str, fmt: str) -> str:
    top, count, latest = _feed_state(request)
    seed = f"{language}|{fmt}|{top}|{count}|{latest}|{csaf_doc.base_url()}|{csaf_doc.engine_version()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def _feed_last_modified(request: HttpRequest, language: str, fmt: str) -> datetime | None:
    return _feed_state(request)[2]


@require_safe
@condition(etag_func=_feed_etag, last_modified_func=_feed_last_modified)
def advisory_feed(request: HttpRequest, language: str, fmt: str) -> HttpResponse:
    """RSS 1.0 (JVNRSS style) or Atom, Japanese or English; conditional GET answers 304 when nothing changed."""
    body, content_type = feeds.render(selectors.latest_revisions(feeds.FEED_SIZE), language, fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "public, no-cache"  # may be stored, but revalidated (ETag) before each reuse
    return response


@require_GET
def csaf_provider_metadata(request: HttpRequest) -> HttpResponse:
    served = provider.provider_metadata_file()
    return HttpResponse(served.body, content_type=served.content_type)


def _served(request: HttpRequest, path: str) -> provider.ServedFile | None:
    cache: dict[str, provider.ServedFile | None] = request.__dict__.setdefault("_csaf_served", {})
    if path not in cache:
        cache[path] = provider.served_file(path)
    return cache[path]


def _served_etag(request: HttpRequest, path: str) -> str | None:
    served = _served(request, path)
    return hashlib.sha256(served.body).hexdigest()[:32] if served is not None else None


def _served_last_modified(request: HttpRequest, path: str) -> datetime | None:
    served = _served(request, path)
    return served.modified if served is not None else None


@require_safe
@condition(etag_func=_served_etag, last_modified_func=_served_last_modified)
def csaf_file(request: HttpRequest, path: str) -> HttpResponse:
    """A file of the CSAF provider; the ETag is the hash of its bytes, so a mirror's conditional GET gets 304."""
    served = _served(request, path)
    if served is None:
        raise Http404
    return HttpResponse(served.body, content_type=served.content_type, headers=_REVALIDATE)


def staff_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
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
@staff_view
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
    if fmt in {"csaf", "osv", "vex"}:
        if doc is None or content is None:
            return JsonResponse({"error": {"code": "invalid_draft", "message": problems[0]}}, status=422)
        if fmt == "csaf":
            return HttpResponse(csaf_doc.dumps(doc), content_type="application/json")
        if fmt == "vex":
            vex_doc = vex.render(advisory, content, doc, doc_time(doc))
            if vex_doc is None:
                return JsonResponse({"error": {"code": "no_vex", "message": _(
                    "No developer gave a per-product status: no VEX document is published.")}}, status=404)
            return HttpResponse(csaf_doc.dumps(vex_doc), content_type="application/json")
        now = advisory.revisions.order_by("number").values_list("published_at", flat=True).first()
        record = osv.build(content, published=now or doc_time(doc), modified=doc_time(doc),
                           url=f"{csaf_doc.base_url()}/advisories/{advisory.slug}/")
        if record is None:
            return JsonResponse({"error": {"code": "no_osv", "message": _("No affected product has a package "
                                                                          "ecosystem (purl).")}}, status=404)
        return JsonResponse(record, json_dumps_params={"ensure_ascii": False, "indent": 2})
    findings = csaf_findings(doc) if doc is not None else []
    current = advisory.revisions.filter(is_current=True).first()
    if content is not None:
        problems += services.publication_problems(advisory, content)
    return render(request, "advisories/preview.html", {
        "advisory": advisory, "a": selectors.present(content, _language()) if content else None,
        "problems": problems, "findings": findings, "missing": advisory.missing_translations(),
        "csaf_json": csaf_doc.dumps(doc) if doc else "", "language": _language(),
        "revisions": advisory.revisions.order_by("number"),
        "has_vex": content is not None and vex.wanted(advisory, content),
        "has_osv": content is not None and osv.applies(content),
        "published": current is not None, "this_version_published": current is not None and
        current.advisory_version == advisory.version, **_embargo(advisory)})


def _embargo(advisory: Any) -> dict[str, Any]:
    """What the publisher must know before pressing Publish: when the embargo ends, from where, and whether now is
    early (the services decide; the page only says it)."""
    return {"embargo_until": services.embargo_end(advisory), "embargo_from_case": advisory.case_id is not None,
            "early_now": services.publishing_is_early(advisory, timezone.now())}


def doc_time(doc: dict[str, Any]) -> datetime:
    return formats.parse_iso(doc["document"]["tracking"]["current_release_date"])


@require_POST
@staff_view
def advisory_act(request: HttpRequest, advisory_id: uuid.UUID) -> HttpResponseBase:
    """Approve or publish the draft (POST ``action`` = approve | publish, ``version`` = the version seen), or
    request, cancel or confirm its withdrawal (withdrawal.ACTIONS; ``requested`` = the request seen)."""
    actor = actor_for_request(request)
    advisory = selectors.access_advisory(actor, advisory_id, Action.ADVISORY_PUBLISH)
    action = request.POST.get("action", "")
    version = request.POST.get("version", "")
    target = redirect("advisories:preview", advisory_id=advisory.id)
    if action in withdrawal.ACTIONS:
        try:
            messages.success(request, withdrawal.act(actor=actor, advisory=advisory, action=action,
                                                     data=request.POST.dict()))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return target
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
