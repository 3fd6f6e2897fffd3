"""The publication schedule end to end: a real SMTP server on loopback, the coordinator and two developers through the
API, the agreed date, a re-agreement, and the automatic publication when the clock passes the agreed time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.advisories.models import Advisory
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.config.worker import run_worker
from earlywarn.coordination.models import PublicationSchedule
from earlywarn.coordination.schedule import scheduled_publications_due
from earlywarn.coordination.tasks import PERIODIC_JOBS
from tests import factories
from tests.coordination.helpers import api as _api
from tests.factories import submit

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
SECRETS = ("canary-reproduction", "canary-description", "ExampleCMS", "Stored XSS")
TOKYO = ZoneInfo("Asia/Tokyo")




def _deliver(sink):
    before = len(sink.received)
    run_worker(batch=True, interval=0)
    return sink.received[before:]


def _clean(mail):
    assert not any(secret in mail.subject + mail.body for secret in SECRETS), mail.body


def _local(days: int, hour: int = 10) -> str:
    day = (timezone.now().astimezone(TOKYO) + timedelta(days=days)).date()
    return f"{day.isoformat()} {hour:02d}:00"


def test_agreed_date_then_automatic_publication(client, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    receipt = submit("product", description="canary-description", reproduction="canary-reproduction")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    dev_a = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name="エー株式会社",
                             contact_email="psirt@a.example.test")
    dev_b = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name="ビー株式会社",
                             contact_email="security@b.example.test")
    outsider = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name="シー株式会社",
                                contact_email="psirt@c.example.test")
    coord = _api(client, coordinator, staff=True)
    as_a, as_b, as_out = _api(client, dev_a), _api(client, dev_b), _api(client, outsider)
    orgs = f"{dev_a.memberships.get().organisation_id},{dev_b.memberships.get().organisation_id}"
    assert coord("post", f"/cases/{case.id}/actions/start_coordination", organisations=orgs)[0] == 200
    _deliver(smtp_sink)
    path = f"/cases/{case.id}/actions"

    # Bad input: a clear 422 on the field, nothing saved.
    status, out = coord("post", f"{path}/propose_publication_date", publish_at=_local(30), time_zone="Mars/Olympus")
    assert (status, out["error"]["fields"] and list(out["error"]["fields"])) == (422, ["time_zone"])
    status, out = coord("post", f"{path}/propose_publication_date", publish_at=_local(-1), time_zone="Asia/Tokyo")
    assert (status, list(out["error"]["fields"])) == (422, ["publish_at"])
    status, out = coord("post", f"{path}/propose_publication_date", publish_at="next week", time_zone="Asia/Tokyo")
    assert (status, list(out["error"]["fields"])) == (422, ["publish_at"])
    assert not PublicationSchedule.objects.filter(case=case, proposed_at__isnull=False).exists()
    status, out = as_a("post", f"{path}/propose_publication_date", publish_at=_local(30), time_zone="Asia/Tokyo")
    assert status == 403, out  # a developer does not propose
    status, out = as_a("post", f"{path}/agree_publication_date")
    assert status == 422, out  # nothing proposed yet

    first = _local(30)
    status, out = coord("post", f"{path}/propose_publication_date", publish_at=first, time_zone="Asia/Tokyo")
    assert status == 200, out
    assert "record_publication_agreement" in out["actions"]
    mails = {m.to[0]: m for m in _deliver(smtp_sink)}
    assert set(mails) == {"psirt@a.example.test", "security@b.example.test"}
    for mail in mails.values():
        assert case.tracking_id in mail.subject
        assert f"{first} (Asia/Tokyo, UTC+09:00)" in mail.body
        assert "/developer/cases/" in mail.body
        _clean(mail)

    assert as_out("post", f"{path}/agree_publication_date")[0] == 404
    status, out = as_a("post", f"{path}/agree_publication_date")
    assert status == 200, out
    assert as_a("post", f"{path}/agree_publication_date")[0] == 200  # again: nothing new
    assert CaseEvent.objects.filter(case=case, tag="case:schedule:developer_agreed").count() == 1
    assert PublicationSchedule.objects.get(case=case).agreed_at is None  # B has not agreed yet
    _status, detail = as_a("get", f"/cases/{case.id}")
    assert [a["name"] for a in detail["coordination"]["schedule"]["agreements"]] == ["エー株式会社"]  # its own only
    _status, detail = coord("get", f"/cases/{case.id}")
    assert {a["name"]: a["agreed"] for a in detail["coordination"]["schedule"]["agreements"]} == {
        "エー株式会社": True, "ビー株式会社": False}

    status, out = as_b("post", f"{path}/agree_publication_date")
    assert status == 200, out
    schedule = PublicationSchedule.objects.get(case=case)
    assert schedule.agreed_at == datetime.fromisoformat(first).replace(tzinfo=TOKYO)
    mails = {m.to[0]: m for m in _deliver(smtp_sink)}
    assert set(mails) == {"psirt@a.example.test", "security@b.example.test", receipt.case.report.finder_email}
    finder_mail = mails[receipt.case.report.finder_email]
    assert "/status/" in finder_mail.body
    assert first in finder_mail.body
    for mail in mails.values():
        _clean(mail)

    # Re-agreement: a new proposal replaces the agreed date; the finder hears that it no longer applies.
    second = _local(40, 15)
    status, out = coord("post", f"{path}/propose_publication_date", publish_at=second, time_zone="Europe/Berlin",
                        reason="開発者 B の修正版の準備に時間がかかる")
    assert status == 200, out
    assert PublicationSchedule.objects.get(case=case).agreed_at is None
    mails = {m.to[0]: m for m in _deliver(smtp_sink)}
    assert first in mails["psirt@a.example.test"].body  # "replaces the date agreed before"
    assert first in mails[receipt.case.report.finder_email].body
    status, out = coord("post", f"{path}/record_publication_agreement")
    assert (status, list(out["error"]["fields"])) == (422, ["reason"])
    status, out = coord("post", f"{path}/record_publication_agreement", reason="両社から電話で合意を得た")
    assert status == 200, out
    agreed = PublicationSchedule.objects.get(case=case).agreed_at
    assert agreed == datetime.fromisoformat(second).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    event = CaseEvent.objects.filter(case=case, tag="case:schedule:agreed").latest("id")
    assert (event.data["by"], len(event.data["not_agreed"])) == ("coordinator", 2)
    assert event.reason == "両社から電話で合意を得た"
    _deliver(smtp_sink)

    # The periodic job publishes at the agreed time, never before, once.
    assert {job.name for job in PERIODIC_JOBS} >= {"coordination.publish_scheduled_cases"}
    with time_machine.travel(agreed - timedelta(minutes=1)):
        assert scheduled_publications_due() == 0
    assert Case.objects.get(pk=case.pk).state == "coordinating"
    with time_machine.travel(agreed + timedelta(seconds=30)):
        assert scheduled_publications_due() == 1
        assert scheduled_publications_due() == 0
        mails = {m.to[0]: m for m in _deliver(smtp_sink)}  # the outbox dates its mail by the (moved) clock
    case = Case.objects.get(pk=case.pk)
    assert case.state == "published"
    assert PublicationSchedule.objects.get(case=case).published_at >= agreed
    advisory = Advisory.objects.get(case=case)
    assert advisory.kind == "multi"
    assert not advisory.revisions.exists()  # a minimal record, not published: nobody approved it
    event = CaseEvent.objects.get(case=case, tag="case:schedule:published")
    assert (event.actor_label, event.data["advisory"], event.data["early"]) == ("system", "minimal_record", False)
    assert CaseEvent.objects.filter(case=case, tag="case:state:publish").count() == 1
    assert set(mails) == {"psirt@a.example.test", "security@b.example.test", receipt.case.report.finder_email}
    for mail in mails.values():
        _clean(mail)
    assert "公表済み" in mails[receipt.case.report.finder_email].body
    assert as_a("post", f"{path}/agree_publication_date")[0] in {403, 409, 422}
