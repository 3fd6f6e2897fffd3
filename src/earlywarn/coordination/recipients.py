"""The pages of priority-information recipients (§4.9): the information delivered to their organisation, nothing
else of the case. Access: ``cases.policy.priority_deliveries_visible_to`` (an undelivered case is a 404)."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from earlywarn.cases.policy import CaseNotFound, actor_for_request
from earlywarn.coordination.priority import deliveries_for, delivery_read, sector_label


@require_GET
@login_required
def priority_list(request: HttpRequest) -> HttpResponse:
    deliveries = deliveries_for(actor_for_request(request))[:500]
    return render(request, "coordination/priority_list.html", {"deliveries": deliveries})


@require_GET
@login_required
def priority_detail(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    try:
        delivery = delivery_read(actor_for_request(request), str(case_id))
    except CaseNotFound as exc:
        raise Http404 from exc
    return render(request, "coordination/priority_detail.html",
                  {"delivery": delivery, "sector": sector_label(delivery.sector),
                   "schedule": getattr(delivery.selection.case, "schedule", None)})
