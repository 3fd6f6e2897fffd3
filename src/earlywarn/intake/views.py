"""Public report forms, the receipt page and the finder's private status page."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from earlywarn.cases.errors import DomainError
from earlywarn.cases.policy import Actor, actor_for_request, messages_visible_to
from earlywarn.cases.selectors import case_list_for_actor
from earlywarn.cases.services import message_post
from earlywarn.intake.forms import FORMS
from earlywarn.intake.models import ReportOrigin
from earlywarn.intake.services import report_by_status_token, report_submit
from earlywarn.intake.tokens import status_token, status_url

RECEIPT_SESSION_KEY = "earlywarn_last_receipt"


def _language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest, kind: str) -> HttpResponse:
    form_class = FORMS[kind]
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            submission = form.submission()
            origin = ReportOrigin.DEVELOPER_SELF if submission.get("self_report") else ReportOrigin.FINDER
            try:
                receipt = report_submit(
                    actor=actor_for_request(request), kind=kind, submission=submission, language=_language(),
                    attachments=form.cleaned_data.get("attachments") or [], origin=origin,
                    idempotency_key=request.POST.get("submission_key") or None,
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                request.session[RECEIPT_SESSION_KEY] = {
                    "tracking_id": receipt.report.tracking_id, "status_url": status_url(receipt.report.id),
                    "email": receipt.report.finder_email,
                }
                return redirect("intake:report_received")
    else:
        form = form_class()
    key = request.POST.get("submission_key") or uuid.uuid4().hex
    return render(request, "intake/report_form.html", {"form": form, "kind": kind, "submission_key": key})


def report_received(request: HttpRequest) -> HttpResponse:
    receipt = request.session.get(RECEIPT_SESSION_KEY)
    if not receipt:
        return redirect("web:home")
    return render(request, "intake/report_received.html", {"receipt": receipt})


@require_http_methods(["GET", "POST"])
def status_page(request: HttpRequest, token: str) -> HttpResponse:
    report = report_by_status_token(token)
    if report is None:
        raise Http404
    case = report.case
    actor = Actor.for_status_link(report.id)
    error = ""
    if request.method == "POST":
        try:
            message_post(actor=actor, case=case, body=request.POST.get("body", ""), visibility="finder")
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect("intake:status", token=token)
    return render(request, "intake/status.html", {
        "report": report, "case": case, "category": case.published_category, "sub_status": case.sub_status,
        "thread": messages_visible_to(actor, case), "error": error, "language": _language(),
    })


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    actor = actor_for_request(request)
    cases = case_list_for_actor(actor).filter(report__submitted_by=actor.user)
    rows = [(case, reverse("intake:status", args=[status_token(case.report_id)])) for case in cases]
    return render(request, "intake/my_reports.html", {"rows": rows, "language": _language()})
