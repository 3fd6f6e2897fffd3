"""The public quarterly statistics: ``/stats/`` and its downloads (docs/statistics-report.md).

``/stats/`` shows the latest completed quarter; ``/stats/2025Q4/`` any completed quarter since reporting began;
``/stats/2025Q4.{pdf,html,csv,json}`` downloads the same report. Public and read-only, through the one access
policy (``Action.STATS_VIEW`` is a public action): the pages carry aggregate counts only.

A report is computed from the audit trail, which takes seconds with tens of thousands of reports, so each
rendering is cached for ``CACHE_SECONDS`` under a key that changes with the data (the number of reports and
events and the latest event), so a new report or transition is never hidden behind a stale figure.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from earlywarn.cases.policy import Action, actor_for_request, may
from earlywarn.stats.document import build_document, quarter_name
from earlywarn.stats.quarterly import InconsistentData, Quarter, quarterly_report
from earlywarn.stats.render import CONTENT_TYPES, FORMATS, draw_report, render_as
from earlywarn.stats.selectors import stats_data_version

FIRST_QUARTER = Quarter(2004, 3)  # reports were first accepted on 2004-07-08
CACHE_SECONDS = 600
UNAVAILABLE = 503  # the data do not reconcile: never a 500, and never figures that contradict each other
logger = logging.getLogger(__name__)


def latest_completed_quarter() -> Quarter:
    today = timezone.localdate()
    return Quarter(today.year, (today.month - 1) // 3 + 1).previous()


def available_quarters() -> list[Quarter]:
    """Every completed quarter with statistics, newest first."""
    quarters, quarter = [], latest_completed_quarter()
    while quarter >= FIRST_QUARTER:
        quarters.append(quarter)
        quarter = quarter.previous()
    return quarters


class BadQuarter(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_quarter(text: str) -> Quarter:
    """A completed quarter with statistics, or BadQuarter with a translated reason."""
    try:
        quarter = Quarter.parse(text)
    except ValueError:
        raise BadQuarter(_("“%(text)s” is not a quarter. Write a quarter like %(example)s.") % {
            "text": text[:40], "example": str(latest_completed_quarter())}) from None
    latest = latest_completed_quarter()
    if not FIRST_QUARTER <= quarter <= latest:
        raise BadQuarter(_("There are no statistics for %(quarter)s: quarters from %(first)s to %(last)s are "
                           "available.") % {"quarter": str(quarter), "first": str(FIRST_QUARTER),
                                            "last": str(latest)})
    return quarter


def _language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "ja"


def _cached(kind: str, quarter: Quarter, version: str, build: Any) -> Any:
    key = f"earlywarn:stats:{kind}:{quarter}:{version}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value


def report_for(quarter: Quarter, version: str) -> dict[str, Any]:
    result: dict[str, Any] = _cached("report", quarter, version, lambda: quarterly_report(quarter))
    return result


def _refused(request: HttpRequest, status: int, message: str) -> HttpResponse:
    heading = {400: _("Not a quarter"), UNAVAILABLE: _("Statistics unavailable")}.get(status,
                                                                                     _("Statistics not found"))
    return render(request, "stats/error.html", {"heading": heading, "message": message}, status=status)


def _allowed(request: HttpRequest) -> None:
    if not may(actor_for_request(request), Action.STATS_VIEW):
        raise Http404  # never for today's policy (a public action); kept so the policy alone decides


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    wanted = request.GET.get("quarter")
    if wanted is not None:  # the quarter picker
        try:
            quarter = parse_quarter(wanted)
        except BadQuarter as exc:
            return _refused(request, 400, exc.message)
        return redirect("stats:quarter", quarter=str(quarter))
    return _page(request, latest_completed_quarter())


@require_safe
def quarter_page(request: HttpRequest, quarter: str) -> HttpResponse:
    _allowed(request)
    try:
        parsed = parse_quarter(quarter)
    except BadQuarter as exc:
        return _refused(request, 404, exc.message)
    if str(parsed) != quarter:
        return redirect("stats:quarter", quarter=str(parsed))
    return _page(request, parsed)


def _inconsistent(request: HttpRequest, quarter: Quarter, exc: InconsistentData) -> HttpResponse:
    """The report cannot be computed from the stored data: say why (the reason is the engine's, untranslated)."""
    logger.error("statistics for %s are unavailable: %s", quarter, exc)
    return _refused(request, UNAVAILABLE, _(
        "The statistics for %(quarter)s cannot be published: the stored data do not reconcile (%(reason)s). "
        "It has been logged for the operators; please try again later.") % {"quarter": str(quarter),
                                                                              "reason": str(exc)})


def _page(request: HttpRequest, quarter: Quarter) -> HttpResponse:
    language, version = _language(), stats_data_version()
    try:
        report = report_for(quarter, version)
    except InconsistentData as exc:
        return _inconsistent(request, quarter, exc)
    drawn = _cached(f"drawn-{language}", quarter, version,
                    lambda: draw_report(build_document(report, language)))
    quarters = [{"value": str(q), "label": quarter_name(str(q))} for q in available_quarters()]
    return render(request, "stats/page.html", {"report": drawn, "quarters": quarters})


@require_safe
def download(request: HttpRequest, quarter: str, fmt: str) -> HttpResponse:
    _allowed(request)
    if fmt not in FORMATS:
        return _refused(request, 404, _("There is no “%(format)s” download: choose HTML, PDF, CSV or JSON.")
                        % {"format": fmt[:20]})
    try:
        parsed = parse_quarter(quarter)
    except BadQuarter as exc:
        return _refused(request, 404, exc.message)
    language, version = _language(), stats_data_version()
    try:
        report = report_for(parsed, version)
    except InconsistentData as exc:
        return _inconsistent(request, parsed, exc)
    localised = fmt in {"html", "pdf"}
    body: bytes = _cached(f"file-{fmt}-{language}" if localised else f"file-{fmt}", parsed, version,
                          lambda: render_as(report, fmt, language))
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    name = f"earlywarn-statistics-{parsed}" + (f"-{language}" if localised else "") + f".{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
