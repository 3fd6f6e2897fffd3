"""The site's error answers: pages in the site's layout and the visitor's language, the API's JSON envelope under
``/api/`` (config/urls.py sets Django's handlers to these)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from earlywarn.config.api_errors import error_body


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse(error_body("not_found", _("There is nothing at this address.")), status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse(error_body("bad_request", _("The request could not be read.")), status=400)
    return defaults.bad_request(request, exception)
