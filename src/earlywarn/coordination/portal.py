"""The developer portal (docs/coordination.md, "The developer portal"): a developer's cases with what it must do and
by when, and one case's page — the report, the schedule, its own answers, the thread — where it acknowledges,
states per product, disputes, and writes to the coordinator. Everything goes through the action table and the
access policy; another developer of the same case sees none of this developer's answers."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from earlywarn.cases.errors import DomainError
from earlywarn.cases.models import Case, ParticipantRole
from earlywarn.cases.policy import (
    FINDER_IDENTITY_FIELDS,
    Action,
    ActionDenied,
    Actor,
    CaseNotFound,
    access_case,
    actor_for_request,
    attachments_visible_to,
    can,
    cases_shared_with,
    messages_visible_to,
    submission_visible_to,
)
from earlywarn.cases.selectors import state_shown
from earlywarn.cases.services import message_post
from earlywarn.coordination.actions import COORDINATION_ACTIONS, action_perform, coordination_actions_for, form_data
from earlywarn.coordination.disputes import disputes_for
from earlywarn.coordination.models import Coordination, ProductStatus
from earlywarn.coordination.notice_mail import DETAIL_FIELDS
from earlywarn.coordination.selectors import coordination_for

# Actions the page has its own forms for; any other developer action of the table gets a plain form.
OWN_FORMS = ("acknowledge_receipt", "state_product", "dispute_vulnerability")
FIELD_LABELS = {"users_description": gettext_lazy("Who uses the product, and how the coordinator can reach them")}


def _language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


def developer_case(actor: Actor, case_id: uuid.UUID | str) -> Case:
    """A product case the actor answers for as a developer. Invisible: CaseNotFound (404); visible to someone who
    is not one of its developers (staff, the finder, an operator): ActionDenied (403)."""
    case = access_case(actor, case_id)
    if case.flow != "product" or actor.is_staff or not can(actor, Action.CASE_DEVELOPER_RESPOND, case):
        raise ActionDenied
    return case


def _schedule(case: Case) -> dict[str, Any] | None:
    try:
        schedule = case.schedule  # coordination.PublicationSchedule, when a date was proposed
    except ObjectDoesNotExist:
        return None

    def local(value: datetime | None) -> str:
        if value is None:
            return ""
        try:
            zone = zoneinfo.ZoneInfo(schedule.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return {"proposed": local(schedule.proposed_at), "agreed": local(schedule.agreed_at),
            "time_zone": schedule.time_zone, "published": local(schedule.published_at)}


def _todo(coordination: dict[str, Any] | None, actions: list[str]) -> list[str]:
    """What the developer still has to do, in words."""
    items = []
    if coordination and any(d["acknowledged_at"] is None for d in coordination["developers"]):
        items.append(_("Confirm that you received the notice."))
    if "state_product" in actions:
        if coordination and coordination["statements"]:
            items.append(_("Keep the status of each product up to date (for example when the fix is released)."))
        else:
            items.append(_("Investigate and record the status of each product and version concerned."))
    return items


@login_required
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    """The developer's cases (product cases its organisations were brought into as developers)."""
    actor = actor_for_request(request)
    cases = (cases_shared_with(actor).filter(flow="product", participants__role=ParticipantRole.DEVELOPER,
                                             participants__removed_at__isnull=True,
                                             participants__organisation_id__in=actor.participant_org_ids)
             .distinct().prefetch_related("developer_notices").order_by("-created_at")[:500])
    language = _language()
    targets = dict(Coordination.objects.filter(case__in=[c.pk for c in cases]).values_list("case_id", "target_date"))
    rows = []
    for case in cases:
        notices = [n for n in case.developer_notices.all() if n.organisation_id in actor.participant_org_ids]
        rows.append({"case": case, "target": targets.get(case.pk),
                     "state": state_shown(actor, case, language)[1],
                     "pending": any(n.acknowledged_at is None for n in notices),
                     "stated": case.product_statements.filter(organisation_id__in=actor.participant_org_ids).count()})
    return render(request, "coordination/portal_home.html", {"rows": rows, "language": language})


def _post(request: HttpRequest, actor: Actor, case: Case) -> None:
    name = request.POST.get("action", "")
    if name == "message":
        message_post(actor=actor, case=case, body=request.POST.get("body", ""), visibility="organisation",
                     organisation_id=_organisation(request.POST.get("organisation", ""), actor))
        return
    action = COORDINATION_ACTIONS.get(name)
    if action is None or action.capability is not Action.CASE_DEVELOPER_RESPOND:
        raise DomainError(_("Unknown action."))
    action_perform(actor=actor, case=case, name=name, data=form_data(name, request.POST))


def _organisation(value: str, actor: Actor) -> uuid.UUID | None:
    try:
        org = uuid.UUID(value)
    except ValueError:
        return None
    return org if org in actor.participant_org_ids else None


@login_required
@require_http_methods(["GET", "POST"])
def portal_case(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    actor = actor_for_request(request)
    try:
        case = developer_case(actor, case_id)
    except CaseNotFound as exc:
        raise Http404 from exc
    except ActionDenied:
        return HttpResponseForbidden(_("You may not do this on this case."))
    error = ""
    if request.method == "POST":
        try:
            _post(request, actor, case)
        except ActionDenied:
            error = _("This is no longer possible for this case.")
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Thank you. We received it."))
            return redirect("developer:case", case_id=case.id)
        case = Case.objects.select_related("report").get(pk=case.pk)
    language = _language()
    coordination = coordination_for(actor, case)
    actions = coordination_actions_for(actor, case)
    submission = submission_visible_to(actor, case)
    identity = can(actor, Action.CASE_FINDER_IDENTITY, case)
    report = [(label, submission[key]) for key, label in DETAIL_FIELDS if submission.get(key) not in (None, "")]
    finder = [(key, submission[key]) for key in sorted(FINDER_IDENTITY_FIELDS) if identity and submission.get(key)]
    own = [n for n in case.developer_notices.select_related("organisation")
           if n.organisation_id in actor.participant_org_ids]
    # The other answers share one form: the organisation as the select of the developer's own notices (nothing
    # to choose with one), every other field with its label; never a raw field name.
    other_actions = [(name, COORDINATION_ACTIONS[name].label,
                      [(f, FIELD_LABELS.get(f, f)) for f in sorted(COORDINATION_ACTIONS[name].fields)
                       if f != "organisation"])
                     for name in actions if name not in OWN_FORMS
                     and COORDINATION_ACTIONS[name].capability is Action.CASE_DEVELOPER_RESPOND]
    context = {
        "case": case, "language": language, "error": error, "coordination": coordination,
        "state_label": state_shown(actor, case, language)[1],
        "report": report, "finder": finder, "show_identity": identity,
        "attachments": attachments_visible_to(actor, case), "thread": messages_visible_to(actor, case),
        "actions": actions, "other_actions": other_actions, "todo": _todo(coordination, actions),
        "product_statuses": ProductStatus.choices, "own_notices": own, "disputes": disputes_for(actor, case),
        "schedule": _schedule(case), "pending_ack": any(n.acknowledged_at is None for n in own),
    }
    response = render(request, "coordination/portal_case.html", context, status=422 if error else 200)
    response.headers["Cache-Control"] = "no-store"
    return response
