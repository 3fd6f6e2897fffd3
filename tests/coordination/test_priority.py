"""Priority information provision (§4.9) end to end: the coordinator selects a case and the electric-power sector,
the information goes out N business days before the agreed publication (never before the agreement), through a
real SMTP server on loopback, link-only; the recipient reads it on its own page and sees nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.cases.models import Case, CaseEvent, PriorityProvision
from earlywarn.config.worker import run_worker
from earlywarn.coordination.models import EolAssessment, PriorityDelivery, PrioritySelection, PublicationSchedule
from earlywarn.coordination.priority import business_days_before, priority_deliver_due
from earlywarn.stats.calendar import is_business_day
from tests import factories
from tests.coordination.helpers import api, coordinating_case

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
TOKYO = ZoneInfo("Asia/Tokyo")
INFORMATION = "canary-priority-information: update the firmware to 2.0.1 or block port 8443"


def _recipient(name, sector, email="soc@{}.example.test"):
    user = factories.member(OrganisationKind.CRITICAL_INFRASTRUCTURE, Role.MEMBER, name=name, sector=sector,
                            contact_email=email.format(sector) if email else "")
    return user, user.memberships.get().organisation


def _publication_day():
    """A business day at least two weeks ahead, so that three business days before it are in the future."""
    day = timezone.localdate() + timedelta(days=14)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def _agree(case, day, *, agreed=True):
    PublicationSchedule.objects.create(case=case, agreed_at=datetime(day.year, day.month, day.day, 15, tzinfo=TOKYO),
                                       agreed_on=timezone.now() if agreed else None, time_zone="Asia/Tokyo")


def _at(day, hour=9):
    return datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


def test_priority_provision_to_electric_power(client, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    case, (_org, developer), _other = coordinating_case(handler, coordinator)
    power, power_org = _recipient("東電テスト株式会社", "electric_power")
    government, _gov = _recipient("テスト省", "government")
    _silent, _silent_org = _recipient("連絡先なし電力", "electric_power", email="")
    coord = api(client, coordinator, staff=True)
    path = f"/cases/{case.id}/actions/select_priority"
    for field, bad in (("sectors", ""), ("sectors", "water"), ("lead_business_days", "0"),
                       ("lead_business_days", "many"), ("information", "")):
        body = {"sectors": "electric_power", "lead_business_days": "3", "information": INFORMATION, field: bad}
        status, out = coord("post", path, **body)
        assert (status, list(out["error"]["fields"])) == (422, [field]), (field, bad, out)
    assert not PrioritySelection.objects.exists()
    status, _out = api(client, developer)("post", path, sectors="electric_power", information=INFORMATION)
    assert status in {403, 404}
    status, out = coord("post", path, sectors="electric_power", lead_business_days="3", information=INFORMATION)
    assert status == 200, out
    run_worker(batch=True, interval=0)
    smtp_sink.received.clear()

    day = _publication_day()
    due = business_days_before(day, 3)
    assert priority_deliver_due(_at(due)) == 0  # no agreed date yet
    _agree(case, day, agreed=False)
    assert priority_deliver_due(_at(due)) == 0  # a date, but not agreed by the developers: never before that
    PublicationSchedule.objects.filter(case=case).update(agreed_on=timezone.now())
    assert priority_deliver_due(_at(due - timedelta(days=1), 23)) == 0  # the day before: not yet
    assert priority_deliver_due(_at(due)) == 1
    assert priority_deliver_due(_at(due, 10)) == 0  # idempotent: delivered once

    delivery = PriorityDelivery.objects.get()
    assert (delivery.organisation_id, delivery.sector) == (power_org.id, "electric_power")
    assert list(PriorityProvision.objects.filter(case=case).values_list("sector", "provided_on")) == [
        ("electric_power", due)]
    assert CaseEvent.objects.get(case=case, tag="case:priority:provided").data["recipients"] == 1
    run_worker(batch=True, interval=0)
    mails = smtp_sink.received
    assert [m.to for m in mails] == [["soc@electric_power.example.test"]]
    assert "canary-priority-information" not in mails[0].subject + mails[0].body
    assert f"/priority/{case.id}/" in mails[0].body

    status, out = coord("post", path, sectors="electric_power", information="changed")
    assert (status, list(out["error"]["fields"])) == (422, ["information"])  # delivered: frozen

    client.force_login(power)
    page = client.get(f"/priority/{case.id}/")
    assert page.status_code == 200
    assert "canary-priority-information" in page.content.decode()
    assert case.tracking_id not in page.content.decode()  # nothing else of the case
    assert PriorityDelivery.objects.get().first_read_at is not None
    assert client.get("/priority/").status_code == 200
    assert client.get(f"/console/cases/{case.id}/").status_code == 404  # a recipient is no participant
    for outsider in (government, developer):
        client.force_login(outsider)
        assert client.get(f"/priority/{case.id}/").status_code == 404
        assert "canary-priority-information" not in client.get("/priority/").content.decode()
    assert CaseEvent.objects.filter(case=case, tag="case:priority:read").count() == 1


def test_no_provision_for_committee_cases_unless_configured(client, handler, coordinator, settings):
    case, (org, _dev), _other = coordinating_case(handler, coordinator)
    coord = api(client, coordinator, staff=True)
    status, out = coord("post", f"/cases/{case.id}/actions/assess_eol", organisation=str(org.id), product="OldBox",
                        support_ended_on="2019-12-31", eol_case="D", reason="refuses to fix or to publish")
    assert status == 200, out
    path = f"/cases/{case.id}/actions/select_priority"
    status, out = coord("post", path, sectors="government", information=INFORMATION)
    assert (status, list(out["error"]["fields"])) == (422, ["sectors"])
    assert not PrioritySelection.objects.exists()
    settings.EARLYWARN = {**settings.EARLYWARN, "PRIORITY_AFTER_COMMITTEE": True}
    status, out = coord("post", path, sectors="government", information=INFORMATION)
    assert status == 200, out
    assert PrioritySelection.objects.get().lead_business_days == settings.EARLYWARN["PRIORITY_LEAD_DAYS"]
    assert EolAssessment.objects.get().eol_case == "D"


def test_published_case_is_not_provided_afterwards(handler, coordinator):
    """A selection whose case was published (or whose publication time has come) is never delivered late."""
    case, _dev, _other = coordinating_case(handler, coordinator)
    PrioritySelection.objects.create(case=case, sectors=["electric_power"], lead_business_days=3,
                                     information=INFORMATION, selected_by="test")
    _recipient("電力", "electric_power")
    day = _publication_day()
    _agree(case, day)
    assert priority_deliver_due(_at(day, 16)) == 0  # after the agreed publication time
    Case.objects.filter(pk=case.pk).update(state="published")
    assert priority_deliver_due(_at(business_days_before(day, 3))) == 0
    assert not PriorityDelivery.objects.exists()
