"""The coordination panel's form handler and the public list of unreachable developers (§4.6)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from earlywarn.accounts.models import Organisation, OrganisationKind
from earlywarn.cases.errors import DomainError
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, ActionDenied, Actor, CaseNotFound, access_case, actor_for_request, can
from earlywarn.coordination.actions import (
    COORDINATION_ACTIONS,
    action_perform,
    coordination_actions_for,
    form_data,
)
from earlywarn.coordination.dashboard import schedule_for
from earlywarn.coordination.disputes import disputes_for
from earlywarn.coordination.models import EolCase, ProductStatus
from earlywarn.coordination.selectors import coordination_for, outcomes_for, unreachable_public
from earlywarn.coordination.services import CHANNEL_LABELS, CHANNELS

PAGE_SIZE = 50
# The §4.11 criteria the coordinator records before deciding on individual handling.
INDIVIDUAL_QUESTIONS = (
    ("general_purpose", gettext_lazy("Is it a general-purpose product (汎用性を有する製品)?")),
    ("many_or_unspecified_users", gettext_lazy("Does it have many or unspecified users (多数または不特定の利用者)?")),
    ("all_users_notified", gettext_lazy("Can the developer notify every user of the product?")),
)


def panel_context(actor: Actor, case: Case) -> dict[str, Any]:
    """What the console's case page shows of coordination (cases/views.py includes it for product cases)."""
    actions = coordination_actions_for(actor, case)
    offer = can(actor, Action.CASE_COORDINATE, case) and bool({"start_coordination", "add_developer"} & set(actions))
    return {
        "coordination": coordination_for(actor, case), "coordination_actions": actions,
        "schedule": schedule_for(actor, case),
        "disputes": disputes_for(actor, case),
        "product_statuses": ProductStatus.choices,
        "contact_channels": [(code, CHANNEL_LABELS[code]) for code in CHANNELS], "eol_cases": EolCase.choices,
        "outcomes": outcomes_for(actor, case), "individual_questions": INDIVIDUAL_QUESTIONS,
        "developer_choices": (Organisation.objects.filter(kind=OrganisationKind.DEVELOPER).exclude(contact_email="")
                              .only("id", "name")[:500] if offer else []),
    }


@require_POST
@login_required
def coordination_act(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    actor = actor_for_request(request)
    try:
        case = access_case(actor, case_id)
    except CaseNotFound as exc:
        raise Http404 from exc
    name = request.POST.get("action", "")
    data = form_data(name, request.POST)
    for multiple in ("organisations", "sectors", "members"):  # multiple selects
        if name in COORDINATION_ACTIONS and multiple in COORDINATION_ACTIONS[name].fields:
            data[multiple] = ",".join(request.POST.getlist(multiple))
    try:
        action_perform(actor=actor, case=case, name=name, data=data)
    except ActionDenied:
        return HttpResponseForbidden(_("You may not do this on this case."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Done."))
    return redirect("console:case", case_id=case.id)


@require_GET
def unreachable_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(unreachable_public(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "coordination/unreachable.html",
                  {"page": page, "language": (get_language() or "ja")[:2]})
