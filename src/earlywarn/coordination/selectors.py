"""What the console, the API and the public list read of a case's coordination."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor, can
from earlywarn.coordination.models import Coordination, UnreachableListing


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
    if staff:
        out["contact_attempts"] = [{"organisation": str(a.organisation_id), "channel": a.channel, "note": a.note,
                                    "attempted_at": a.attempted_at, "recorded_by": a.recorded_by}
                                   for a in case.contact_attempts.all()]
    return out


def unreachable_public() -> QuerySet[UnreachableListing]:
    """The public list (連絡不能開発者一覧): current listings of cases still listed; two fields and the date only."""
    return (UnreachableListing.objects.filter(ended_at__isnull=True, case__state="unreachable_listed",
                                              case__flow="product")
            .only("id", "developer_name", "product", "listed_at").order_by("-listed_at", "id"))
