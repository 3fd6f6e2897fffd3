"""The coordinators' dashboard (``/console/coordination/``) and what the case page and the API show of a schedule.

The dashboard lists the product cases under coordination by due date (the agreed publication date, else the
target date), those past their target (§4.4: a target, not a deadline the developer missed — worded neutrally) and
whom each case is waiting on. Only holders of ``case:coordinate`` see it, over ``cases_visible_to()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Action, Actor, can, cases_visible_to, staff_actor
from earlywarn.coordination.models import Coordination, PublicationSchedule
from earlywarn.coordination.schedule import (
    DEVELOPER_AGREED,
    PROPOSED,
    SCHEDULABLE,
    agreed_organisations,
    local_text,
)
from earlywarn.coordination.services import ACTIVE

LIMIT = 500
WAITING = ("developer", "coordinator")


def schedule_for(actor: Actor, case: Case) -> dict[str, Any] | None:
    """The proposed and agreed publication date-times; coordinators see every developer's agreement, a developer
    its own organisations' only."""
    schedule = PublicationSchedule.objects.filter(case=case).first()
    if schedule is None:
        return None
    pending = schedule.proposed_at is not None and schedule.agreed_at is None
    proposal = case.events.filter(tag=PROPOSED).order_by("-created_at", "-id").first() if pending else None
    done = agreed_organisations(case, proposal)
    notices = case.developer_notices.select_related("organisation")
    if not can(actor, Action.CASE_COORDINATE, case):
        notices = notices.filter(organisation_id__in=actor.participant_org_ids)
    return {
        "time_zone": schedule.time_zone, "proposed_at": schedule.proposed_at, "agreed_at": schedule.agreed_at,
        "proposed_local": local_text(schedule.proposed_at, schedule.time_zone),
        "agreed_local": local_text(schedule.agreed_at, schedule.time_zone),
        "agreed_on": schedule.agreed_on, "published_at": schedule.published_at, "pending": pending,
        "agreements": [{"organisation": str(n.organisation_id), "name": n.organisation.name,
                        "agreed": str(n.organisation_id) in done or schedule.agreed_at is not None}
                       for n in notices] if schedule.proposed_at else [],
    }


@dataclass
class Row:
    case: Case
    start_date: date | None
    target_date: date | None
    proposed: str
    agreed: str
    due: date | None
    days_past_target: int
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (developer | coordinator, what)

    @property
    def waiting_on(self) -> set[str]:
        return {who for who, _what in self.waiting}


def _waiting(case: Case, schedule: PublicationSchedule | None, now: datetime) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    stated = {s.organisation_id for s in case.product_statements.all()}
    events: list[CaseEvent] = getattr(case, "schedule_events", [])
    proposals = [e for e in events if e.tag == PROPOSED]
    pending = schedule is not None and schedule.proposed_at is not None and schedule.agreed_at is None
    done = ({str(e.data.get("organisation")) for e in events
             if e.tag == DEVELOPER_AGREED and e.data.get("proposal") == proposals[-1].pk}
            if pending and proposals else set())
    for notice in case.developer_notices.all():
        name = notice.organisation.name
        if notice.acknowledged_at is None:
            out.append(("developer", _("%(name)s: receipt not confirmed") % {"name": name}))
        elif notice.organisation_id not in stated:
            out.append(("developer", _("%(name)s: no product status yet") % {"name": name}))
        if pending and str(notice.organisation_id) not in done:
            out.append(("developer", _("%(name)s: proposed date not agreed yet") % {"name": name}))
    if case.state == "unreachable_listed":
        out.append(("coordinator", _("a developer is listed as unreachable")))
    elif case.state == "committee":
        out.append(("coordinator", _("before the publication judgment committee")))
    elif schedule is None or schedule.proposed_at is None:
        out.append(("coordinator", _("no publication date proposed")))
    elif pending and schedule.proposed_at <= now:
        out.append(("coordinator", _("the proposed date has passed: propose a new one")))
    elif schedule.agreed_at is not None and schedule.agreed_at <= now:
        out.append(("coordinator", _("the agreed date has passed and the case is not published")))
    return out


def dashboard_rows(actor: Actor, now: datetime | None = None) -> list[Row]:
    """The product cases under coordination the actor coordinates, by due date (earliest first)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    events = CaseEvent.objects.filter(tag__in=(PROPOSED, DEVELOPER_AGREED)).order_by("created_at", "id")
    visible = (cases_visible_to(actor).filter(flow="product", state__in=ACTIVE).order_by("created_at")
             .prefetch_related("developer_notices__organisation", "product_statements",
                               Prefetch("events", queryset=events, to_attr="schedule_events"))[:LIMIT])
    cases: list[Case] = [c for c in visible if actor.staff_may(Action.CASE_COORDINATE, c)]
    ids = [c.pk for c in cases]
    clocks = {c.case_id: c for c in Coordination.objects.filter(case_id__in=ids)}
    schedules = {s.case_id: s for s in PublicationSchedule.objects.filter(case_id__in=ids)}
    rows = []
    for case in cases:
        clock, schedule = clocks.get(case.pk), schedules.get(case.pk)
        agreed = schedule.agreed_at if schedule else None
        zone = schedule.time_zone if schedule else ""
        target = clock.target_date if clock else None
        rows.append(Row(
            case=case, start_date=clock.start_date if clock else None, target_date=target,
            proposed=local_text(schedule.proposed_at, zone) if schedule and agreed is None else "",
            agreed=local_text(agreed, zone), due=timezone.localdate(agreed) if agreed else target,
            days_past_target=(today - target).days if target and today > target else 0,
            waiting=_waiting(case, schedule, now)))
    rows.sort(key=lambda r: (r.due is None, r.due or today, r.case.tracking_id))
    return rows


@login_required
@require_GET
def coordination_dashboard(request: HttpRequest) -> HttpResponse:
    actor = staff_actor(request, Action.CASE_COORDINATE)
    rows = dashboard_rows(actor)
    waiting = request.GET.get("waiting", "")
    past = request.GET.get("past_target") == "1"
    shown = [r for r in rows if (waiting not in WAITING or waiting in r.waiting_on)
             and (not past or r.days_past_target > 0)]
    language = "en" if (get_language() or "ja").startswith("en") else "ja"
    return render(request, "coordination/dashboard.html", {
        "rows": shown, "total": len(rows), "waiting": waiting if waiting in WAITING else "", "past": past,
        "past_count": sum(1 for r in rows if r.days_past_target > 0), "language": language,
        "schedulable": SCHEDULABLE,
        "counts": {who: sum(1 for r in rows if who in r.waiting_on) for who in WAITING},
    })
