"""Intake API: ``POST /api/v1/reports`` → 201 with ``tracking_id`` and ``status_url``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from earlywarn.accounts.auth import optional_auth
from earlywarn.accounts.models import OrganisationKind
from earlywarn.cases.errors import DomainError, ValidationFailed, has_forbidden_characters
from earlywarn.cases.policy import Actor, actor_for_request
from earlywarn.config.api_errors import InvalidFields
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
    "additionalProperties": False,
    "required": ["kind", "title", "description", "reproduction", "exploitation", "credit"],
    "allOf": [
        {"if": {"properties": {"kind": {"const": "product"}}},
         "then": {"required": ["product_name", "vendor_name"]}},
        {"if": {"properties": {"kind": {"const": "website"}}},
         "then": {"required": ["url", "website_type", "threat"]}},
    ],
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


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "boolean": (bool,), "array": (list,)}


def _json_body(request: HttpRequest) -> dict[str, Any]:
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if request.content_type != "application/json" or charset not in {"utf-8", "utf8"}:
        raise UnsupportedMediaType(_("Send the report as JSON with Content-Type: application/json."))
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
    except (ValueError, RecursionError) as exc:  # ValueError: malformed JSON, or an integer too long to convert
        raise ValidationFailed(_("The request body is not valid JSON."), code="malformed_json") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(_("The request body must be a JSON object."), code="malformed_json")
    return data


def _schema_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors for what the form cannot see: unknown fields, JSON types, and the enums outside the form."""
    properties: dict[str, Any] = REPORT_BODY_SCHEMA["properties"]
    errors: dict[str, list[str]] = {}
    unknown = sorted(name for name in data if name not in properties)
    if unknown:
        message = _("Unknown field: %(fields)s") % {"fields": ", ".join(unknown)}
        for name in unknown:
            errors[name] = [message]
    for name, value in data.items():
        spec = properties.get(name)
        if spec is None:
            continue
        if has_forbidden_characters(value):
            errors[name] = [_("This field contains characters that are not allowed.")]
        elif not isinstance(value, _TYPES[spec["type"]]):
            errors[name] = [{
                "string": _("This field must be text."),
                "boolean": _("This field must be true or false."),
                "array": _("Attachments must be a list."),
            }[spec["type"]]]
    if "kind" not in errors and data.get("kind") not in FORMS:
        errors["kind"] = [_("kind must be “product” or “website”.")]
    if "origin" not in errors and data.get("origin", "") not in {"", *ReportOrigin.values}:
        errors["origin"] = [_("Choose a valid origin.")]
    return errors


def _form_data(data: dict[str, Any]) -> dict[str, str]:
    """The JSON fields as the form would receive them from a page: text, and "on" for a true checkbox."""
    out: dict[str, str] = {}
    for key, value in data.items():
        if key in {"kind", "attachments", "origin"} or value is False:
            continue
        out[key] = "on" if value is True else value
    return out


def _attachments(raw: list[Any]) -> tuple[list[UploadedFile], dict[str, list[str]]]:
    files: list[UploadedFile] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(
            item.get("content_base64"), str
        ) or not isinstance(item.get("content_type", ""), str):
            errors[f"attachments.{index}"] = [_("Each attachment needs a name and base64 content.")]
            continue
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            errors[f"attachments.{index}"] = [_("The attachment is not valid base64.")]
            continue
        # The name as stored: its last path part (as a browser sends it); nothing usable left is refused, where
        # Django's SimpleUploadedFile would raise SuspiciousFileOperation (an HTML 400) for ".." or "a/".
        name = item["name"].replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
        if name in {"", ".", ".."}:
            errors[f"attachments.{index}"] = [_("Give the attachment a file name.")]
            continue
        files.append(SimpleUploadedFile(name, content,
                                        content_type=item.get("content_type") or "application/octet-stream"))
    return files, errors


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
                                   "schema": {"type": "string", "minLength": 16, "maxLength": 128},
                                   "description": "A random value (a UUID): a retry with the same key and body "
                                                  "gets the first receipt (200) instead of a second report."}]},
)
def report_create(request: HttpRequest) -> Any:
    data = _json_body(request)
    errors = _schema_errors(data)
    files: list[UploadedFile] = []
    if "attachments" not in errors:
        files, attachment_errors = _attachments(data.get("attachments", []))
        errors.update(attachment_errors)
    kind = data["kind"] if "kind" not in errors else None
    form = None
    if kind is not None:
        # Validate the well-typed fields too, so one answer lists every problem (a mistyped field is left out,
        # and keeps its type error over the form's "required").
        form = FORMS[kind](data=_form_data({k: v for k, v in data.items() if k not in errors}),
                           files=MultiValueDict({"attachments": files}))
        if not form.is_valid():
            for name, messages in form.errors.items():
                errors.setdefault(name, [str(m) for m in messages])
    if errors or form is None or kind is None:
        raise InvalidFields(errors)
    key = request.headers.get("Idempotency-Key") or None
    # Without an account the key is what lets a retry see the first receipt, status link included: it has to be
    # hard to guess (with the very same report body, which a replay also needs).
    if key is not None and (not 16 <= len(key) <= 128 or not key.isprintable()):
        raise ValidationFailed(_("The idempotency key must be 16 to 128 printable characters: use a random value "
                                 "such as a UUID."), field="Idempotency-Key")
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
