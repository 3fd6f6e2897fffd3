"""The staff console and case pages. Every view goes through ``access_case`` / ``cases_visible_to``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from earlywarn.cases.api import available_actions
from earlywarn.cases.errors import DomainError
from earlywarn.cases.flows import FLOWS, REJECTION_REASONS, Flow
from earlywarn.cases.policy import (
    Action,
    ActionDenied,
    CaseNotFound,
    access_case,
    actor_for_request,
    attachments_visible_to,
    can,
    cases_shared_with,
    messages_visible_to,
    staff_actor,
    submission_visible_to,
)
from earlywarn.cases.selectors import attachment_response, case_events_for_actor, case_list_for_actor, state_shown
from earlywarn.cases.services import case_judge, case_reclassify, message_post
from earlywarn.committee.selectors import panel_context as committee_panel
from earlywarn.coordination.views import panel_context as coordination_panel
from earlywarn.intake.forms import labelled_submission
from earlywarn.websites.console import panel_context


def _language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


def _case_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Turn the policy's refusals into the uniform 404 (invisible) and 403 (visible, not allowed)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except CaseNotFound as exc:
            raise Http404 from exc
        except ActionDenied:
            return HttpResponseForbidden(_("You may not do this on this case."))

    return login_required(wrapper)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    actor = staff_actor(request, Action.QUEUE_VIEW)
    flow: str | None = request.GET.get("flow") or None
    if flow not in {None, "product", "website"}:
        flow = None
    # What this person works on first: the judge the new reports, a coordinator the accepted ones awaiting
    # coordination (content_check), which otherwise appeared nowhere without changing the filter by hand.
    default = "received" if actor.staff_may(Action.CASE_JUDGE) else "content_check"
    state: str | None = request.GET.get("state") or default
    if state == "all":
        state = None
    cases = case_list_for_actor(actor, flow=flow, state=state, workflow_only=True)[:200]
    labels: dict[str, str] = {}
    for definition in FLOWS.values():
        for code, declared in definition.states.items():
            labels.setdefault(code, declared.en if _language() == "en" else declared.ja)
    states = sorted(labels.items())
    return render(request, "cases/queue.html", {"cases": cases, "flow": flow or "", "state": state or "all",
                                                "states": states, "language": _language(),
                                                "website_staff": actor.staff_may(Action.CASE_HANDLE_WEBSITE),
                                                "coordination_staff": actor.staff_may(Action.CASE_COORDINATE)})


@login_required
def shared_cases(request: HttpRequest) -> HttpResponse:
    """The developers' and operators' portal: cases their organisation was brought into."""
    actor = actor_for_request(request)
    cases = cases_shared_with(actor).order_by("-created_at")[:500]
    return render(request, "cases/shared.html", {"cases": cases, "language": _language()})


@_case_view
def case_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    actor = actor_for_request(request)
    case = access_case(actor, case_id)
    identity = can(actor, Action.CASE_FINDER_IDENTITY, case)
    submission = submission_visible_to(actor, case)
    lang = _language()
    return render(request, "cases/case_detail.html", {
        "case": case, "report": case.report, "submission": labelled_submission(case.report.kind, submission),
        "show_identity": identity,
        "actions": available_actions(actor, case), "thread": messages_visible_to(actor, case),
        "events": case_events_for_actor(actor, case), "language": lang,
        "state_label": state_shown(actor, case, lang)[1],
        "rejection_reasons": [(code, en if lang == "en" else ja) for code, (ja, en) in REJECTION_REASONS.items()],
        "staff": can(actor, Action.CASE_MESSAGE_INTERNAL, case),
        "attachments": attachments_visible_to(actor, case),
        "other_flow": Flow.WEBSITE.value if case.flow == Flow.PRODUCT else Flow.PRODUCT.value,
        # The operators' contacts, keys and fix reports are for the staff handling the site, not its finder.
        **(panel_context(actor, case) if case.flow == Flow.WEBSITE and can(actor, Action.CASE_HANDLE_WEBSITE, case)
           else {}),
        **(coordination_panel(actor, case) if case.flow == Flow.PRODUCT else {}),
        **(committee_panel(actor, case) if case.flow == Flow.PRODUCT else {}),
    })


@require_POST
@_case_view
def case_act(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    actor = actor_for_request(request)
    case = access_case(actor, case_id)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    try:
        if action in {"accept", "reject"}:
            case_judge(actor=actor, case=case, accept=action == "accept", reason=reason,
                       reason_code=request.POST.get("reason_code", ""))
        elif action == "reclassify":
            case_reclassify(actor=actor, case=case, reason=reason)
        else:
            messages.error(request, _("Unknown action."))
            return redirect("console:case", case_id=case.id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Done."))
    return redirect("console:case", case_id=case.id)


@require_POST
@_case_view
def case_message(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    actor = actor_for_request(request)
    case = access_case(actor, case_id, Action.CASE_MESSAGE_POST)
    try:
        message_post(actor=actor, case=case, body=request.POST.get("body", ""),
                     visibility=request.POST.get("visibility", "internal"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your message was sent."))
    return redirect("console:case", case_id=case.id)


@_case_view
def attachment_download(request: HttpRequest, case_id: uuid.UUID, attachment_id: uuid.UUID) -> HttpResponseBase:
    actor = actor_for_request(request)
    case = access_case(actor, case_id, Action.CASE_ATTACHMENT_VIEW)
    attachment = attachments_visible_to(actor, case).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment)
