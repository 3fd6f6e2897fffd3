"""The operator's link through the API: what ``/operator/<secret>/`` shows and does, for scripts and builders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from earlywarn.accounts.auth import Anonymous, token_or_session
from earlywarn.cases.api import action_body
from earlywarn.cases.categories import WEBSITE_VULNERABILITY_TYPES
from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.policy import (
    Action,
    Actor,
    CaseNotFound,
    actor_for_request,
    messages_visible_to,
    submission_visible_to,
)
from earlywarn.cases.services import message_post
from earlywarn.websites.actions import action_perform, website_actions_for
from earlywarn.websites.contacts import site_host
from earlywarn.websites.links import link_resolve
from earlywarn.websites.models import ParticipantLink
from earlywarn.websites.selectors import prolonged_table

router = Router(tags=["operator link"])
LINK_ACTIONS = frozenset({"acknowledge", "add_builder", "report_fix", "message"})


class OperatorMessageOut(Schema):
    author: str
    body: str
    created_at: datetime


class OperatorOut(Schema):
    tracking_id: str
    host: str
    status: str
    status_ja: str
    status_en: str
    sub_status: str | None
    notified_at: datetime | None
    acknowledged: bool
    details: dict[str, Any]
    actions: list[str]
    messages: list[OperatorMessageOut]


def _resolve(token: str) -> tuple[ParticipantLink, Actor]:
    resolved = link_resolve(token)
    if resolved is None:
        raise CaseNotFound
    return resolved


def _out(actor: Actor, link: ParticipantLink) -> dict[str, Any]:
    case = link.contact.case
    case.refresh_from_db()
    category, sub = case.published_category, case.sub_status
    actions = [a for a in website_actions_for(actor, case) if a in LINK_ACTIONS]
    return {
        "tracking_id": case.tracking_id, "host": site_host(case), "status": category.code,
        "status_ja": category.ja, "status_en": category.en, "sub_status": sub.code if sub else None,
        "notified_at": case.notified_at,
        "acknowledged": case.events.filter(tag="case:operator:acknowledged").exists(),
        "details": submission_visible_to(actor, case), "actions": [*actions, "message"],
        "messages": [{"author": m.author_label, "body": m.body, "created_at": m.created_at}
                     for m in messages_visible_to(actor, case)],
    }


@router.get("/operator/{token}", response=OperatorOut, auth=[Anonymous()], summary="A website case, by its link")
def operator_get(request: HttpRequest, token: str) -> Any:
    link, actor = _resolve(token)
    return _out(actor, link)


@router.post("/operator/{token}/actions/{action}", response=OperatorOut, auth=[Anonymous()],
             summary="Acknowledge, add the builder, report the fix, or write to the handler",
             openapi_extra={"requestBody": {"required": False, "content": {"application/json": {"schema": {
                 "type": "object", "additionalProperties": {"type": "string"}}}}}})
def operator_action(request: HttpRequest, token: str, action: str) -> Any:
    link, actor = _resolve(token)
    data = action_body(request)
    case = link.contact.case
    if action == "message":
        body = data.get("body", "")
        message_post(actor=actor, case=case, body=body if isinstance(body, str) else "", visibility="organisation")
    elif action in LINK_ACTIONS:
        action_perform(actor=actor, case=case, name=action, data=data)
    else:
        action_perform(actor=actor, case=case, name="", data={})  # the same "not an action" error
    return _out(actor, link)


class ProlongedRowOut(Schema):
    vulnerability_type: str
    label_ja: str
    label_en: str
    counts: list[int]  # by elapsed-days bucket (``bounds``)
    counts_year_before: list[int]


class ProlongedCaseOut(Schema):
    id: str
    tracking_id: str
    vulnerability_type: str
    elapsed_days: int


class ProlongedOut(Schema):
    day: date
    year_before: date
    bounds: list[int]  # lower bounds of the elapsed-days buckets
    rows: list[ProlongedRowOut]
    total: int
    total_year_before: int
    cases: list[ProlongedCaseOut]


@router.get("/websites/prolonged", response=ProlongedOut, auth=token_or_session, tags=["websites"],
            summary="Prolonged website cases (§4.5): the console's figures, read-only")
def prolonged_get(request: HttpRequest, day: str | None = None) -> Any:
    """The figures of ``/console/websites/prolonged/`` as of ``day`` (YYYY-MM-DD, default today), for handlers."""
    actor = actor_for_request(request)
    if not actor.staff_may(Action.CASE_HANDLE_WEBSITE):
        raise CaseNotFound
    as_of = None
    if day:
        try:
            as_of = date.fromisoformat(day)
        except ValueError as exc:
            raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), field="day") from exc
        if not 1900 <= as_of.year <= 2999:  # the table counts a year back and ahead: keep clear of date's limits
            raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), field="day")
    table = prolonged_table(actor, as_of)
    return {
        "day": table.day, "year_before": table.year_before, "bounds": table.bounds,
        "rows": [{"vulnerability_type": kind, "label_ja": WEBSITE_VULNERABILITY_TYPES.get(kind, (kind, kind))[0],
                  "label_en": WEBSITE_VULNERABILITY_TYPES.get(kind, (kind, kind))[1], "counts": now,
                  "counts_year_before": before} for kind, now, before in table.rows],
        "total": table.total, "total_year_before": table.total_year_before,
        "cases": [{"id": str(case.id), "tracking_id": case.tracking_id, "vulnerability_type": case.vulnerability_type,
                   "elapsed_days": elapsed} for case, elapsed in table.cases],
    }
