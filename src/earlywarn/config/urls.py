"""URL map. Every route is listed in the generated access-matrix test (tests/security/test_access_matrix.py)."""

from django.urls import include, path

from earlywarn.config.api import api
from earlywarn.web.language import set_language

urlpatterns = [
    # First: no other pattern matches under api/v1/, and an API call then skips trying the ~40 page routes.
    path("api/v1/", api.urls),
    path("", include("earlywarn.web.urls")),
    path("", include("earlywarn.intake.urls")),
    path("", include("earlywarn.advisories.urls")),
    path("console/", include("earlywarn.cases.urls")),
    path("", include("earlywarn.websites.urls")),
    path("", include("earlywarn.coordination.urls")),
    path("", include("earlywarn.committee.urls")),
    path("", include("earlywarn.coordination.portal_urls")),
    path("accounts/", include("earlywarn.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("stats/", include("earlywarn.stats.urls")),
]

# Pages in the site's layout and language; JSON under /api/ (web/errors.py). 403 and 500 use templates/403.html
# (Django's CSRF page is translated already) and templates/500.html (static: no database, no context).
handler404 = "earlywarn.web.errors.page_not_found"
handler400 = "earlywarn.web.errors.bad_request"
