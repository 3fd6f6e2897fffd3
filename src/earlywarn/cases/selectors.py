"""Read queries over cases, always scoped to the actor through the access policy."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _

from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.flows import FLOWS, PRODUCT_CATEGORIES, WEBSITE_CATEGORIES, Flow
from earlywarn.cases.models import Attachment, Case, CaseEvent
from earlywarn.cases.policy import Action, Actor, can, cases_visible_to

_CATEGORY_CODES = frozenset(
    {c.code for c in (*PRODUCT_CATEGORIES, *WEBSITE_CATEGORIES)}
    | {state.sub_status.code for declared in FLOWS.values() for state in declared.states.values() if state.sub_status}
)


def _in_category(category: str) -> Q:
    """Cases whose state counts in the published category (or sub-status) ``category``, in either flow."""
    matched = Q(pk__in=[])
    for flow, declared in FLOWS.items():
        states = [code for code, state in declared.states.items()
                  if category in {state.published_category(flow).code, getattr(state.sub_status, "code", None)}]
        if states:
            matched |= Q(flow=flow, state__in=states)
    return matched


def workflow_flows(actor: Actor) -> list[str]:
    """The flows whose cases' internal workflow (states, audit trail) this actor reads as staff."""
    return [flow.value for flow in Flow if actor.staff_may(Action.CASE_EVENTS_VIEW, Case(flow=flow.value))]


def case_list_for_actor(actor: Actor, *, flow: str | None = None, state: str | None = None,
                        category: str | None = None, workflow_only: bool = False) -> QuerySet[Case]:
    """The actor's cases, optionally in one flow, published category or sub-status, or (staff) internal state.

    ``state`` filters on the internal workflow state, which only staff see (``state_shown``), and only in the flows
    they work on; ``workflow_only`` keeps just those cases (the staff queue, which shows the state). Everyone can
    filter on what they are shown, the published ``category``.
    """
    cases = cases_visible_to(actor)
    if flow:
        cases = cases.filter(flow=flow)
    if state or workflow_only:
        flows = workflow_flows(actor)
        if state and not flows:
            raise ValidationFailed(_("Only staff can filter by the internal state."), field="state")
        cases = cases.filter(flow__in=flows)
        if state:
            cases = cases.filter(state=state)
    if category:
        if category not in _CATEGORY_CODES:
            raise ValidationFailed(_("Unknown category."), field="category")
        cases = cases.filter(_in_category(category))
    return cases.order_by("-created_at")


def state_shown(actor: Actor, case: Case, language: str) -> tuple[str | None, str]:
    """(internal state, label) as the actor sees them.

    Staff (who read the audit trail) see the internal workflow state. Finders, developers and operators see what
    the finder's status link shows: the published category and its sub-status (partnership.md §3.5), never an
    internal step such as the committee's review; the internal state is then ``None``.
    """
    if can(actor, Action.CASE_EVENTS_VIEW, case):
        state = case.state_def
        return case.state, state.en if language == "en" else state.ja
    shown = [case.published_category] + ([case.sub_status] if case.sub_status else [])
    return None, (" / " if language == "en" else "・").join(c.en if language == "en" else c.ja for c in shown)


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
