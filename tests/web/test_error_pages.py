"""Error answers in the site's layout and the visitor's language; JSON under /api/."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "heading"), [("ja", "ページが見つかりません"), ("en", "Page not found")])
@pytest.mark.parametrize("path", ["/advisories/EWnope/", "/status/not-a-link/", "/operator/x/", "/no/such/page/"])
def test_a_missing_page_in_the_visitors_language(language, heading, path):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get(path)
    assert response.status_code == 404
    body = response.content.decode()
    assert heading in body
    assert 'class="site"' in body  # the site's header and navigation
    assert f'lang="{language}"' in body


def test_an_unknown_api_address_answers_the_json_envelope():
    response = Client(HTTP_ACCEPT_LANGUAGE="ja").get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == "このアドレスには何もありません。"


def test_the_server_error_page_needs_nothing_and_speaks_both_languages():
    response = defaults.server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "エラーが発生しました" in body
    assert "Something went wrong" in body


def test_committee_members_and_recipients_find_their_pages_in_the_navigation():
    from earlywarn.accounts.models import OrganisationKind, Role
    from earlywarn.committee.models import CommitteeMember
    from tests import factories

    plain, member = factories.UserFactory(), factories.UserFactory()
    CommitteeMember.objects.create(user=member, note="")
    recipient = factories.member(OrganisationKind.CRITICAL_INFRASTRUCTURE, Role.MEMBER)
    pages = {}
    for name, user in (("plain", plain), ("member", member), ("recipient", recipient)):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        pages[name] = client.get("/advisories/").content.decode()
    assert 'href="/committee/"' in pages["member"]
    assert 'href="/priority/"' in pages["recipient"]
    assert 'href="/committee/"' not in pages["plain"] + pages["recipient"]
    assert 'href="/priority/"' not in pages["plain"] + pages["member"]


@pytest.mark.parametrize(("view", "status", "heading"), [
    (defaults.permission_denied, 403, "Not allowed"), (defaults.bad_request, 400, "The request could not be read")])
def test_the_other_error_pages_render_in_the_sites_layout(view, status, heading):
    from django.core.exceptions import PermissionDenied
    from django.utils import translation

    with translation.override("en"):
        response = view(RequestFactory().get("/x/"), PermissionDenied())
    body = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in body
    assert 'class="site"' in body
