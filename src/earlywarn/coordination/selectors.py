"""What the console, the API and the public list read of a case's coordination."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor, can
from earlywarn.coordination.models import Coordination, EolAssessment, PrioritySelection, UnreachableListing
from earlywarn.coordination.priority import configured_sectors, sector_label
from earlywarn.coordination.services import CHANNEL_LABELS


def coordination_for(actor: Actor, case: Case) -> dict[str, Any] | None:
    """The start date, the target, the developers and their statements as ``actor`` may see them.

    Staff who coordinate see every developer and contact attempt; a developer sees its own organisation's rows
    only (several developers of one case do not see each other's answers before publication)."""
    coordination = Coordination.objects.filter(case=case).first()
    if coordination is None:
        return None
    staff = can(actor, Action.CASE_COORDINATE, case)
    notices = case.developer_notices.select_related("organisation")
    statements = case.product_statements.select_related("organisation")
    if not staff:
        notices = notices.filter(organisation_id__in=actor.participant_org_ids)
        statements = statements.filter(organisation_id__in=actor.participant_org_ids)
    out: dict[str, Any] = {
        "start_date": coordination.start_date, "target_date": coordination.target_date,
        "developers": [{"organisation": str(n.organisation_id), "name": n.organisation.name,
                        "notified_at": n.notified_at, "acknowledged_at": n.acknowledged_at} for n in notices],
        "statements": [{"organisation": str(s.organisation_id), "name": s.organisation.name, "product": s.product,
                        "version": s.version, "status": s.status, "fixed_version": s.fixed_version,
                        "statement": s.statement, "updated_at": s.updated_at} for s in statements],
    }
    from earlywarn.coordination.dashboard import schedule_for  # the dashboard module builds on this one

    out["schedule"] = schedule_for(actor, case)
    if staff:
        out["contact_attempts"] = [{"organisation": str(a.organisation_id), "channel": a.channel,
                                    "channel_label": str(CHANNEL_LABELS.get(a.channel, a.channel)), "note": a.note,
                                    "attempted_at": a.attempted_at, "recorded_by": a.recorded_by}
                                   for a in case.contact_attempts.all()]
    return out


# A listed developer stays on the public list while its case is before the committee (it is still unreachable);
# resuming coordination or the publication ends the listing.
LISTED_STATES = ("unreachable_listed", "committee")


def unreachable_public() -> QuerySet[UnreachableListing]:
    """The public list (連絡不能開発者一覧): current listings of cases still listed; two fields and the date only."""
    return (UnreachableListing.objects.filter(ended_at__isnull=True, case__state__in=LISTED_STATES,
                                              case__flow="product")
            .only("id", "developer_name", "product", "listed_at").order_by("-listed_at", "id"))


def outcomes_for(actor: Actor, case: Case) -> dict[str, Any]:
    """EOL assessment, individual-handling requests and priority provision as ``actor`` may see them: coordinators
    all of it; a developer only its own organisation's requests (never the priority recipients)."""
    staff = can(actor, Action.CASE_COORDINATE, case)
    requests = case.individual_requests.select_related("organisation")
    if not staff:
        requests = requests.filter(organisation_id__in=actor.participant_org_ids)
    out: dict[str, Any] = {"individual_requests": list(requests)}
    if staff:
        selection = PrioritySelection.objects.filter(case=case).first()
        out.update({
            "eol": EolAssessment.objects.filter(case=case).select_related("product").first(),
            "priority": selection,
            "priority_deliveries": list(selection.deliveries.select_related("organisation")) if selection else [],
            "priority_sectors": [(code, sector_label(code)) for code in configured_sectors()],
        })
    return out
