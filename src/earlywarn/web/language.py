"""The language switch: Django's ``set_language``, also reachable by GET (a link or a GET form).

Pages served as files to every anonymous visitor (advisories/public_files.py) cannot carry a per-visitor CSRF
token, so the switch in ``base.html`` is a GET form: ``/i18n/setlang/?language=en&next=/advisories/…/``. It only
sets the language cookie and redirects to ``next`` when that is a URL of this site (same check as Django's view);
a cross-site request can at most change a visitor's language. POST keeps working as before (CSRF-checked).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_http_methods
from django.views.i18n import LANGUAGE_QUERY_PARAMETER
from django.views.i18n import set_language as django_set_language


@require_http_methods(["GET", "HEAD", "POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return django_set_language(request)
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    language = request.GET.get(LANGUAGE_QUERY_PARAMETER, "")
    if language and check_for_language(language) and language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response
