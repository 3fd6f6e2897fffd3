"""Withdrawal (security.md test 9): two people, a reason, one new revision that says so everywhere; no deletion."""

from __future__ import annotations

import json

import feedparser
import pytest
from django.test import Client
from django.utils import timezone

from earlywarn.advisories import services, withdrawal
from earlywarn.advisories.csaf_check import Finding, csaf_findings
from earlywarn.advisories.models import AdvisoryEvent, AdvisoryRevision
from earlywarn.cases.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from earlywarn.cases.policy import Actor
from tests.advisories.conftest import client_for
from tests.advisories.csaf_schema import errors

pytestmark = pytest.mark.django_db
ROOT = "/.well-known/csaf"
REASON_JA = "報告された現象は脆弱性ではないことが判明したため。"
REASON_EN = "The reported behaviour turned out not to be a vulnerability."


def _withdraw(published, author, approver) -> AdvisoryRevision:
    advisory = withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=published.advisory,
                                             reason_ja=REASON_JA, reason_en=REASON_EN)
    return withdrawal.advisory_withdraw(actor=Actor.for_user(approver), advisory=advisory)


def test_two_people_and_a_reason_are_needed(published, author, approver):
    with pytest.raises(ValidationFailed):
        withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=published.advisory, reason_ja="  ")
    advisory = withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=published.advisory,
                                             reason_ja=REASON_JA)
    with pytest.raises(InvalidTransition):  # the requester alone cannot withdraw
        withdrawal.advisory_withdraw(actor=Actor.for_user(author), advisory=advisory)
    stale = published.advisory  # loaded before the request: a confirmation of another request is refused
    with pytest.raises(ConcurrentChange):
        withdrawal.advisory_withdraw(actor=Actor.for_user(approver), advisory=stale)
    assert AdvisoryRevision.objects.filter(advisory=published.advisory).count() == 1
    advisory.refresh_from_db()
    assert advisory.withdrawn_at is None


def test_a_draft_cannot_be_withdrawn(draft, author):
    with pytest.raises(InvalidTransition):
        withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=draft, reason_ja=REASON_JA)


def test_withdrawal_appends_a_revision_and_keeps_the_old_one(published, author, approver):
    revision = _withdraw(published, author, approver)
    assert revision.number == 2
    assert revision.withdrawn
    assert revision.is_current
    published.refresh_from_db()
    assert not published.is_current
    assert not published.withdrawn
    advisory = revision.advisory
    assert advisory.withdrawn_at == revision.published_at
    assert advisory.withdrawn_by_id == revision.published_by_id
    tags = list(AdvisoryEvent.objects.filter(advisory=advisory).values_list("tag", flat=True))
    assert tags[-2:] == ["advisory:withdrawal:requested", "advisory:revision:withdrawn"]
    with pytest.raises(InvalidTransition):  # no republication, no second withdrawal
        services.advisory_publish(actor=Actor.for_user(author), advisory=advisory)
    with pytest.raises(InvalidTransition):
        withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=advisory, reason_ja="x")


def test_the_csaf_documents_say_so_and_stay_valid(published, author, approver):
    revision = _withdraw(published, author, approver)
    for path in (revision.csaf_path, revision.vex_csaf_path):
        assert path in (published.csaf_path, published.vex_csaf_path)  # same files, new version
        doc = Client().get(f"{ROOT}/{path}").json()
        assert csaf_findings(doc) == []
        assert errors(doc, "csaf_json_schema.json") == []
        tracking = doc["document"]["tracking"]
        assert tracking["status"] == "final"
        assert tracking["version"] == str(len(tracking["revision_history"]))
        assert tracking["revision_history"][-1]["summary"] == f"取り下げ: {REASON_JA}"
        note = doc["document"]["notes"][0]
        assert note["category"] == "description"
        assert note["title"] == "Reasoning for Withdrawal"
        assert REASON_JA in note["text"]
        assert doc["document"]["title"].startswith("[WITHDRAWN] ")
    changes = Client().get(f"{ROOT}/white/changes.csv").content.decode()
    assert changes.count(revision.published_at.strftime("%Y-%m-%dT%H:%M:%S")) == 2


def test_page_list_osv_and_feeds_show_the_withdrawal(published, author, approver):
    revision = _withdraw(published, author, approver)
    page = Client(headers={"accept-language": "en"}).get(f"/advisories/{revision.slug}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="withdrawn"' in body
    assert REASON_EN in body
    assert f"Withdrawn on {timezone.localtime(revision.published_at):%Y-%m-%d}." in body
    listing = Client().get("/advisories/").content.decode()
    assert "withdrawn" in listing
    record = Client().get(f"/advisories/{revision.slug}/osv.json").json()
    assert errors(record, "osv") == []
    assert record["withdrawn"] == revision.published_at.isoformat().replace("+00:00", "Z")
    feed = feedparser.parse(Client().get("/feeds/en/advisories.atom").content)
    (entry,) = feed.entries
    assert entry.title.startswith("[Withdrawn] ")
    assert REASON_EN in entry.summary


def test_nothing_is_stored_when_a_document_fails(published, author, approver, monkeypatch):
    advisory = withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=published.advisory,
                                             reason_en=REASON_EN)
    monkeypatch.setattr(withdrawal, "csaf_findings", lambda doc: [Finding("6.1.1", "t", "/", "broken")])
    with pytest.raises(ValidationFailed):
        withdrawal.advisory_withdraw(actor=Actor.for_user(approver), advisory=advisory)
    advisory.refresh_from_db()
    assert advisory.withdrawn_at is None
    assert AdvisoryRevision.objects.filter(advisory=advisory).count() == 1


def test_withdraw_through_the_console(published, author, approver):
    url = f"/console/advisories/{published.advisory_id}/act/"
    preview = f"/console/advisories/{published.advisory_id}/preview/"
    assert 'value="request_withdrawal"' in client_for(author).get(preview).content.decode()
    assert client_for(author).post(url, {"action": "request_withdrawal", "reason_ja": ""}).status_code == 302
    advisory = published.advisory
    advisory.refresh_from_db()
    assert advisory.withdrawal_requested_at is None  # no reason: nothing saved
    client_for(author).post(url, {"action": "request_withdrawal", "reason_ja": REASON_JA})
    advisory.refresh_from_db()
    token = advisory.withdrawal_requested_at.isoformat()
    client_for(author).post(url, {"action": "withdraw", "requested": token})  # same person: refused
    assert not AdvisoryRevision.objects.filter(advisory=advisory, withdrawn=True).exists()
    client_for(approver).post(url, {"action": "withdraw", "requested": "stale"})  # stale form: refused
    assert not AdvisoryRevision.objects.filter(advisory=advisory, withdrawn=True).exists()
    assert client_for(approver).post(url, {"action": "withdraw", "requested": token}).status_code == 302
    assert AdvisoryRevision.objects.get(advisory=advisory, is_current=True).withdrawn
    assert "Withdrawn on" in client_for(approver).get(preview, headers={"accept-language": "en"}).content.decode()


def test_a_request_can_be_cancelled(published, author, approver):
    advisory = withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=published.advisory,
                                             reason_en=REASON_EN)
    advisory = withdrawal.withdrawal_cancel(actor=Actor.for_user(approver), advisory=advisory)
    assert advisory.withdrawal_requested_at is None
    assert advisory.withdrawal_reason_en == ""
    with pytest.raises(InvalidTransition):
        withdrawal.advisory_withdraw(actor=Actor.for_user(approver), advisory=advisory)
    assert json.loads(AdvisoryRevision.objects.get(advisory=advisory).csaf)["document"]["tracking"]["version"] == "1"
