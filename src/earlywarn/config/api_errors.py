"""One error envelope for the whole API: {"error": {"code", "message", "fields"}} in the caller's language."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from earlywarn.cases.errors import DomainError, ValidationFailed
from earlywarn.cases.policy import ActionDenied, CaseNotFound


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class InvalidFields(ValidationFailed):
    """Several fields refused at once; ``fields`` maps each field name to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(_("Some fields are not valid."))
        self.fields = fields


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        fields = {exc.field: [str(exc.message)]} if exc.field else {}
        return respond(request, exc.status, error_body(exc.code, str(exc.message), fields))

    @api.exception_handler(InvalidFields)
    def invalid_fields(request: HttpRequest, exc: InvalidFields) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.code, str(exc.message), exc.fields))

    @api.exception_handler(CaseNotFound)
    def not_found(request: HttpRequest, exc: CaseNotFound) -> HttpResponse:
        return respond(request, 404, error_body("not_found", _("Not found.")))

    @api.exception_handler(ActionDenied)
    def denied(request: HttpRequest, exc: ActionDenied) -> HttpResponse:
        return respond(request, 403, error_body("forbidden", _("You may not do this on this case.")))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, error_body("unauthenticated", _("Authentication required.")))

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [str(part) for part in err.get("loc", []) if part not in {"body", "query", "path", "payload"}]
            fields.setdefault(".".join(loc) or "request", []).append(_("This value is not valid."))
        return respond(request, 422, error_body("validation_failed", _("Some fields are not valid."), fields))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Raised when an operation reads a body over DATA_UPLOAD_MAX_MEMORY_SIZE; Django alone would answer 400.
        return respond(request, 413, error_body("too_large", _("The request is too large.")))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            # ninja's only 400 is "Cannot parse request body" (malformed JSON, non-UTF-8 bytes), in English.
            return respond(request, 400, error_body("malformed_json", _("The request body is not valid JSON.")))
        return respond(request, exc.status_code, error_body("http_error", str(exc)))
