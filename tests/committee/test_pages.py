"""The committee through its pages and the API: the member sees only assigned cases and votes there; the
coordinator works the case in the console and the API; the pool page; bad input answers 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import message_post
from earlywarn.committee import services
from earlywarn.committee.models import CommitteeEvent, CommitteeMember, DeclaredInterest, Referral, Vote
from tests import factories
from tests.committee.conftest import api, coordinating_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(setup, handler):
    """``mine`` seated with members 0-2, ``theirs`` (another committee case) with members 2-4."""
    mine = services.committee_refer(actor=setup.staff, case=setup.fresh(), reason_code="deadlocked", reason="難航")
    services.committee_select(actor=setup.staff, case=mine, members=",".join(str(m.pk) for m in setup.members[:3]))
    theirs = coordinating_case(handler, setup.coordinator, setup.org, title="canary-theirs-title")
    theirs = services.committee_refer(actor=setup.staff, case=theirs, reason_code="unreachable", reason="応答なし")
    services.committee_select(actor=setup.staff, case=theirs, members=",".join(str(m.pk) for m in setup.members[2:]))
    admin = Actor.for_user(setup.admin)
    message_post(actor=admin, case=mine, body="canary-participants-message", visibility="participants")
    return Case.objects.get(pk=mine.pk), Case.objects.get(pk=theirs.pk)


def test_a_member_sees_only_assigned_cases_and_only_the_summary(client, setup, two_cases):
    mine, theirs = two_cases
    member = setup.members[0].user
    client.force_login(member)
    listing = client.get("/committee/").content.decode()
    assert mine.tracking_id in listing
    assert theirs.tracking_id not in listing
    page = client.get(f"/committee/cases/{mine.id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "canary-committee-description" in text
    assert "難航株式会社" in text
    assert "難航" in text
    assert mine.report.finder_email not in text
    assert mine.report.finder_name not in text
    assert client.get(f"/committee/cases/{theirs.id}/").status_code == 404
    # The console page of the case: the summary without messages, attachments or the finder's identity.
    console = client.get(f"/console/cases/{mine.id}/").content.decode()
    assert "canary-participants-message" not in console
    assert mine.report.finder_email not in console
    assert client.get(f"/console/cases/{theirs.id}/").status_code == 404
    call = api(client, member)
    status, cases = call("get", "/cases")
    assert (status, [c["id"] for c in cases]) == (200, [str(mine.id)])
    status, detail = call("get", f"/cases/{mine.id}")
    assert status == 200
    assert detail["finder"] is None
    assert "finder_email" not in detail["submission"]
    assert "committee_vote" in detail["actions"]
    assert call("get", f"/cases/{mine.id}/messages") == (200, [])
    assert call("get", f"/cases/{mine.id}/attachments")[0] == 403
    assert call("get", f"/cases/{mine.id}/events")[0] == 403
    assert call("post", f"/cases/{mine.id}/messages", body="hello")[0] == 403
    assert call("get", f"/cases/{theirs.id}")[0] == 404
    assert call("post", f"/cases/{theirs.id}/actions/committee_vote", decision="publish", reasons="x")[0] == 404


def test_the_member_votes_on_the_page_and_bad_input_is_refused(client, setup, two_cases):
    mine, _theirs = two_cases
    client.force_login(setup.members[0].user)
    url = f"/committee/cases/{mine.id}/"
    for data in ({"decision": "maybe", "reasons": "x"}, {"decision": "publish", "reasons": " "}, {}):
        response = client.post(url, data)
        assert response.status_code == 302
    assert not Vote.objects.exists()
    response = client.post(url, {"decision": "publish", "reasons": "利用者への周知が必要"}, follow=True)
    assert response.status_code == 200
    assert Vote.objects.get().decision == "publish"
    assert 'id="vote-recorded"' in response.content.decode()
    client.force_login(setup.members[4].user)  # seated on the other case only
    assert client.post(url, {"decision": "publish", "reasons": "x"}).status_code == 404
    assert Vote.objects.count() == 1


def test_staff_see_but_do_not_vote_and_outsiders_see_nothing(client, setup, two_cases):
    mine, _theirs = two_cases
    client.force_login(setup.coordinator)
    assert client.get(f"/committee/cases/{mine.id}/").status_code == 403
    page = client.get(f"/console/cases/{mine.id}/").content.decode()
    assert 'id="committee"' in page
    assert "委員0" in page
    client.force_login(setup.dev)  # the developer sees its case, but is no judge of it
    assert client.get(f"/committee/cases/{mine.id}/").status_code == 403
    assert client.get("/console/committee/").status_code == 404
    assert "committee_vote" not in api(client, setup.dev)("get", f"/cases/{mine.id}")[1]["actions"]
    client.force_login(factories.UserFactory())
    assert client.get(f"/committee/cases/{mine.id}/").status_code == 404
    assert "<tbody><tr><td colspan" in client.get("/committee/").content.decode().replace("\n", "")


def test_the_coordinator_works_the_committee_through_the_api(client, setup):
    call = api(client, setup.coordinator)
    case = setup.fresh()
    path = f"/cases/{case.id}/actions"
    before = (Case.objects.get(pk=case.pk).version, CaseEvent.objects.filter(case=case).count())
    for action, body, status in [
        ("refer_to_committee", {"reason": "x"}, 422), ("refer_to_committee", {"reason_code": "bogus", "reason": "x"},
                                                       422),
        ("refer_to_committee", {"reason_code": "unreachable", "reason": "x", "extra": "1"}, 422),
        ("refer_to_committee", {"reason_code": "unreachable", "reason": ["x"]}, 422),
        ("select_committee", {"members": ""}, 409), ("committee_publish", {}, 409),
    ]:
        got, answer = call("post", f"{path}/{action}", **body)
        assert got == status, (action, body, answer)
        assert answer["error"]["message"]
    assert (Case.objects.get(pk=case.pk).version, CaseEvent.objects.filter(case=case).count()) == before
    status, out = call("post", f"{path}/refer_to_committee", reason_code="unreachable", reason="3 回連絡したが応答なし")
    assert (status, out["state"]) == (200, "committee")
    assert "select_committee" in out["actions"]
    assert "refer_to_committee" not in out["actions"]
    status, answer = call("post", f"{path}/select_committee", members=f"{setup.members[0].pk}")
    assert status == 422
    assert answer["error"]["message"]
    assert call("post", f"{path}/select_committee", members="")[0] == 200
    tomorrow = str(timezone.localdate() + timedelta(days=1))
    assert call("post", f"{path}/schedule_committee_meeting", held_on="tomorrow")[0] == 422
    assert call("post", f"{path}/schedule_committee_meeting", held_on=tomorrow, urgent="true")[0] == 200
    assert call("post", f"{path}/committee_vote", decision="publish", reasons="x")[0] == 403
    assert call("post", f"{path}/record_committee_decision", decision="nope", reasons="x")[0] == 422
    status, out = call("post", f"{path}/record_committee_decision", decision="not_publish", reasons="対応を約束")
    assert (status, out["state"]) == (200, "coordinating")
    assert Referral.objects.get(case=case).decided_by == "meeting"


def test_the_coordinator_works_the_committee_on_the_console(client, setup):
    client.force_login(setup.coordinator)
    case = setup.fresh()
    act = f"/console/cases/{case.id}/coordination/"
    assert client.post(act, {"action": "refer_to_committee", "reason_code": "deadlocked",
                             "reason": "合意できない"}).status_code == 302
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert "select_committee" in page
    ids = [str(m.pk) for m in setup.members[1:4]]
    assert client.post(act, {"action": "select_committee", "members": ids}).status_code == 302
    seated = set(Referral.objects.get(case=case).seats.values_list("member_id", flat=True))
    assert seated == {int(i) for i in ids}


def test_administrators_manage_the_pool_with_events(client, setup):
    person = factories.UserFactory(email="new.member@example.test", display_name="新委員")
    client.force_login(setup.admin)
    assert client.get("/console/committee/").status_code == 200
    assert client.post("/console/committee/", {"op": "add_member", "email": "NEW.member@example.test",
                                               "note": "大学"}).status_code == 302
    member = CommitteeMember.objects.get(user=person)
    client.post("/console/committee/", {"op": "declare_interest", "member": member.pk, "organisation": setup.org.id,
                                        "note": "顧問先"})
    interest = DeclaredInterest.objects.get(member=member)
    client.post("/console/committee/", {"op": "deactivate", "member": member.pk})
    member.refresh_from_db()
    assert not member.active
    client.post("/console/committee/", {"op": "withdraw_interest", "interest": interest.pk})
    assert not DeclaredInterest.objects.filter(member=member).exists()
    tags = list(CommitteeEvent.objects.filter(member=member).values_list("tag", flat=True))
    assert tags == ["committee:member:added", "committee:interest:declared", "committee:member:deactivated",
                    "committee:interest:withdrawn"]
    # Bad input: refused on the page, nothing written.
    count = CommitteeEvent.objects.count()
    for data in ({"op": "add_member", "email": "nobody@example.test"}, {"op": "add_member", "email": person.email},
                 {"op": "declare_interest", "member": "x", "organisation": str(setup.org.id)},
                 {"op": "declare_interest", "member": member.pk, "organisation": "not-a-uuid"},
                 {"op": "withdraw_interest", "interest": "9999"}, {"op": "bogus"}):
        assert client.post("/console/committee/", data).status_code == 302
    assert CommitteeEvent.objects.count() == count
    client.force_login(setup.coordinator)  # coordinators read the page, do not manage
    assert client.get("/console/committee/").status_code == 200
    assert client.post("/console/committee/", {"op": "add_member", "email": person.email}).status_code == 403


def test_the_last_vote_answers_with_the_outcome_and_ends_the_members_access(client, setup, two_cases):
    mine, _theirs = two_cases
    for member in setup.members[:2]:
        services.committee_vote(actor=Actor.for_user(member.user), case=Case.objects.get(pk=mine.pk),
                                decision="publish", reasons="公表すべき")
    last = setup.members[2].user
    status, out = api(client, last)("post", f"/cases/{mine.id}/actions/committee_vote", decision="not_publish",
                                     reasons="開発者の対応を待つべき")
    # A member is not staff: the outcome as published (category and sub-status), not the internal state.
    assert (status, out["state"], out["category"], out["sub_status"], out["actions"]) == (
        200, None, "published", "coordination_impossible", [])
    assert out["state_label"] == "公表済み・調整不能"
    assert api(client, last)("get", f"/cases/{mine.id}")[0] == 404
    client.force_login(setup.members[0].user)
    assert client.get(f"/committee/cases/{mine.id}/").status_code == 404
    assert mine.tracking_id not in client.get("/committee/").content.decode()


def test_the_last_vote_on_the_page_returns_to_the_list(client, setup, two_cases):
    mine, _theirs = two_cases
    for member in setup.members[:2]:
        services.committee_vote(actor=Actor.for_user(member.user), case=Case.objects.get(pk=mine.pk),
                                decision="not_publish", reasons="時期尚早")
    client.force_login(setup.members[2].user)
    response = client.post(f"/committee/cases/{mine.id}/", {"decision": "publish", "reasons": "公表すべき"})
    assert (response.status_code, response.headers["Location"]) == (302, "/committee/")
    assert Case.objects.get(pk=mine.pk).state == "coordinating"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_pages_answer_in_both_languages(client, setup, two_cases, language):
    mine, _theirs = two_cases
    client.force_login(setup.admin)
    client.cookies["django_language"] = language
    pool_page = client.get("/console/committee/", HTTP_ACCEPT_LANGUAGE=language)
    assert pool_page.status_code == 200
    assert f'<html lang="{language}"' in pool_page.content.decode()
    assert client.get(f"/console/cases/{mine.id}/", HTTP_ACCEPT_LANGUAGE=language).status_code == 200
    client.force_login(setup.members[0].user)
    for url in ("/committee/", f"/committee/cases/{mine.id}/"):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE=language).status_code == 200
