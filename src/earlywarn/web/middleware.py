"""Response headers every page gets (security.md threats 5 and 6), and the request-size guard for the pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template import engines
from django.utils.translation import gettext as _

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
FORM_CONTENT_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
TOO_LARGE_PAGE = """{% extends "base.html" %}{% load i18n %}
{% block title %}{{ message }}{% endblock %}
{% block content %}<h1>{{ message }}</h1>
<p><a href="{{ request.path }}">{{ request.path }}</a></p>{% endblock %}"""


def _too_large(request: HttpRequest) -> HttpResponse:
    page = engines["django"].from_string(TOO_LARGE_PAGE)
    return HttpResponse(page.render({"message": _("The request is too large.")}, request), status=413)


def request_size_refusal(request: HttpRequest) -> HttpResponse | None:
    """413 for a page's form post that is too large, before anything reads it.

    The API answers oversized bodies itself (JSON envelope). For pages, Django raises RequestDataTooBig when the
    form's text fields pass DATA_UPLOAD_MAX_MEMORY_SIZE, and the CSRF check (which reads the form before the
    view) turns it into a bare 400. Reading the form here, first, gives the finder a 413 page in their language.
    A body larger than every allowed attachment plus the text is refused from its Content-Length alone, so it
    is never streamed to disk.
    """
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not re.fullmatch(r"[0-9]+", length):
        return HttpResponseBadRequest()  # a malformed Content-Length would fail Django's int() with a 500
    if request.method != "POST" or request.path.startswith("/api/") or request.content_type not in FORM_CONTENT_TYPES:
        return None
    limit = settings.EARLYWARN_MAX_REQUEST_BYTES + settings.EARLYWARN_MAX_ATTACHMENTS * (
        settings.EARLYWARN_MAX_ATTACHMENT_BYTES + 1024  # multipart headers of each file
    )
    if int(length) > limit:
        return _too_large(request)
    try:
        request.POST  # noqa: B018  # parse now, so that RequestDataTooBig is ours to answer
    except RequestDataTooBig:
        return _too_large(request)
    except UnreadablePostError:
        return HttpResponseBadRequest()  # the client went away mid-body
    except (MultiPartParserError, SuspiciousOperation, BadRequest) as exc:
        return response_for_exception(request, exc)  # what Django answers (400), with this page's headers
    return None


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.path.startswith(("/static/", "/advisories/", "/feeds/", "/.well-known/")):
            return response
        # Everything else may hold embargoed or personal data: never cache it anywhere.
        response.headers["Cache-Control"] = "no-store"
        return response


class RequestSizeGuardMiddleware:
    """Answer oversized or unreadable page form posts before the CSRF check reads them (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return request_size_refusal(request) or self.get_response(request)
