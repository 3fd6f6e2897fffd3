"""Intake API: ``POST /api/v1/reports`` → 201 with ``tracking_id`` and ``status_url``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from earlywarn.accounts.auth import optional_auth
from earlywarn.accounts.models import OrganisationKind
from earlywarn.cases.errors import DomainError, ValidationFailed
from earlywarn.cases.policy import Actor, actor_for_request
from earlywarn.config.api_errors import error_body
from earlywarn.intake.forms import FORMS
from earlywarn.intake.models import ReportOrigin
from earlywarn.intake.services import report_submit
from earlywarn.intake.tokens import status_url

router = Router(tags=["intake"])


class ReceiptOut(Schema):
    tracking_id: str
    status_url: str
    status: str


REPORT_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "title", "description", "reproduction"],
    "properties": {
        "kind": {"type": "string", "enum": ["product", "website"]},
        "title": {"type": "string", "maxLength": 200},
        "description": {"type": "string"},
        "reproduction": {"type": "string"},
        "impact": {"type": "string"},
        "exploitation": {"type": "string", "enum": ["unknown", "no", "yes"]},
        "vendor_informed": {"type": "boolean"},
        "finder_name": {"type": "string"},
        "finder_email": {"type": "string", "format": "email"},
        "finder_organisation": {"type": "string"},
        "credit": {"type": "string", "enum": ["name", "handle", "none"]},
        "credit_name": {"type": "string"},
        "consent_share_identity": {"type": "boolean"},
        "product_name": {"type": "string"},
        "vendor_name": {"type": "string"},
        "product_version": {"type": "string"},
        "cwe": {"type": "string", "pattern": "^CWE-[1-9][0-9]{0,4}$"},
        "self_report": {"type": "boolean"},
        "origin": {"type": "string", "enum": ["finder", "developer_self", "overseas_csirt"],
                   "description": "overseas_csirt only for members of an overseas CSIRT organisation"},
        "url": {"type": "string", "format": "uri"},
        "website_type": {"type": "string"},
        "threat": {"type": "string"},
        "attachments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "content_base64"],
                "properties": {"name": {"type": "string"}, "content_type": {"type": "string"},
                               "content_base64": {"type": "string", "format": "byte"}},
            },
        },
    },
}


class PayloadTooLarge(DomainError):
    code = "too_large"
    status = 413


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise PayloadTooLarge(_("The request is too large.")) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(_("The request body is not valid UTF-8."), code="bad_encoding") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(_("The request body is not valid JSON."), code="malformed_json") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(_("The request body must be a JSON object."), code="malformed_json")
    return data


def _form_data(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in {"kind", "attachments", "origin"}:
            continue
        if isinstance(value, bool):
            if value:
                out[key] = "on"
            continue
        if value is None:
            continue
        if not isinstance(value, str | int | float):
            out[key] = object()  # refused below with a field error
            continue
        out[key] = str(value)
    return out


def _attachments(data: dict[str, Any]) -> list[UploadedFile]:
    raw = data.get("attachments") or []
    if not isinstance(raw, list):
        raise ValidationFailed(_("Attachments must be a list."), field="attachments")
    files: list[UploadedFile] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(
            item.get("content_base64"), str
        ):
            raise ValidationFailed(_("Each attachment needs a name and base64 content."), field=f"attachments.{index}")
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(_("The attachment is not valid base64."), field=f"attachments.{index}") from exc
        files.append(SimpleUploadedFile(item["name"][:255] or "file", content,
                                        content_type=str(item.get("content_type") or "application/octet-stream")))
    return files


def _origin(actor: Actor, requested: object, *, self_report: bool) -> str:
    """Where the report comes from (a case origin): finder, developer self-report or an overseas CSIRT."""
    if requested in (None, ""):
        return ReportOrigin.DEVELOPER_SELF if self_report else ReportOrigin.FINDER
    if requested not in ReportOrigin.values:
        raise ValidationFailed(_("Choose a valid origin."), field="origin")
    if requested == ReportOrigin.OVERSEAS_CSIRT and not (
        actor.member_of_kind(OrganisationKind.OVERSEAS_CSIRT) or actor.is_staff
    ):
        raise ValidationFailed(_("Only an overseas CSIRT can send a report with this origin."), field="origin")
    return str(requested)


@router.post(
    "/reports",
    auth=optional_auth,
    response={201: ReceiptOut, 200: ReceiptOut},
    summary="Submit a report (届出)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": REPORT_BODY_SCHEMA}}},
                   "parameters": [{"in": "header", "name": "Idempotency-Key", "required": False,
                                   "schema": {"type": "string", "maxLength": 128}}]},
)
def report_create(request: HttpRequest) -> Any:
    data = _json_body(request)
    kind = data.get("kind")
    if kind not in FORMS:
        raise ValidationFailed(_("kind must be “product” or “website”."), field="kind")
    unknown = set(data) - set(REPORT_BODY_SCHEMA["properties"])
    if unknown:
        raise ValidationFailed(_("Unknown field: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                               field=sorted(unknown)[0])
    files = _attachments(data)
    form = FORMS[kind](data=_form_data(data), files=MultiValueDict({"attachments": files}))
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        return HttpResponse(
            json.dumps(error_body("validation_failed", _("Some fields are not valid."), fields), ensure_ascii=False),
            status=422, content_type="application/json",
        )
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and (len(key) > 128 or not key.isprintable()):
        raise ValidationFailed(_("The idempotency key must be at most 128 printable characters."),
                               field="Idempotency-Key")
    submission = form.submission()
    actor = actor_for_request(request)
    origin = _origin(actor, data.get("origin"), self_report=bool(submission.get("self_report")))
    receipt = report_submit(
        actor=actor, kind=kind, submission=submission,
        language="en" if (get_language() or "ja").startswith("en") else "ja",
        attachments=form.cleaned_data.get("attachments") or [], idempotency_key=key, origin=origin,
    )
    status = receipt.case.published_category
    body = {"tracking_id": receipt.report.tracking_id, "status_url": status_url(receipt.report.id),
            "status": status.code}
    return Status(200 if receipt.replayed else 201, body)
