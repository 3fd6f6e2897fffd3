"""The finder's status link through the API: what ``/status/<secret>/`` shows and does, for scripts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from earlywarn.accounts.auth import Anonymous
from earlywarn.cases.policy import Actor, CaseNotFound, messages_visible_to
from earlywarn.cases.services import message_post
from earlywarn.intake.services import report_by_status_token

router = Router(tags=["status link"])


class StatusMessageOut(Schema):
    from_finder: bool
    body: str
    created_at: datetime


class StatusOut(Schema):
    tracking_id: str
    kind: str
    status: str
    status_ja: str
    status_en: str
    sub_status: str | None
    judgment: str  # pending, accepted or not_accepted (受理判断)
    judged_at: datetime | None
    rejection_reason: str | None
    received_at: datetime
    messages: list[StatusMessageOut]


class StatusMessageIn(Schema):
    body: str


def _resolve(token: str) -> tuple[Actor, Any]:
    report = report_by_status_token(token)
    if report is None:
        raise CaseNotFound
    return Actor.for_status_link(report.id), report


@router.get("/status/{token}", response=StatusOut, auth=[Anonymous()], summary="A report, by its status link")
def status_get(request: HttpRequest, token: str) -> Any:
    actor, report = _resolve(token)
    case = report.case
    category, sub = case.published_category, case.sub_status
    return {
        "tracking_id": report.tracking_id, "kind": case.flow, "status": category.code, "status_ja": category.ja,
        "status_en": category.en, "sub_status": sub.code if sub else None, "received_at": report.received_at,
        "judgment": case.judgment,
        "judged_at": case.judged_at, "rejection_reason": case.rejection_reason or None,
        "messages": [{"from_finder": m.from_finder, "body": m.body, "created_at": m.created_at}
                     for m in messages_visible_to(actor, case)],
    }


@router.post("/status/{token}/messages", response={201: StatusMessageOut}, auth=[Anonymous()],
             summary="Write to the coordinators through a status link")
def status_message_post(request: HttpRequest, token: str, payload: StatusMessageIn) -> Any:
    actor, report = _resolve(token)
    message = message_post(actor=actor, case=report.case, body=payload.body, visibility="finder")
    return Status(201, {"from_finder": message.from_finder, "body": message.body, "created_at": message.created_at})
