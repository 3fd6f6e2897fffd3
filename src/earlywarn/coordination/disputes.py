"""A developer disputes that the report is a vulnerability; the coordinator may then close the case as
脆弱性ではない (partnership.md §3.2 step 7, §3.6; docs/coordination.md)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor, can
from earlywarn.cases.services import case_transition, event_record
from earlywarn.coordination.services import ACTIVE, own_notice, require_product

DISPUTED = "case:developer:disputed"
CLOSABLE = frozenset({"content_check", "coordinating"})  # close_not_vulnerability's sources in cases/flows.py


def _reasons(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("Give your reasons."), field=field)
    if len(value) > 10_000:
        raise ValidationFailed(_("The text is too long."), field=field)
    return value



def vulnerability_dispute(*, actor: Actor, case: Case, reasons: str = "", organisation: str = "") -> None:
    """The developer says this is not a vulnerability, with its reasons: an event the coordinator sees on the case
    (it decides; the case stays open). A dispute is an answer, so it also confirms receipt."""
    require_product(actor, case, Action.CASE_DEVELOPER_RESPOND, ACTIVE)
    notice = own_notice(actor, case, organisation)
    text = _reasons(reasons, "reasons")
    with transaction.atomic():
        if notice.acknowledged_at is None:
            notice.acknowledged_at = timezone.now()
            notice.save(update_fields=["acknowledged_at"])
        event_record(case=case, actor=actor, tag=DISPUTED, reason=text,
                     data={"organisation": str(notice.organisation_id)})


def not_vulnerability_close(*, actor: Actor, case: Case, reason: str = "") -> Case:
    """The coordinator closes the case as 脆弱性ではない (after a developer's dispute, or on its own judgment)."""
    require_product(actor, case, Action.CASE_COORDINATE, CLOSABLE)
    return case_transition(actor=actor, case=case, action="close_not_vulnerability",
                           reason=_reasons(reason, "reason"))


def disputes_for(actor: Actor, case: Case) -> list[dict[str, Any]]:
    """The disputes ``actor`` may read: coordinators all of them, a developer its own organisations' only."""
    events = case.events.filter(tag=DISPUTED).order_by("created_at", "id")
    staff = can(actor, Action.CASE_COORDINATE, case)
    names = {str(n.organisation_id): n.organisation.name for n in case.developer_notices.select_related("organisation")}
    own = {str(org) for org in actor.participant_org_ids}
    return [{"organisation": e.data.get("organisation", ""), "name": names.get(e.data.get("organisation", ""), ""),
             "reasons": e.reason, "at": e.created_at, "by": e.actor_label if staff else ""}
            for e in events if staff or e.data.get("organisation") in own]
