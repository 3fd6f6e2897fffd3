"""The public search's inverted index (search.py, migration 0005): it holds exactly the tokens of the current
revisions — never a draft's, never a replaced revision's — and the list and search answer as the documented
semantics say, identically on SQLite and PostgreSQL (this file runs on both: dev/test)."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from earlywarn.advisories import search, selectors, services, withdrawal
from earlywarn.advisories.csaf_import import advisory_import_csaf
from earlywarn.advisories.models import AdvisoryRevision
from earlywarn.cases.policy import Action, Actor
from tests.advisories.conftest import CONFORMANCE, make_draft, publish

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system(frozenset({Action.ADVISORY_PUBLISH}))


def index_terms() -> Counter[str]:
    """Every term of the index with the number of revisions holding it, read from the index itself."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab USING fts5vocab(main, "
                           f"{search.SQLITE_INDEX}, row)")
            cursor.execute("SELECT term, doc FROM temp.search_vocab")
        else:
            vector = f"SELECT {search.PG_COLUMN} FROM {search.TABLE} WHERE is_current"  # noqa: S608  # constants
            cursor.execute("SELECT word, ndoc FROM ts_stat(%s)", [vector])
        return Counter(dict(cursor.fetchall()))


def expected_terms() -> Counter[str]:
    """The tokens of every current revision, computed from its content (not from its stored column)."""
    terms: Counter[str] = Counter()
    for revision in AdvisoryRevision.objects.filter(is_current=True):
        terms.update(search.index_text(revision.content).split())
    return terms


def listed(params: dict[str, str], language: str = "en") -> list[str]:
    response = Client(headers={"accept-language": language}).get("/advisories/", params)
    assert response.status_code == 200
    return re.findall(r'href="/advisories/([^/"]+)/"', response.content.decode())


def test_the_index_follows_publication_revision_withdrawal_and_import(author, approver):
    assert index_terms() == Counter()
    first = publish(make_draft(author), author, approver)
    assert index_terms() == expected_terms()
    assert index_terms()["クロ"] == 1
    assert index_terms()["認証"] == 0
    assert listed({"q": "クロス"}) == [first.slug]

    # Unpublished edits of a published advisory and a new draft: their text never reaches the index.
    edited = services.advisory_update(actor=Actor.for_user(author), advisory=first.advisory,
                                      fields={"title_ja": "ルーターの認証回避", "title_en": "Zanzibar bypass"})
    make_draft(author, title_ja="未公開の秘密の脆弱性", title_en="Embargoed quokka flaw")
    assert index_terms() == expected_terms()
    for secret in ("認証", "zanzibar", "秘密", "quokka"):
        assert index_terms()[secret] == 0
        assert listed({"q": secret}) == []

    # A revision replaces the old tokens.
    second = publish(edited, author, approver)
    assert index_terms() == expected_terms()
    assert index_terms()["zanzibar"] == 1
    assert index_terms()["認証"] == 1
    assert listed({"q": "zanzibar"}) == [second.slug]

    # Withdrawal appends a revision with the same tokens: a withdrawn advisory stays findable (with its badge).
    advisory = withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=second.advisory,
                                             reason_ja="誤報のため。")
    withdrawn = withdrawal.advisory_withdraw(actor=Actor.for_user(approver), advisory=advisory)
    assert index_terms() == expected_terms()
    assert listed({"q": "認証回避"}) == [withdrawn.slug]
    assert 'class="badge withdrawn"' in Client().get("/advisories/", {"q": "zanzibar"}).content.decode()

    # A CSAF import (a document with two revisions: the current one is indexed, its history rows are not).
    doc = json.loads((CONFORMANCE / "csaf-2.0" / "examples" / "csaf" / "bsi-2022-0001.json").read_text())
    imported = advisory_import_csaf(actor=SYSTEM, document=doc).revision
    assert index_terms() == expected_terms()
    assert listed({"q": "cvrf csaf converter"}) == [imported.slug]
    assert AdvisoryRevision.objects.filter(is_current=True).count() == 2


@pytest.fixture
def corpus(author, approver):
    """Three advisories: the conftest's XSS one, an exploited router authentication bypass, and a camera."""
    xss = publish(make_draft(author), author, approver)
    router = publish(make_draft(
        author, exploited=True, exploitation_agreed=True, title_ja="ルーターにおける認証回避の脆弱性",
        title_en="Authentication bypass in routers", overview_ja="認証を回避される脆弱性があります。",
        overview_en="Authentication can be bypassed.", workarounds_ja="", workarounds_en=""), author, approver)
    camera = publish(make_draft(
        author, title_ja="ネットワークカメラにおける情報漏えいの脆弱性",
        title_en="Information disclosure in network cameras",
        overview_ja="カメラの映像が漏えいします。", overview_en="Camera images leak.", workarounds_ja="",
        workarounds_en=""), author, approver)
    return {"xss": xss.slug, "router": router.slug, "camera": camera.slug}


def reference(query: str) -> set[str]:
    """The documented semantics, applied to each current revision's tokens in Python."""
    terms = search.query_terms(query)
    found = set()
    for revision in AdvisoryRevision.objects.filter(is_current=True):
        held = set(revision.search_tokens.split())
        if terms is None or (all(g in held for g in terms[0])
                             and all(any(t.startswith(w) for t in held) for w in terms[1])):
            found.add(revision.slug)
    return found


QUERIES = ["認証", "カメラ", "脆弱性", "脆弱性 ルーター", "ルーター 認証回避", "情報漏えい", "漏", "auth",
           "AUTHENTICATION", "authentication bypass", "router", "rout", "camera 脆弱性", "cross-site",
           "cve-2026-12345", "cwe-79", "Example Corp", "ｅｘａｍｐｌｅ", "存在しない語", "bypass xyz", "%", "_",
           "'", "\"", "a:*", "認証 & x"]


@pytest.mark.parametrize("query", QUERIES)
def test_search_answers_the_documented_semantics(corpus, query):
    assert set(listed({"q": query})) == reference(query)


def test_japanese_two_character_word_english_prefix_and_a_common_with_a_rare_token(corpus):
    assert set(listed({"q": "認証"})) == {corpus["router"]}  # one bigram, in the router's texts only
    assert set(listed({"q": "auth"})) == {corpus["router"]}  # a prefix of "authentication"
    assert set(listed({"q": "脆弱性"})) == set(corpus.values())  # common: every advisory
    assert set(listed({"q": "脆弱性 回避"})) == {corpus["router"]}  # common and rare together
    assert set(listed({"q": "vulnerability disclosure"})) == set()  # each word present, not in one advisory


def test_filters_work_together_with_the_query(corpus):
    assert set(listed({"q": "脆弱性", "exploited": "yes"})) == {corpus["router"]}
    assert set(listed({"q": "脆弱性", "exploited": "no"})) == {corpus["xss"], corpus["camera"]}
    assert set(listed({"q": "脆弱性", "developer": "Widget"})) == set(corpus.values())
    assert set(listed({"q": "camera", "product": "examplecms"})) == {corpus["camera"]}
    assert set(listed({"q": "脆弱性", "severity": "medium"})) == set(corpus.values())
    assert listed({"q": "脆弱性", "severity": "critical"}) == []
    assert listed({"q": "脆弱性", "published_from": "2999-01-01"}) == []
    assert set(listed({"q": "脆弱性", "published_to": "2999-01-01"})) == set(corpus.values())


def test_the_order_is_the_lists_newest_first_whichever_way_a_search_is_answered(corpus, monkeypatch):
    everything = listed({})
    assert len(everything) == 3
    assert listed({"q": "脆弱性"}) == everything  # few matches: sorted from the ids and dates read once
    monkeypatch.setattr(selectors, "SEARCH_CAP", 2)
    assert listed({"q": "脆弱性"}) == everything[:2]  # more than the cap: the list's index order, cut at the cap
    # More than the cap in the index, and another filter: the walk counts up to the cap, in the same order.
    not_exploited = [slug for slug in everything if slug != corpus["router"]]
    assert listed({"q": "脆弱性", "exploited": "no"}) == not_exploited
    monkeypatch.setattr(selectors, "SEARCH_CAP", 1)
    assert listed({"q": "脆弱性", "exploited": "no"}) == not_exploited[:1]
    page = Client(headers={"accept-language": "en"}).get("/advisories/", {"q": "脆弱性", "exploited": "no"})
    assert "More than 1 advisories match" in page.content.decode()
    page = Client(headers={"accept-language": "en"}).get("/advisories/", {"q": "脆弱性", "exploited": "yes"})
    assert "Matching advisories: 1" in page.content.decode()


def test_the_count_cap_is_shown(corpus, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_CAP", 2)
    client = Client(headers={"accept-language": "en"})
    page = client.get("/advisories/", {"q": "脆弱性"}).content.decode()
    assert "More than 2 advisories match: the newest 2 are listed." in page
    assert "Matching advisories: 1" in client.get("/advisories/", {"q": "認証"}).content.decode()
    assert 'id="search-count"' not in client.get("/advisories/").content.decode()  # no count without a search
    # Japanese: the same element (its text comes from the catalogue, /tmp/tr until the lead merges it).
    assert 'id="search-count"' in Client(headers={"accept-language": "ja"}).get(
        "/advisories/", {"q": "脆弱性"}).content.decode()


def test_a_query_without_a_searchable_token_lists_everything(corpus):
    assert set(listed({"q": "% ! ?"})) == set(corpus.values())


@pytest.mark.parametrize(("lengths", "expansion"), [(range(0), 16), (range(0), 0), (range(1, 3), 1)])
def test_every_way_of_reading_a_word_prefix_gives_the_same_answer(corpus, monkeypatch, lengths, expansion):
    """SQLite reads a word through the prefix index (short words), as the indexed words it is a prefix of (few),
    or as an FTS5 prefix term (many): the answer is the same. PostgreSQL ignores these settings."""
    monkeypatch.setattr(search, "PREFIX_LENGTHS", lengths)
    monkeypatch.setattr(search, "PREFIX_EXPANSION", expansion)
    for query in QUERIES:
        assert set(listed({"q": query})) == reference(query), query
