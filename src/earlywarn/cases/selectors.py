"""Read queries over cases, always scoped to the actor through the access policy."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse

from earlywarn.cases.models import Attachment, Case, CaseEvent
from earlywarn.cases.policy import Action, Actor, can, cases_visible_to


def case_list_for_actor(actor: Actor, *, flow: str | None = None, state: str | None = None) -> QuerySet[Case]:
    cases = cases_visible_to(actor)
    if flow:
        cases = cases.filter(flow=flow)
    if state:
        cases = cases.filter(state=state)
    return cases.order_by("-created_at")


def case_events_for_actor(actor: Actor, case: Case) -> QuerySet[CaseEvent]:
    if not can(actor, Action.CASE_EVENTS_VIEW, case):
        return CaseEvent.objects.none()
    return case.events.select_related("actor").order_by("created_at", "id")


def attachment_response(attachment: Attachment) -> FileResponse:
    """Serve a stored attachment as a download that no browser will render or sniff (security.md threat 12)."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type="application/octet-stream")
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
