"""The publication judgment committee (§2 #8, §4.7): referral, selection without conflicts, votes, decision,
調整不能 publication, return to coordination, the urgent single-case meeting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from earlywarn.accounts.models import Membership, Role
from earlywarn.cases.errors import InvalidTransition, ValidationFailed
from earlywarn.cases.models import Case, CaseEvent, CaseParticipant
from earlywarn.cases.policy import ActionDenied, Actor, CaseNotFound, access_case
from earlywarn.committee import services
from earlywarn.committee.models import DeclaredInterest, Meeting, Referral, Seat, Vote
from earlywarn.coordination import services as coordination
from earlywarn.notify.models import OutboxMessage
from tests.committee.conftest import coordinating_case

pytestmark = pytest.mark.django_db


def _state(case):
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.state, fresh.version, CaseEvent.objects.filter(case=case).count(), Seat.objects.count(),
            CaseParticipant.objects.filter(case=case, removed_at__isnull=True).count(), Vote.objects.count())


def _referred(setup, reason_code="deadlocked"):
    return services.committee_refer(actor=setup.staff, case=setup.fresh(), reason_code=reason_code,
                                    reason="3 か月調整したが合意に至らない")


def _seated(setup, members=None):
    case = _referred(setup)
    ids = ",".join(str(m.pk) for m in (members or setup.members[:3]))
    services.committee_select(actor=setup.staff, case=case, members=ids)
    return Case.objects.get(pk=case.pk)


def _vote(setup, member, decision, case=None):
    return services.committee_vote(actor=Actor.for_user(member.user), case=case or setup.fresh(), decision=decision,
                                   reasons=f"{decision} の理由")


def test_referral_needs_a_reason_and_records_it(setup):
    before = _state(setup.case)
    with pytest.raises(ValidationFailed) as missing_code:
        services.committee_refer(actor=setup.staff, case=setup.case, reason_code="", reason="x")
    assert missing_code.value.field == "reason_code"
    with pytest.raises(ValidationFailed) as missing_reason:
        services.committee_refer(actor=setup.staff, case=setup.case, reason_code="unreachable", reason="  ")
    assert missing_reason.value.field == "reason"
    with pytest.raises(ActionDenied):
        services.committee_refer(actor=Actor.for_user(setup.dev), case=setup.case, reason_code="unreachable",
                                 reason="x")
    assert _state(setup.case) == before
    case = _referred(setup)
    assert case.state == "committee"
    referral = Referral.objects.get(case=case)
    assert (referral.reason_code, referral.binding, referral.ended_at) == ("deadlocked", True, None)
    assert case.events.filter(tag="case:state:refer_to_committee", data__referral_reason="deadlocked").exists()
    with pytest.raises(InvalidTransition):  # already before the committee
        _referred(setup)


def test_selection_with_a_conflict_is_refused_and_nothing_changes(setup):
    case = _referred(setup)
    conflicted = setup.members[0]
    DeclaredInterest.objects.create(member=conflicted, organisation=setup.org, note="勤務先")
    before = _state(case)
    with pytest.raises(ValidationFailed) as refused:
        services.committee_select(actor=setup.staff, case=case,
                                  members=",".join(str(m.pk) for m in setup.members[:3]))
    message = str(refused.value.message)
    assert "委員0" in message
    assert setup.org.name not in message
    assert "勤務先" not in message
    assert refused.value.field == "members"
    assert _state(case) == before


def test_a_member_of_a_developer_or_the_finder_is_in_conflict_without_declaring_it(setup):
    case = _referred(setup)
    Membership.objects.create(user=setup.members[1].user, organisation=setup.org, role=Role.MEMBER)
    assert setup.members[1].pk in services.conflicted_member_ids(case)
    with pytest.raises(ValidationFailed):
        services.committee_select(actor=setup.staff, case=case,
                                  members=",".join(str(m.pk) for m in setup.members[:3]))


def test_wrong_number_unknown_or_inactive_members_are_refused(setup):
    case = _referred(setup)
    setup.members[4].active = False
    setup.members[4].save()
    before = _state(case)
    for members in (str(setup.members[0].pk), "1,x", "999999,999998,999997",
                    ",".join(str(m.pk) for m in setup.members[2:5])):
        with pytest.raises(ValidationFailed):
            services.committee_select(actor=setup.staff, case=case, members=members)
    assert _state(case) == before


def test_the_platform_proposes_a_conflict_free_selection(setup):
    case = _referred(setup)
    DeclaredInterest.objects.create(member=setup.members[0], organisation=setup.org)
    DeclaredInterest.objects.create(member=setup.members[2], organisation=setup.org)
    proposal = services.committee_proposal(case)
    assert [m.pk for m in proposal] == [setup.members[1].pk, setup.members[3].pk, setup.members[4].pk]
    seats = services.committee_select(actor=setup.staff, case=case, members="")
    assert {s.member_id for s in seats} == {m.pk for m in proposal}
    participants = CaseParticipant.objects.filter(case=case, role="committee", removed_at__isnull=True)
    assert {p.user_id for p in participants} == {m.user_id for m in proposal}
    mails = OutboxMessage.objects.filter(template="committee_seated")
    assert {m.to for m in mails} == {m.user.email for m in proposal}
    assert all("canary-committee-description" not in m.body_text for m in mails)
    assert case.events.filter(tag="case:committee:selected", data__proposed=True).exists()
    # Too few members without a conflict: refused, nothing changes.
    DeclaredInterest.objects.create(member=setup.members[1], organisation=setup.org)
    other = coordinating_case(*_staff(setup), setup.org)
    other = services.committee_refer(actor=setup.staff, case=other, reason_code="unreachable", reason="応答なし")
    with pytest.raises(ValidationFailed):
        services.committee_select(actor=setup.staff, case=other, members="")


def _staff(setup):
    from tests import factories

    return factories.handler(), setup.coordinator


def test_votes_decide_by_majority_and_publish_as_coordination_impossible(setup):
    case = _seated(setup)
    first, second, third = setup.members[:3]
    _vote(setup, first, "publish")
    with pytest.raises(ValidationFailed):  # one vote each, final
        _vote(setup, first, "not_publish")
    with pytest.raises(ActionDenied):  # not seated
        _vote(setup, setup.members[3], "publish")
    with pytest.raises(ActionDenied):  # staff do not vote
        services.committee_vote(actor=setup.staff, case=setup.fresh(), decision="publish", reasons="x")
    _vote(setup, second, "not_publish")
    assert setup.fresh().state == "committee"
    _vote(setup, third, "publish")
    case = setup.fresh()
    assert case.state == "published_coordination_impossible"
    assert case.published_category.code == "published"
    assert case.sub_status is not None
    assert case.sub_status.code == "coordination_impossible"
    assert case.published_at is not None
    referral = Referral.objects.get(case=case)
    assert (referral.decision, referral.decided_by, referral.outcome) == ("publish", "votes", "published")
    decided = case.events.get(tag="case:committee:decided")
    assert (decided.data["publish"], decided.data["not_publish"], decided.actor_label) == (2, 1, "system")
    assert case.events.filter(tag="case:state:committee_publish").exists()
    # The members' access ends with the referral.
    with pytest.raises(CaseNotFound):
        access_case(Actor.for_user(first.user), case.id)


def test_a_majority_against_sends_the_case_back_to_coordination(setup):
    _seated(setup)
    for member, decision in zip(setup.members[:3], ("not_publish", "publish", "not_publish"), strict=True):
        _vote(setup, member, decision)
    case = setup.fresh()
    assert case.state == "coordinating"
    referral = Referral.objects.get(case=case)
    assert (referral.decision, referral.outcome) == ("not_publish", "resumed")
    assert not CaseParticipant.objects.filter(case=case, role="committee", removed_at__isnull=True).exists()
    # It may go before the committee again later.
    _referred(setup, "unreachable")
    assert Referral.objects.filter(case=case).count() == 2


def test_the_case_returns_to_coordination_when_the_developer_re_engages(setup):
    case = _seated(setup)
    _vote(setup, setup.members[0], "publish")
    case = coordination.coordination_resume(actor=setup.staff, case=case, reason="開発者から連絡があった")
    assert case.state == "coordinating"
    assert Referral.objects.get(case=case).outcome == "resumed"
    assert case.events.filter(tag="case:committee:returned").exists()
    with pytest.raises(CaseNotFound):
        access_case(Actor.for_user(setup.members[0].user), case.id)


def test_a_binding_decision_to_publish_is_not_undone_and_an_advisory_one_waits(setup, settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "COMMITTEE_BINDING": False}
    case = _seated(setup)
    for member in setup.members[:3]:
        _vote(setup, member, "publish")
    case = setup.fresh()
    assert case.state == "committee"  # advisory: the coordinator decides
    with pytest.raises(InvalidTransition):  # decided already
        services.committee_decision_record(actor=setup.staff, case=case, decision="not_publish", reasons="x")
    case = services.committee_publish(actor=setup.staff, case=case)
    assert case.state == "published_coordination_impossible"

    settings.EARLYWARN = {**settings.EARLYWARN, "COMMITTEE_BINDING": True}
    other = coordinating_case(*_staff(setup), setup.org)
    other = services.committee_refer(actor=setup.staff, case=other, reason_code="unreachable", reason="応答なし")
    with pytest.raises(InvalidTransition):  # no publish decision yet
        services.committee_publish(actor=setup.staff, case=other)
    with pytest.raises(ValidationFailed):  # no members, no meeting yet
        services.committee_decision_record(actor=setup.staff, case=other, decision="publish", reasons="x")


def test_the_coordinator_records_the_decision_of_an_urgent_single_case_meeting(setup):
    case = _seated(setup)
    today = timezone.localdate()
    with pytest.raises(ValidationFailed):  # a meeting first
        services.committee_decision_record(actor=setup.staff, case=case, decision="publish", reasons="急ぐ")
    urgent = services.committee_meeting_schedule(actor=setup.staff, case=case, held_on=str(today), urgent="1")
    assert urgent.urgent
    assert list(urgent.referrals.values_list("case_id", flat=True)) == [case.id]
    other = coordinating_case(*_staff(setup), setup.org)
    other = services.committee_refer(actor=setup.staff, case=other, reason_code="unreachable", reason="応答なし")
    before = _state(other)
    with pytest.raises(ValidationFailed) as refused:  # an urgent meeting holds this case alone
        services.committee_meeting_schedule(actor=setup.staff, case=other, meeting=str(urgent.pk))
    assert refused.value.field == "meeting"
    for bad in ({"held_on": "2026-13-01"}, {"held_on": str(today - timedelta(days=1))}, {"held_on": ""},
                {"held_on": str(today), "urgent": "maybe"}, {"meeting": "x"},
                {"meeting": str(urgent.pk), "urgent": "1"}):
        with pytest.raises(ValidationFailed):
            services.committee_meeting_schedule(actor=setup.staff, case=other, **bad)
    assert _state(other) == before
    assert Meeting.objects.count() == 1
    # An ordinary meeting holds several cases.
    regular = services.committee_meeting_schedule(actor=setup.staff, case=other, held_on=str(today + timedelta(7)))
    third = coordinating_case(*_staff(setup), setup.org)
    third = services.committee_refer(actor=setup.staff, case=third, reason_code="unreachable", reason="応答なし")
    services.committee_meeting_schedule(actor=setup.staff, case=third, meeting=str(regular.pk))
    assert regular.referrals.count() == 2

    case = setup.fresh()
    services.committee_decision_record(actor=setup.staff, case=case, decision="publish", reasons="利用者保護のため")
    case = setup.fresh()
    assert case.state == "published_coordination_impossible"
    referral = Referral.objects.get(case=case)
    assert (referral.decided_by, referral.decision_reasons) == ("meeting", "利用者保護のため")
    with pytest.raises(ActionDenied):  # members do not record the meeting's decision
        services.committee_decision_record(actor=Actor.for_user(setup.members[0].user), case=other,
                                           decision="publish", reasons="x")


def test_a_member_who_voted_stays_and_others_can_be_replaced(setup):
    case = _seated(setup)
    _vote(setup, setup.members[0], "publish")
    keep = [setup.members[0], setup.members[1], setup.members[3]]
    services.committee_select(actor=setup.staff, case=setup.fresh(), members=",".join(str(m.pk) for m in keep))
    seated = set(Seat.objects.filter(referral__case=case, removed_at__isnull=True).values_list("member_id", flat=True))
    assert seated == {m.pk for m in keep}
    with pytest.raises(CaseNotFound):
        access_case(Actor.for_user(setup.members[2].user), case.id)
    with pytest.raises(ValidationFailed):  # the member who voted cannot be dropped
        services.committee_select(actor=setup.staff, case=setup.fresh(),
                                  members=",".join(str(m.pk) for m in setup.members[1:4]))


def test_eol_cases_d_and_e_go_with_their_reason_and_publish_a_stop_using_notice(setup):
    from earlywarn.coordination.models import DeveloperProduct, EolAssessment

    product = DeveloperProduct.objects.create(organisation=setup.org, name="旧ルータ",
                                              support_ended_on=timezone.localdate() - timedelta(days=400))
    EolAssessment.objects.create(case=setup.case, product=product, eol_case="E", reason="通知後に応答なし",
                                 assessed_by="coordinator")
    before = _state(setup.case)
    with pytest.raises(ValidationFailed) as refused:  # case E is a 連絡不能 case
        services.committee_refer(actor=setup.staff, case=setup.fresh(), reason_code="deadlocked", reason="x")
    assert refused.value.field == "reason_code"
    assert _state(setup.case) == before
    case = services.committee_refer(actor=setup.staff, case=setup.fresh(), reason_code="unreachable",
                                    reason="サポート終了、通知後に応答なし")
    assert Referral.objects.get(case=case).eol_case == "E"
    services.committee_select(actor=setup.staff, case=case, members="")
    for member in Seat.objects.filter(referral__case=case):
        _vote(setup, member.member, "publish")
    case = setup.fresh()
    assert case.state == "published_coordination_impossible"
    assert case.events.get(tag="case:state:committee_publish").data["stop_using"] is True


def test_a_declared_conflict_or_leaving_the_pool_ends_the_seats_on_undecided_cases(setup):
    from earlywarn.accounts.models import OrganisationKind
    from earlywarn.committee import pool
    from tests import factories

    case = _seated(setup)
    voted, conflicted, leaving = setup.members[:3]
    _vote(setup, voted, "publish")
    admin = Actor.for_user(setup.admin)
    unrelated = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER)
    pool.interest_declare(actor=admin, member=str(conflicted.pk), organisation=str(unrelated.pk))
    assert access_case(Actor.for_user(conflicted.user), case.id)  # no tie to this case: the seat stays

    for member in (voted, conflicted):  # now a conflict with this case's developer
        pool.interest_declare(actor=admin, member=str(member.pk), organisation=str(setup.org.pk))
    pool.member_set_active(actor=admin, member=str(leaving.pk), active=False)

    for member in (voted, conflicted, leaving):
        with pytest.raises(CaseNotFound):
            access_case(Actor.for_user(member.user), case.id)
    with pytest.raises(ActionDenied):
        _vote(setup, conflicted, "not_publish")
    assert not Seat.objects.filter(referral__case=case, removed_at__isnull=True).exists()
    assert Vote.objects.filter(seat__member=voted).exists()  # kept, no longer counted
    vacated = CaseEvent.objects.filter(case=case, tag="case:committee:seat_vacated")
    assert sorted((e.data["member"], e.data["why"], e.data["vote_set_aside"]) for e in vacated) == sorted(
        [(voted.pk, "interest", True), (conflicted.pk, "interest", False), (leaving.pk, "deactivated", False)])
    assert Referral.objects.get(case=case).decided_at is None
    # Back in the pool, with two others: only the open seats' votes decide, the set-aside one is not counted.
    pool.member_set_active(actor=admin, member=str(leaving.pk), active=True)
    seated = [setup.members[3], setup.members[4], leaving]
    services.committee_select(actor=setup.staff, case=setup.fresh())  # the proposal fills the empty seats
    assert {s.member for s in Seat.objects.filter(referral__case=case, removed_at__isnull=True)} == set(seated)
    for member, decision in zip(seated, ["publish", "not_publish", "not_publish"], strict=True):
        _vote(setup, member, decision)
    decided = CaseEvent.objects.get(case=case, tag="case:committee:decided")
    assert (decided.data["publish"], decided.data["not_publish"]) == (1, 2)


def test_the_proposal_fills_only_the_empty_seat_and_keeps_a_member_who_voted(setup):
    from earlywarn.committee import pool

    case = _seated(setup)
    voted, conflicted = setup.members[:2]
    _vote(setup, voted, "publish")
    pool.interest_declare(actor=Actor.for_user(setup.admin), member=str(conflicted.pk), organisation=str(setup.org.pk))
    from django.test import Client

    console = Client(HTTP_ACCEPT_LANGUAGE="ja")
    console.force_login(setup.coordinator)
    page = console.get(f"/console/cases/{case.id}/").content.decode()
    assert "3 席のうち 2 席しか埋まっていません" in page  # the coordinator sees the empty seat
    services.committee_select(actor=setup.staff, case=setup.fresh())
    assert "committee-vacancy" not in console.get(f"/console/cases/{case.id}/").content.decode()
    open_seats = Seat.objects.filter(referral__case=case, removed_at__isnull=True)
    members = set(open_seats.values_list("member_id", flat=True))
    assert len(members) == 3
    assert {voted.pk, setup.members[2].pk} <= members
    assert conflicted.pk not in members
    assert Vote.objects.filter(seat__member=voted, seat__removed_at__isnull=True).exists()  # the vote still counts


def test_a_conflict_ends_access_after_an_advisory_decision_too(setup, settings):
    from earlywarn.committee import pool

    settings.EARLYWARN = {**settings.EARLYWARN, "COMMITTEE_BINDING": False}
    case = _seated(setup)
    for member in setup.members[:3]:
        _vote(setup, member, "publish")
    referral = Referral.objects.get(case=case)
    assert referral.decided_at is not None
    assert referral.ended_at is None  # advisory: waits for the coordinator
    member = setup.members[0]
    pool.interest_declare(actor=Actor.for_user(setup.admin), member=str(member.pk), organisation=str(setup.org.pk))
    with pytest.raises(CaseNotFound):
        access_case(Actor.for_user(member.user), case.id)
    event = CaseEvent.objects.get(case=case, tag="case:committee:seat_vacated")
    assert event.data == {"member": member.pk, "why": "interest", "vote_set_aside": False}  # counted already
    assert Referral.objects.get(case=case).decision == "publish"


def test_a_developer_brought_in_during_the_review_unseats_a_member_tied_to_it(setup):
    from earlywarn.accounts.models import OrganisationKind
    from earlywarn.committee import pool
    from tests import factories

    case = _seated(setup)
    supplier = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER, name="部品供給株式会社",
                                             contact_email="psirt@supplier.example.test")
    member = setup.members[1]
    pool.interest_declare(actor=Actor.for_user(setup.admin), member=str(member.pk), organisation=str(supplier.pk))
    assert access_case(Actor.for_user(member.user), case.id)  # not a party yet
    coordination.developer_add(actor=setup.staff, case=setup.fresh(), organisations=str(supplier.pk))
    with pytest.raises(CaseNotFound):
        access_case(Actor.for_user(member.user), case.id)
    event = CaseEvent.objects.get(case=case, tag="case:committee:seat_vacated")
    assert (event.data["member"], event.data["why"]) == (member.pk, "developer_added")


def test_the_fill_never_seats_more_than_the_size_nor_keeps_a_member_who_joined_a_developer(setup, settings):
    case = _seated(setup)
    tied = setup.members[0]
    Membership.objects.create(user=tied.user, organisation=setup.org, role=Role.MEMBER)  # a tie, not declared
    settings.EARLYWARN = {**settings.EARLYWARN, "COMMITTEE_SIZE": 2}  # lowered after the seating
    filled = services.committee_fill(Case.objects.get(pk=case.pk))
    assert len(filled) == 2
    assert tied not in filled
    services.committee_select(actor=setup.staff, case=setup.fresh())
    seated = set(Seat.objects.filter(referral__case=case, removed_at__isnull=True).values_list("member_id", flat=True))
    assert seated == {setup.members[1].pk, setup.members[2].pk}
