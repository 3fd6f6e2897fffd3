"""The handler's website pages: the case panel's actions, the prolonged-cases dashboard, and alerts."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from earlywarn.cases.categories import WEBSITE_OPERATOR_TYPES, WEBSITE_VULNERABILITY_TYPES, choices
from earlywarn.cases.errors import DomainError
from earlywarn.cases.flows import WEBSITE
from earlywarn.cases.models import Case
from earlywarn.cases.policy import (
    Action,
    ActionDenied,
    Actor,
    CaseNotFound,
    access_case,
    actor_for_request,
    staff_actor,
)
from earlywarn.cases.services import message_post
from earlywarn.websites.actions import WEBSITE_ACTIONS, action_perform, form_data, website_actions_for
from earlywarn.websites.closures import alert_publish
from earlywarn.websites.contacts import known_operators
from earlywarn.websites.models import Audience, FixKind
from earlywarn.websites.notification import active_contacts, contact_mail
from earlywarn.websites.selectors import open_website_cases, prolonged_table


def _language() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


def action_label(name: str, language: str) -> str:
    transition = WEBSITE.transitions.get(name)
    if transition is not None:
        return transition.en if language == "en" else transition.ja
    return str(WEBSITE_ACTIONS[name].label)


def panel_context(actor: Actor, case: Case) -> dict[str, Any]:
    """What the console's case page shows for a website case."""
    language = _language()
    discovery = case.events.filter(tag="case:contact:discovered").order_by("-created_at", "-id").first()
    names = website_actions_for(actor, case)
    inspected = case.events.filter(tag="case:contact:key_inspected").order_by("-created_at", "-id").first()
    return {
        "key_inspection": inspected.data if inspected else None,
        "website_actions": names, "website_labels": {n: action_label(n, language) for n in names},
        "contacts": case.website_contacts.select_related("organisation"), "discovery": discovery.data if discovery
        else None, "fix_reports": case.fix_reports.all(), "known_operators": known_operators(case),
        "operator_types": choices(WEBSITE_OPERATOR_TYPES, language), "audiences": Audience.choices,
        "fix_kinds": FixKind.choices, "message_orgs": [(c.organisation_id, c.organisation.name, c.get_role_display())
                                                         for c in active_contacts(case)],
    }


def operator_message(*, actor: Actor, case: Case, body: str, organisation_id: str) -> None:
    """A handler's message to one operator or builder, with a mail telling them it is on their page."""
    recipients = [c for c in active_contacts(case) if str(c.organisation_id) == organisation_id]
    if not recipients:
        raise DomainError(_("Choose the organisation this message is for."), field="organisation")
    with transaction.atomic():
        message_post(actor=actor, case=case, body=body, visibility="organisation",
                     organisation_id=recipients[0].organisation_id)
        for contact in recipients:
            contact_mail(case, contact, "operator_message")


@require_POST
@login_required
def website_act(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    actor = actor_for_request(request)
    try:
        case = access_case(actor, case_id)
    except CaseNotFound as exc:
        raise Http404 from exc
    except ActionDenied:
        return HttpResponseForbidden(_("You may not do this on this case."))
    name = request.POST.get("action", "")
    try:
        if name == "message_operator":
            if not actor.staff_may(Action.CASE_HANDLE_WEBSITE, case):
                raise ActionDenied
            operator_message(actor=actor, case=case, body=request.POST.get("body", ""),
                             organisation_id=request.POST.get("organisation", ""))
        else:
            outcome = action_perform(actor=actor, case=case, name=name, data=form_data(name, request.POST))
            for problem in getattr(outcome, "problems", []):
                messages.warning(request, problem)
    except ActionDenied:
        return HttpResponseForbidden(_("You may not do this on this case."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Done."))
    return redirect("console:case", case_id=case.id)


def _staff_only(request: HttpRequest) -> Actor:
    return staff_actor(request, Action.CASE_HANDLE_WEBSITE)


@login_required
def prolonged(request: HttpRequest) -> HttpResponse:
    actor = _staff_only(request)
    table = prolonged_table(actor)
    labels = dict(choices(WEBSITE_VULNERABILITY_TYPES, _language()))
    return render(request, "websites/prolonged.html", {"table": table, "labels": labels})


@login_required
@require_http_methods(["GET", "POST"])
def alert_new(request: HttpRequest) -> HttpResponse:
    actor = _staff_only(request)
    kind = request.GET.get("type", "") if request.GET.get("type", "") in WEBSITE_VULNERABILITY_TYPES else ""
    host = request.GET.get("host", "")[:200]
    error = ""
    if request.method == "POST":
        try:
            alert = alert_publish(actor=actor, title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                                  url=request.POST.get("url", ""), case_ids=request.POST.getlist("cases"))
        except ActionDenied:
            return HttpResponseForbidden(_("You may not do this on this case."))
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("The alert was published and %(n)s cases were closed.")
                             % {"n": alert.cases_closed})
            return redirect("websites:alert_new")
    cases = open_website_cases(actor, vulnerability_type=kind, host=host)[:2000]
    return render(request, "websites/alert_new.html", {
        "cases": cases, "types": choices(WEBSITE_VULNERABILITY_TYPES, _language()), "type": kind, "host": host,
        "error": error, "form": request.POST if error else {}}, status=422 if error else 200)
