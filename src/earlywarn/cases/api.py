"""Case API: list, detail, messages, and every action through ``POST /cases/{id}/actions/{action}``."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from earlywarn.accounts.auth import token_or_session
from earlywarn.cases.errors import ValidationFailed, refuse_forbidden_characters
from earlywarn.cases.flows import RECLASSIFIABLE_STATES, WEBSITE, Flow, definition
from earlywarn.cases.models import Case
from earlywarn.cases.policy import (
    Action,
    Actor,
    CaseNotFound,
    access_case,
    actor_for_request,
    attachments_visible_to,
    can,
    messages_visible_to,
    submission_visible_to,
)
from earlywarn.cases.selectors import attachment_response, case_events_for_actor, case_list_for_actor, state_shown
from earlywarn.cases.services import case_judge, case_reclassify, case_transition, message_post
from earlywarn.coordination.actions import COORDINATION_ACTIONS, COORDINATION_TRANSITIONS, coordination_actions_for
from earlywarn.coordination.actions import action_perform as coordination_perform
from earlywarn.coordination.selectors import coordination_for
from earlywarn.websites.actions import WEBSITE_ACTIONS, action_perform, website_actions_for

router = Router(tags=["cases"], auth=token_or_session)


class CaseOut(Schema):
    id: uuid.UUID
    tracking_id: str
    flow: str
    state: str | None  # the internal workflow state: staff only (the others read category and sub_status)
    state_label: str
    category: str
    sub_status: str | None
    title: str
    received_on: date
    accepted_at: datetime | None
    closed_at: datetime | None
    version: int
    actions: list[str]
    result: dict[str, Any] | None = None  # what an action found (websites: the security.txt discovery)


class CaseDetailOut(CaseOut):
    submission: dict[str, Any] | None
    finder: dict[str, Any] | None
    coordination: dict[str, Any] | None = None  # products: start date, target, developers' answers


class MessageOut(Schema):
    id: uuid.UUID
    author: str
    visibility: str
    body: str
    created_at: datetime


class EventOut(Schema):
    tag: str
    actor: str
    from_flow: str
    to_flow: str
    from_state: str
    to_state: str
    reason: str
    created_at: datetime


class AttachmentOut(Schema):
    id: uuid.UUID
    name: str
    size: int
    sha256: str
    created_at: datetime


class ActionIn(Schema):
    reason: str = ""
    reason_code: str = ""


class MessageIn(Schema):
    body: str
    visibility: str = "internal"
    organisation: uuid.UUID | None = None


def available_actions(actor: Actor, case: Case) -> list[str]:
    """Actions the actor may take on the case now (drives console buttons and API hints alike)."""
    actions = [t.action for t in definition(case.flow).transitions_from(case.state)
               if can(actor, Action(t.capability), case) and t.action in IMPLEMENTED_ACTIONS[Flow(case.flow)]]
    actions += website_actions_for(actor, case) + coordination_actions_for(actor, case)
    if can(actor, Action.CASE_RECLASSIFY, case) and case.state in RECLASSIFIABLE_STATES[Flow(case.flow)]:
        actions.append("reclassify")
    return list(dict.fromkeys(actions))


# Transitions this release performs, per flow. The website flow's transitions and its other actions (contacts, the
# operator's answers) go through websites/actions.py; the product flow's coordination through coordination/actions.py.
IMPLEMENTED_ACTIONS: dict[Flow, frozenset[str]] = {
    Flow.PRODUCT: frozenset({"accept", "reject"}) | COORDINATION_TRANSITIONS,
    Flow.WEBSITE: frozenset({"accept", "reject"}) | (frozenset(WEBSITE_ACTIONS) & frozenset(WEBSITE.transitions)),
}


def case_out(actor: Actor, case: Case, *, detail: bool = False) -> dict[str, Any]:
    state, state_label = state_shown(actor, case, "en" if getattr(actor.user, "language", "ja") == "en" else "ja")
    out: dict[str, Any] = {
        "id": case.id, "tracking_id": case.tracking_id, "flow": case.flow, "state": state, "state_label": state_label,
        "category": case.published_category.code,
        "sub_status": case.sub_status.code if case.sub_status else None, "title": case.title,
        "received_on": case.received_on, "accepted_at": case.accepted_at, "closed_at": case.closed_at,
        "version": case.version, "actions": available_actions(actor, case),
    }
    if detail:
        show_identity = can(actor, Action.CASE_FINDER_IDENTITY, case)
        out["submission"] = submission_visible_to(actor, case)
        out["finder"] = ({"name": case.report.finder_name, "email": case.report.finder_email,
                          "contactable": case.report.finder_contactable} if show_identity else None)
        out["coordination"] = coordination_for(actor, case) if case.flow == Flow.PRODUCT else None
    return out


@router.get("/cases", response=list[CaseOut], summary="Cases visible to you")
def case_list(request: HttpRequest, flow: str | None = None, state: str | None = None,
              category: str | None = None, limit: int = 50, offset: int = 0) -> Any:
    actor = actor_for_request(request)
    limit = max(1, min(limit, 200))
    offset = max(0, min(offset, 10**9))  # beyond any list; a bigger one overflows the database's integers
    cases = case_list_for_actor(actor, flow=flow, state=state, category=category)[offset: offset + limit]
    return [case_out(actor, case) for case in cases]


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="One case")
def case_detail(request: HttpRequest, case_id: str) -> Any:
    actor = actor_for_request(request)
    return case_out(actor, access_case(actor, case_id), detail=True)


@router.get("/cases/{case_id}/messages", response=list[MessageOut], summary="Messages you may read")
def case_messages(request: HttpRequest, case_id: str) -> Any:
    actor = actor_for_request(request)
    case = access_case(actor, case_id)
    return [{"id": m.id, "author": m.author_label, "visibility": m.visibility, "body": m.body,
             "created_at": m.created_at} for m in messages_visible_to(actor, case)]


@router.post("/cases/{case_id}/messages", response={201: MessageOut}, summary="Post a message")
def case_message_post(request: HttpRequest, case_id: str, payload: MessageIn) -> Any:
    actor = actor_for_request(request)
    case = access_case(actor, case_id, Action.CASE_MESSAGE_POST)
    message = message_post(actor=actor, case=case, body=payload.body, visibility=payload.visibility,
                           organisation_id=payload.organisation)
    return Status(201, {"id": message.id, "author": message.author_label, "visibility": message.visibility,
                 "body": message.body, "created_at": message.created_at})


@router.get("/cases/{case_id}/events", response=list[EventOut], summary="The case's audit trail")
def case_events(request: HttpRequest, case_id: str) -> Any:
    actor = actor_for_request(request)
    case = access_case(actor, case_id, Action.CASE_EVENTS_VIEW)
    return [{"tag": e.tag, "actor": e.actor_label, "from_flow": e.from_flow, "to_flow": e.to_flow,
             "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason, "created_at": e.created_at}
            for e in case_events_for_actor(actor, case)]


@router.get("/cases/{case_id}/attachments", response=list[AttachmentOut], summary="Attachments you may read")
def case_attachments(request: HttpRequest, case_id: str) -> Any:
    actor = actor_for_request(request)
    case = access_case(actor, case_id, Action.CASE_ATTACHMENT_VIEW)
    return [{"id": a.id, "name": a.original_name, "size": a.size, "sha256": a.sha256, "created_at": a.created_at}
            for a in attachments_visible_to(actor, case)]


@router.get("/cases/{case_id}/attachments/{attachment_id}", summary="Download one attachment",
            response={200: None})
def case_attachment_download(request: HttpRequest, case_id: str, attachment_id: uuid.UUID) -> HttpResponseBase:
    actor = actor_for_request(request)
    case = access_case(actor, case_id, Action.CASE_ATTACHMENT_VIEW)
    attachment = attachments_visible_to(actor, case).filter(pk=attachment_id).first()
    if attachment is None:
        raise CaseNotFound
    return attachment_response(attachment)


def action_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object of an action request ({} when empty); a translated 4xx for anything else."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, absurd nesting or integer sizes
        raise ValidationFailed(_("The request body is not valid JSON."), code="malformed_json") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(_("The request body must be a JSON object."), code="validation_failed")
    for name, value in data.items():  # every action's fields are flat: text, numbers, flags
        if isinstance(value, str):
            refuse_forbidden_characters(value, str(name))
    return data


def _action_input(data: dict[str, Any]) -> ActionIn:
    if not all(isinstance(data.get(k, ""), str) for k in ("reason", "reason_code")):
        raise ValidationFailed(_("reason and reason_code must be text."), code="validation_failed")
    unknown = set(data) - {"reason", "reason_code"}
    if unknown:
        raise ValidationFailed(_("Unknown field: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    return ActionIn(**data)


@router.post("/cases/{case_id}/actions/{action}", response=CaseOut, summary="Take an action on a case",
             openapi_extra={"requestBody": {"required": False, "content": {"application/json": {
                 "schema": {"type": "object", "additionalProperties": {"type": "string"},
                            "properties": {"reason": {"type": "string"}, "reason_code": {"type": "string"}},
                            "description": "reason and reason_code; website actions take the fields listed in "
                                           "docs/websites.md"}}}}})
def case_action(request: HttpRequest, case_id: str, action: str) -> Any:
    actor = actor_for_request(request)
    case = access_case(actor, case_id)
    body = action_body(request)
    if case.flow == Flow.WEBSITE and action in WEBSITE_ACTIONS:
        outcome = action_perform(actor=actor, case=case, name=action, data=body)
        out = case_out(actor, access_case(actor, case_id))
        out["result"] = outcome.as_data() if hasattr(outcome, "as_data") else None
        return out
    if case.flow == Flow.PRODUCT and action in COORDINATION_ACTIONS:
        coordination_perform(actor=actor, case=case, name=action, data=body)
        try:
            return case_out(actor, access_case(actor, case_id))
        except CaseNotFound:  # the last committee vote decided, the referral ended and with it the member's access:
            case.refresh_from_db()  # the case they just acted on, for the outcome of their own action (no actions)
            return case_out(actor, case)
    payload = _action_input(body)
    if action == "reclassify":
        case = case_reclassify(actor=actor, case=case, reason=payload.reason)
    elif action in {"accept", "reject"}:
        case = case_judge(actor=actor, case=case, accept=action == "accept", reason=payload.reason,
                          reason_code=payload.reason_code)
    elif action in IMPLEMENTED_ACTIONS[Flow(case.flow)]:
        case = case_transition(actor=actor, case=case, action=action, reason=payload.reason,
                               reason_code=payload.reason_code)
    else:
        raise ValidationFailed(_("“%(action)s” is not an action available here.") % {"action": action},
                               code="unknown_action")
    return case_out(actor, case)
