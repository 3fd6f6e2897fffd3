"""Issue 3's journeys as users go through them, with a real SMTP server on loopback and the clock moving: a
multi-vendor case from acceptance to automatic publication with priority information to an electric-power
recipient; an EOL case C published with its stop-using notice."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.advisories.models import Advisory
from earlywarn.cases.models import Case, CaseEvent, PriorityProvision
from earlywarn.config.worker import run_worker
from earlywarn.coordination.models import PriorityDelivery, PublicationSchedule
from earlywarn.coordination.priority import business_days_before, priority_deliver_due
from earlywarn.coordination.schedule import scheduled_publications_due
from earlywarn.notify.models import OutboxMessage
from tests import factories
from tests.coordination.helpers import api, coordinating_case

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 2, 1, 10, 0, tzinfo=TOKYO)  # a Monday
PUBLICATION = datetime(2027, 3, 3, 15, 0, tzinfo=TOKYO)  # a Wednesday
SECRET = "canary-journey-reproduction"


def _mail(sink):
    before = len(sink.received)
    run_worker(batch=True, interval=0)
    return sink.received[before:]


def test_multi_vendor_case_to_automatic_publication(client, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    power = factories.member(OrganisationKind.CRITICAL_INFRASTRUCTURE, Role.MEMBER, name="テスト電力株式会社",
                             sector="electric_power", contact_email="soc@power.example.test")
    with time_machine.travel(START, tick=False):
        case, (_org_a, dev_a), (_org_b, dev_b) = coordinating_case(handler, coordinator, reproduction=SECRET)
        finder_and_devs = {m.to[0] for m in _mail(smtp_sink)}
        assert {"psirt@a.example.test", "sec@b.example.test"} <= finder_and_devs
        coord, as_a, as_b = api(client, coordinator, staff=True), api(client, dev_a), api(client, dev_b)
        for call, product in ((as_a, "ExampleCMS"), (as_b, "ExampleCMS Cloud")):
            status, out = call("post", f"/cases/{case.id}/actions/state_product", product=product, version="4.x",
                               status="fixed", fixed_version="4.2.1", statement="修正版を公開しました。")
            assert status == 200, out
        status, out = coord("post", f"/cases/{case.id}/actions/propose_publication_date",
                            publish_at=PUBLICATION.strftime("%Y-%m-%d %H:%M"), time_zone="Asia/Tokyo")
        assert status == 200, out
        for call in (as_a, as_b):
            status, out = call("post", f"/cases/{case.id}/actions/agree_publication_date")
            assert status == 200, out
        schedule = PublicationSchedule.objects.get(case=case)
        assert schedule.agreed_at == PUBLICATION
        assert schedule.agreed_on is not None
        status, out = coord("post", f"/cases/{case.id}/actions/select_priority", sectors="electric_power",
                            information="canary-countermeasure: apply 4.2.1")
        assert status == 200, out
        _mail(smtp_sink)

    due = business_days_before(PUBLICATION.date(), 3)  # 2027-02-26, a Friday
    with time_machine.travel(datetime(due.year, due.month, due.day, 8, 0, tzinfo=TOKYO), tick=False):
        assert priority_deliver_due() == 1
        assert scheduled_publications_due() == 0
        mails = _mail(smtp_sink)
        assert [m.to for m in mails] == [["soc@power.example.test"]]
        assert "canary-countermeasure" not in mails[0].body
        assert SECRET not in mails[0].body
    client.force_login(power)
    assert "canary-countermeasure" in client.get(f"/priority/{case.id}/").content.decode()
    assert list(PriorityProvision.objects.filter(case=case).values_list("sector", flat=True)) == ["electric_power"]

    with time_machine.travel(PUBLICATION - timedelta(minutes=1), tick=False):
        assert scheduled_publications_due() == 0
    with time_machine.travel(PUBLICATION + timedelta(minutes=1), tick=False):
        assert scheduled_publications_due() == 1
        assert scheduled_publications_due() == 0
        told = {m.to[0] for m in _mail(smtp_sink)}
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.published_category.code) == ("published", "published")
    assert {"psirt@a.example.test", "sec@b.example.test", "finder@example.test"} <= told  # all are told
    assert PriorityDelivery.objects.get().delivered_at < PublicationSchedule.objects.get(case=case).published_at
    advisory = Advisory.objects.get(case=case)  # the minimal record the editor completes
    assert advisory.products.count() == 2
    tags = list(CaseEvent.objects.filter(case=case).values_list("tag", flat=True))
    assert tags.index("case:priority:provided") < tags.index("case:state:publish")


def test_eol_case_c_is_published_with_a_stop_using_notice(client, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    with time_machine.travel(START, tick=False):
        case, (org_a, _dev_a), _other = coordinating_case(handler, coordinator)
        coord = api(client, coordinator, staff=True)
        status, out = coord("post", f"/cases/{case.id}/actions/assess_eol", organisation=str(org_a.id),
                            product="OldRouter 1", support_ended_on="2022-03-31", eol_case="C",
                            reason="no fix; the developer agrees to a stop-using publication")
        assert status == 200, out
        status, out = coord("post", f"/cases/{case.id}/actions/propose_publication_date",
                            publish_at=PUBLICATION.strftime("%Y-%m-%d %H:%M"), time_zone="Asia/Tokyo")
        assert status == 200, out
        status, out = coord("post", f"/cases/{case.id}/actions/record_publication_agreement",
                            reason="agreed by telephone with both developers")
        assert status == 200, out
    with time_machine.travel(PUBLICATION + timedelta(minutes=5), tick=False):
        assert scheduled_publications_due() == 1
    assert Case.objects.get(pk=case.pk).state == "published"
    advisory = Advisory.objects.get(case=case)
    assert "OldRouter 1" in advisory.stop_using_ja
    assert "2022-03-31" in advisory.stop_using_en


def _pool(conflicted_with):
    """Five members; the first declared an interest in ``conflicted_with``."""
    from earlywarn.committee.models import CommitteeMember, DeclaredInterest

    members = [CommitteeMember.objects.create(user=factories.member(OrganisationKind.PRODUCT_USER, Role.MEMBER))
               for _ in range(5)]
    DeclaredInterest.objects.create(member=members[0], organisation=conflicted_with, note="former employer")
    return members


def test_unreachable_developer_to_committee_publication(client, handler, coordinator, smtp_settings, smtp_sink):
    from earlywarn.committee.models import Seat

    smtp_sink.start()
    case, (org_a, _dev_a), (_org_b, dev_b) = coordinating_case(handler, coordinator)
    coord = api(client, coordinator, staff=True)
    assert api(client, dev_b)("post", f"/cases/{case.id}/actions/acknowledge_receipt")[0] == 200
    status, out = coord("post", f"/cases/{case.id}/actions/record_contact_attempt", organisation=str(org_a.id),
                        channel="phone", note="no answer")
    assert status == 200, out
    status, out = coord("post", f"/cases/{case.id}/actions/list_unreachable", organisation=str(org_a.id),
                        product="UnreachableCMS", reason="three attempts without answer")
    assert status == 200, out
    assert "UnreachableCMS" in client.get("/unreachable/").content.decode()

    members = _pool(org_a)
    status, out = coord("post", f"/cases/{case.id}/actions/refer_to_committee", reason_code="unreachable",
                        reason="still unreachable after listing")
    assert status == 200, out
    assert "UnreachableCMS" in client.get("/unreachable/").content.decode()  # still unreachable meanwhile
    status, out = coord("post", f"/cases/{case.id}/actions/select_committee",
                        members=",".join(str(m.id) for m in members[:3]))
    assert status == 422, out  # members[0] has a conflict with the unreachable developer
    assert not Seat.objects.exists()
    status, out = coord("post", f"/cases/{case.id}/actions/select_committee")  # the platform's proposal
    assert status == 200, out
    seated = set(Seat.objects.values_list("member_id", flat=True))
    assert len(seated) == 3
    assert members[0].id not in seated
    for member in [m for m in members if m.id in seated]:
        status, out = api(client, member.user)("post", f"/cases/{case.id}/actions/committee_vote",
                                               decision="publish", reasons="users must learn of it")
        assert status == 200, out
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.published_category.code) == ("published_coordination_impossible", "published")
    assert "UnreachableCMS" not in client.get("/unreachable/").content.decode()
    assert Advisory.objects.filter(case=case).exists()
    told = OutboxMessage.objects.get(template="case_published", to="sec@b.example.test")
    run_worker(batch=True, interval=0)
    assert any(m.to == ["sec@b.example.test"] and m.subject == told.subject for m in smtp_sink.received)


def test_listed_developer_comes_back_and_coordination_completes(client, handler, coordinator):
    case, (org_a, dev_a), _other = coordinating_case(handler, coordinator)
    coord = api(client, coordinator, staff=True)
    coord("post", f"/cases/{case.id}/actions/record_contact_attempt", organisation=str(org_a.id), channel="email")
    status, out = coord("post", f"/cases/{case.id}/actions/list_unreachable", organisation=str(org_a.id),
                        product="ComebackCMS", reason="no answer")
    assert status == 200, out
    status, out = coord("post", f"/cases/{case.id}/actions/resume_coordination", reason="the developer called us")
    assert status == 200, out
    assert out["state"] == "coordinating"
    assert "ComebackCMS" not in client.get("/unreachable/").content.decode()
    status, out = api(client, dev_a)("post", f"/cases/{case.id}/actions/state_product", product="ComebackCMS",
                                     status="fixed", fixed_version="2.0")
    assert status == 200, out
    status, out = coord("post", f"/cases/{case.id}/actions/publish", reason="fixed and agreed by telephone")
    assert status == 200, out
    assert out["state"] == "published"  # 調整完了: resumed, then published the normal way


def test_eol_case_d_goes_through_the_committee(client, handler, coordinator, administrator):
    from earlywarn.committee.models import Seat

    case, (org_a, _dev), _other = coordinating_case(handler, coordinator)
    coord = api(client, coordinator, staff=True)
    status, out = coord("post", f"/cases/{case.id}/actions/assess_eol", organisation=str(org_a.id),
                        product="OldBox", support_ended_on="2018-12-31", eol_case="D",
                        reason="neither a fix nor a stop-using publication")
    assert status == 200, out
    status, out = coord("post", f"/cases/{case.id}/actions/refer_to_committee", reason_code="deadlocked",
                        reason="EOL case D")
    assert status == 200, out
    _pool(org_a)
    assert coord("post", f"/cases/{case.id}/actions/select_committee")[0] == 200
    status, out = coord("post", f"/cases/{case.id}/actions/schedule_committee_meeting", held_on="2027-01-15",
                        urgent="yes")
    assert status == 200, out
    status, out = coord("post", f"/cases/{case.id}/actions/record_committee_decision", decision="publish",
                        reasons="users must stop using OldBox")
    assert status == 200, out
    case = Case.objects.get(pk=case.pk)
    assert case.state == "published_coordination_impossible"
    event = CaseEvent.objects.get(case=case, tag="case:state:committee_publish")
    assert event.data["stop_using"] is True
    assert "OldBox" in Advisory.objects.get(case=case).stop_using_ja  # the draft starts with the 利用中止 notice
    assert Seat.objects.count() == 3
