"""/advisories/ and /advisories/{id}/ in Japanese and English; drafts and previews for authorised staff only."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from earlywarn.advisories import services
from earlywarn.advisories.models import AdvisoryRevision
from earlywarn.cases.policy import Actor
from tests import factories
from tests.advisories.conftest import client_for, make_draft, publish, with_mfa

pytestmark = pytest.mark.django_db


def _lang(client: Client, language: str) -> Client:
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def _listed(response) -> list[str]:
    return re.findall(r'href="/advisories/([A-Za-z0-9]+)/"', response.content.decode())


def test_detail_in_both_languages(published):
    ja = _lang(Client(), "ja").get(f"/advisories/{published.slug}/").content.decode()
    en = _lang(Client(), "en").get(f"/advisories/{published.slug}/").content.decode()
    assert "クロスサイトスクリプティングの脆弱性" in ja
    assert "想定される影響" not in en
    assert "Cross-site scripting vulnerability in ExampleCMS" in en
    for page in (ja, en):
        assert published.tracking_id in page
        assert "CVE-2026-12345" in page
        assert "株式会社エグザンプル" in page or "Example Corp" in page
        assert f"/.well-known/csaf/{published.csaf_path}" in page
        assert "osv.json" in page
    assert "修正版 4.3 を公開しました。" in ja
    assert "We released the fixed version 4.3." in en


def test_a_missing_translation_is_shown_as_such_not_left_empty(author, approver):
    revision = publish(make_draft(author, impact_en="", title_en=""), author, approver)
    en = _lang(Client(), "en").get(f"/advisories/{revision.slug}/").content.decode()
    assert "管理者のブラウザ上で任意のスクリプトを実行される可能性があります。" in en
    assert "Not yet translated: shown in Japanese." in en
    assert "This advisory is not yet translated into your language." in en
    listing = _lang(Client(), "en").get("/advisories/").content.decode()
    assert "Japanese only" in listing


def test_drafts_are_404_exactly_like_missing_advisories(draft, author):
    for user in (None, author, with_mfa(factories.handler())):
        client = client_for(user)
        hidden = client.get(f"/advisories/{draft.slug}/")
        missing = client.get("/advisories/EW00000000/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
        assert draft.slug not in _listed(client.get("/advisories/"))
        assert draft.tracking_id not in client.get(f"/advisories/?q={draft.title_ja[:8]}").content.decode()
        assert client.get(f"/advisories/{draft.slug}/osv.json").status_code == 404


def test_preview_only_for_staff_who_may_edit(draft, author):
    url = f"/console/advisories/{draft.id}/preview/"
    assert Client().get(url).status_code == 302  # log in first
    handler = with_mfa(factories.handler())
    developer = factories.member("developer", "member")
    for user in (handler, developer):
        refused = client_for(user).get(url)
        missing = client_for(user).get("/console/advisories/00000000-0000-4000-8000-000000000000/preview/")
        assert refused.status_code == missing.status_code == 404
    page = client_for(author).get(url)
    assert page.status_code == 200
    assert draft.title_ja in page.content.decode()
    csaf = client_for(author).get(url + "?format=csaf")
    assert csaf.json()["document"]["tracking"]["id"] == draft.tracking_id
    osv = client_for(author).get(url + "?format=osv")
    assert osv.json()["affected"][0]["package"]["name"] == "widgetlib"


def test_preview_names_missing_translations_and_problems(author):
    advisory = make_draft(author, solution_en="", impact_ja="")
    page = client_for(author).get(f"/console/advisories/{advisory.id}/preview/").content.decode()
    assert "English text missing" in page or "英語" in page
    assert "impact" in page


def test_publish_through_the_console(draft, author, approver):
    url = f"/console/advisories/{draft.id}/act/"
    assert client_for(author).post(url, {"action": "publish", "version": draft.version}).status_code == 302
    assert not AdvisoryRevision.objects.exists()  # no second person yet
    client_for(approver).post(url, {"action": "approve", "version": draft.version})
    draft.refresh_from_db()
    client_for(author).post(url, {"action": "publish", "version": draft.version})
    assert AdvisoryRevision.objects.filter(advisory=draft).count() == 1
    assert Client().get(f"/advisories/{draft.slug}/").status_code == 200
    handler = with_mfa(factories.handler())
    assert client_for(handler).post(url, {"action": "publish", "version": draft.version}).status_code == 404


def test_bad_console_input_changes_nothing(draft, author):
    url = f"/console/advisories/{draft.id}/act/"
    for data in ({"action": "explode", "version": draft.version}, {"action": "approve", "version": "x"}, {}):
        response = client_for(author).post(url, data)
        assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.approved_by_id is None


@pytest.fixture
def corpus(author, approver):
    first = publish(make_draft(author), author, approver)
    other = {"title_ja": "ルーターの認証回避の脆弱性", "title_en": "Authentication bypass in routers",
             "overview_ja": "認証を回避される脆弱性があります。", "overview_en": "Authentication can be bypassed.",
             "description_ja": "特定の URL に直接アクセスできます。", "description_en": "A URL is reachable directly.",
             "impact_ja": "設定を変更される可能性があります。", "impact_en": "Settings may be changed.",
             "workarounds_ja": "", "workarounds_en": ""}
    second = publish(make_draft(author, exploited=True, exploitation_agreed=True, **other), author, approver)
    return first, second


@pytest.mark.parametrize(("query", "expected"), [
    ("認証", {"second"}), ("ルーター", {"second"}), ("脆弱性", {"first", "second"}), ("スクリプト", {"first"}),
    ("router", {"second"}), ("ROUTERS", {"second"}), ("bypass authentication", {"second"}), ("cross-site", {"first"}),
    ("CVE-2026-12345", {"first", "second"}), ("回避", {"second"}), ("存在しない語", set()), ("%", {"first", "second"}),
])
def test_search_finds_japanese_by_bigram_and_english_by_word(corpus, query, expected):
    first, second = corpus
    names = {first.slug: "first", second.slug: "second"}
    listed = {names[slug] for slug in _listed(Client().get("/advisories/", {"q": query}))}
    assert listed == expected


def test_filters(corpus):
    first, second = corpus
    assert set(_listed(Client().get("/advisories/", {"exploited": "yes"}))) == {second.slug}
    assert set(_listed(Client().get("/advisories/", {"exploited": "no"}))) == {first.slug}
    assert set(_listed(Client().get("/advisories/", {"developer": "Widget"}))) == {first.slug, second.slug}
    assert set(_listed(Client().get("/advisories/", {"product": "examplecms", "severity": "medium"}))) == {
        first.slug, second.slug}
    assert _listed(Client().get("/advisories/", {"severity": "critical"})) == []
    assert _listed(Client().get("/advisories/", {"published_from": "2999-01-01"})) == []


@pytest.mark.parametrize("params", [{"published_from": "not-a-date"}, {"severity": "apocalyptic"},
                                    {"exploited": "perhaps"}, {"page": "-1"}, {"q": "x" * 5000}])
def test_bad_filters_get_an_error_not_a_500(corpus, params):
    response = _lang(Client(), "ja").get("/advisories/", params)
    assert response.status_code == 200
    if "page" not in params and "q" not in params:
        assert 'class="errorlist' in response.content.decode()


def test_revision_history_is_public(published, author, approver):
    edited = services.advisory_update(actor=Actor.for_user(author), advisory=published.advisory,
                                      fields={"revision_summary_ja": "謝辞を追加", "credits_en": "Taro Yamada (ACME)"})
    publish(edited, author, approver)
    page = _lang(Client(), "ja").get(f"/advisories/{published.slug}/").content.decode()
    assert "初版公開" in page
    assert "謝辞を追加" in page
    english = _lang(Client(), "en").get(f"/advisories/{published.slug}/").content.decode()
    assert "Initial release" in english  # the first revision's default, in the page's language
    assert "初版公開" not in english
    assert "謝辞を追加" in english  # written in Japanese only: shown as written


@pytest.mark.parametrize(("language", "severity", "other"), [("ja", "(警告)", "(medium)"),
                                                              ("en", "(Medium)", "(警告)")])
def test_the_severity_is_named_in_the_pages_language(published, language, severity, other):
    page = Client(HTTP_ACCEPT_LANGUAGE=language).get(f"/advisories/{published.slug}/").content.decode()
    scores = page[page.find('id="section-vulnerabilities"'):][:3000]
    assert "6.1 " + severity in scores
    assert other not in scores
    assert other not in page[:page.find('id="section-vulnerabilities"')]  # the summary at the top
    listed = Client(HTTP_ACCEPT_LANGUAGE=language).get("/advisories/").content.decode()
    assert severity in listed
    assert other not in listed
