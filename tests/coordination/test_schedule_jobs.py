"""Reminders to developers, the scheduled publication's advisory handling, its refusals and its recovery, the
manual publication, and the coordinators' dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.advisories import services as advisories
from earlywarn.advisories.models import Advisory
from earlywarn.cases.errors import InvalidTransition, ValidationFailed
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import ActionDenied, Actor
from earlywarn.cases.services import case_judge
from earlywarn.coordination import schedule, services
from earlywarn.coordination.models import DeveloperReminder, PublicationSchedule
from earlywarn.notify.models import OutboxMessage
from tests import factories
from tests.advisories.conftest import PRODUCTS, TEXTS, VULNERABILITIES, with_mfa

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO)  # a Monday without holidays around it
FRIDAY = datetime(2026, 12, 11, 10, 0, tzinfo=TOKYO)


def _start(handler, coordinator, *names):
    receipt = factories.submit("product", description="canary-description-schedule")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    devs = [factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name=name,
                             contact_email=f"psirt{i}@dev.example.test") for i, name in enumerate(names)]
    ids = ",".join(str(d.memberships.get().organisation_id) for d in devs)
    case = services.coordination_start(actor=Actor.for_user(coordinator), case=case, organisations=ids)
    return case, devs


def _agreed(case, coordinator, when):
    actor = Actor.for_user(coordinator)
    schedule.publication_propose(actor=actor, case=case, publish_at=when.isoformat(), time_zone="Asia/Tokyo")
    schedule.publication_agreement_record(actor=actor, case=case, reason="電話で合意")
    return PublicationSchedule.objects.get(case=case).agreed_at


def _reminders(tag="developer_reminder"):
    return list(OutboxMessage.objects.filter(template=tag).order_by("created_at", "id").values_list("to", flat=True))


def test_reminders_in_business_days_once_per_day(handler, coordinator, settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "DEVELOPER_REMINDER_DAYS": ["2", "4", "x"]}
    with time_machine.travel(FRIDAY, tick=False):
        case, (dev_a, _dev_b) = _start(handler, coordinator, "エー株式会社", "ビー株式会社")
    with time_machine.travel(FRIDAY + timedelta(days=3), tick=False):  # Monday: one business day
        assert schedule.developer_reminders_due() == 0
    with time_machine.travel(FRIDAY + timedelta(days=4), tick=False):  # Tuesday: two business days
        assert schedule.developer_reminders_due() == 2
        assert schedule.developer_reminders_due() == 0  # once per day, however often the job runs
        services.developer_acknowledge(actor=Actor.for_user(dev_a), case=Case.objects.get(pk=case.pk))
    with time_machine.travel(FRIDAY + timedelta(days=10), tick=False):  # six business days: day 4 is due
        assert schedule.developer_reminders_due() == 1
        assert schedule.developer_reminders_due() == 0
    assert sorted(_reminders()) == ["psirt0@dev.example.test", "psirt1@dev.example.test", "psirt1@dev.example.test"]
    assert sorted(DeveloperReminder.objects.values_list("due_day", flat=True)) == [2, 2, 4]
    events = CaseEvent.objects.filter(case=case, tag="case:developer:reminded")
    assert sorted(e.data["day"] for e in events) == [2, 2, 4]
    assert {e.actor_label for e in events} == {"system"}
    body = OutboxMessage.objects.filter(template="developer_reminder").first().body_text
    assert "canary-description-schedule" not in body
    assert "/developer/cases/" in body


def test_reminders_in_calendar_days_and_not_after_closure(handler, coordinator, settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "DEVELOPER_REMINDER_DAYS": ["2"],
                          "PUBLICATION_TARGET_BUSINESS_DAYS": False}
    with time_machine.travel(FRIDAY, tick=False):
        _case, _devs = _start(handler, coordinator, "エー株式会社")
    with time_machine.travel(FRIDAY + timedelta(days=2), tick=False):  # Sunday: two calendar days
        assert schedule.developer_reminders_due() == 1
    _start(handler, coordinator, "ビー株式会社")
    closed, _devs = _start(handler, coordinator, "シー株式会社")
    schedule.case_publish(actor=Actor.for_user(coordinator), case=closed, reason="開発者が先に公表した")
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        assert schedule.developer_reminders_due() == 1  # the open case only, not the published one


def test_scheduled_publication_publishes_an_approved_advisory(handler, coordinator, settings):
    case, _devs = _start(handler, coordinator, "エー株式会社")
    author, approver = with_mfa(coordinator), with_mfa(factories.coordinator())
    draft = advisories.advisory_create(actor=Actor.for_user(author), kind="single", case=case)
    draft = advisories.advisory_update(actor=Actor.for_user(author), advisory=draft, fields=dict(TEXTS),
                                       vulnerabilities=[dict(v) for v in VULNERABILITIES],
                                       products=[dict(p) for p in PRODUCTS])
    advisories.advisory_approve(actor=Actor.for_user(approver), advisory=draft)
    agreed = _agreed(case, coordinator, timezone.now().astimezone(TOKYO) + timedelta(days=20))
    with pytest.raises(InvalidTransition):  # the job never publishes before the agreed time
        schedule.case_publish(actor=schedule.SCHEDULER, case=Case.objects.get(pk=case.pk))
    with time_machine.travel(agreed + timedelta(minutes=5)):
        assert schedule.scheduled_publications_due() == 1
    revision = Advisory.objects.get(pk=draft.pk).revisions.get()
    assert revision.published_at >= agreed
    event = CaseEvent.objects.get(case=case, tag="case:schedule:published")
    assert event.data["advisory"] == "published"
    body = OutboxMessage.objects.get(template="case_published").body_text
    assert f"/advisories/{draft.slug}/" in body


def test_an_unapproved_draft_stays_a_draft(handler, coordinator):
    case, _devs = _start(handler, coordinator, "エー株式会社")
    draft = advisories.advisory_create(actor=Actor.for_user(with_mfa(coordinator)), kind="single", case=case)
    agreed = _agreed(case, coordinator, timezone.now().astimezone(TOKYO) + timedelta(days=3))
    with time_machine.travel(agreed + timedelta(minutes=1)):
        assert schedule.scheduled_publications_due() == 1
    assert Case.objects.get(pk=case.pk).state == "published"
    assert not Advisory.objects.get(pk=draft.pk).revisions.exists()
    assert Advisory.objects.filter(case=case).count() == 1  # no second record
    assert CaseEvent.objects.get(case=case, tag="case:schedule:published").data["advisory"] == "awaiting_approval"


def test_a_failure_during_publication_changes_nothing_and_the_next_run_publishes(handler, coordinator):
    case, _devs = _start(handler, coordinator, "エー株式会社")
    agreed = _agreed(case, coordinator, timezone.now().astimezone(TOKYO) + timedelta(days=3))
    with time_machine.travel(agreed + timedelta(minutes=1)):
        with mock.patch("earlywarn.coordination.schedule.publish_effects", side_effect=RuntimeError("worker died")), \
                pytest.raises(RuntimeError):
            schedule.scheduled_publications_due()
        fresh = Case.objects.get(pk=case.pk)
        assert fresh.state == "coordinating"
        assert PublicationSchedule.objects.get(case=case).published_at is None
        assert not Advisory.objects.filter(case=case).exists()
        assert not CaseEvent.objects.filter(case=case, tag__in=["case:state:publish", "case:schedule:published"])
        assert schedule.scheduled_publications_due() == 1
    assert Case.objects.get(pk=case.pk).state == "published"


def test_reproposal_suspends_the_automatic_publication(handler, coordinator):
    case, (dev,) = _start(handler, coordinator, "エー株式会社")
    agreed = _agreed(case, coordinator, timezone.now().astimezone(TOKYO) + timedelta(days=3))
    later = (agreed + timedelta(days=10)).astimezone(TOKYO).replace(tzinfo=None)
    schedule.publication_propose(actor=Actor.for_user(coordinator), case=case, publish_at=later.isoformat(),
                                 time_zone="Asia/Tokyo")
    with time_machine.travel(agreed + timedelta(minutes=1)):
        assert schedule.scheduled_publications_due() == 0
        schedule.publication_agree(actor=Actor.for_user(dev), case=Case.objects.get(pk=case.pk))
    assert PublicationSchedule.objects.get(case=case).agreed_at == later.replace(tzinfo=TOKYO)
    assert Case.objects.get(pk=case.pk).state == "coordinating"
    with time_machine.travel(later.replace(tzinfo=TOKYO) + timedelta(days=1)), pytest.raises(ValidationFailed):
        schedule.publication_agreement_record(actor=Actor.for_user(coordinator), case=case, reason="x")


def test_manual_publication(handler, coordinator):
    case, (dev,) = _start(handler, coordinator, "エー株式会社")
    with pytest.raises(ActionDenied):
        schedule.case_publish(actor=Actor.for_user(dev), case=case, reason="x")
    with pytest.raises(ValidationFailed) as refused:  # before an agreed date: a reason is needed
        schedule.case_publish(actor=Actor.for_user(coordinator), case=case)
    assert refused.value.field == "reason"
    assert Case.objects.get(pk=case.pk).state == "coordinating"
    case = schedule.case_publish(actor=Actor.for_user(coordinator), case=case, reason="開発者が先に公表した")
    assert case.state == "published"
    event = CaseEvent.objects.get(case=case, tag="case:state:publish")
    assert (event.reason, event.data["early"]) == ("開発者が先に公表した", True)
    with pytest.raises(InvalidTransition):
        schedule.case_publish(actor=Actor.for_user(coordinator), case=Case.objects.get(pk=case.pk), reason="x")


def test_dashboard(client, handler, coordinator):
    late, (dev_a, _dev_b) = _start(handler, coordinator, "エー株式会社", "ビー株式会社")
    soon, (dev_c,) = _start(handler, coordinator, "シー株式会社")
    services.developer_acknowledge(actor=Actor.for_user(dev_a), case=late)
    services.product_state(actor=Actor.for_user(dev_c), case=soon, data={"product": "C-Box", "status": "fixed",
                                                                         "fixed_version": "2.0"})
    _agreed(soon, coordinator, timezone.now().astimezone(TOKYO) + timedelta(days=5))
    client.force_login(with_mfa(coordinator))
    page = client.get("/console/coordination/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(soon.tracking_id) < html.index(late.tracking_id)  # the agreed date comes before the target
    assert "canary-description-schedule" not in html
    for text in ("エー株式会社", "ビー株式会社"):
        assert text in html
    assert "past-target" not in html
    waiting = client.get("/console/coordination/?waiting=developer").content.decode()
    assert late.tracking_id in waiting
    assert soon.tracking_id not in waiting
    with time_machine.travel(timezone.now() + timedelta(days=120)):
        client.force_login(coordinator)
        english = client.get("/console/coordination/?past_target=1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert late.tracking_id in english
        assert "days past the target" in english
        assert "overdue" not in english.lower()
    for user in (handler, dev_a):
        client.force_login(with_mfa(user) if user is handler else user)
        assert client.get("/console/coordination/").status_code == 404


def test_case_page_panel(client, handler, coordinator):
    case, (dev,) = _start(handler, coordinator, "エー株式会社")
    client.force_login(with_mfa(coordinator))
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert 'value="propose_publication_date"' in page
    assert 'value="agree_publication_date"' not in page
    when = (timezone.now().astimezone(TOKYO) + timedelta(days=9)).replace(second=0, microsecond=0, tzinfo=None)
    response = client.post(f"/console/cases/{case.id}/coordination/", {
        "action": "propose_publication_date", "publish_at": when.strftime("%Y-%m-%dT%H:%M"), "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert PublicationSchedule.objects.get(case=case).proposed_at == when.replace(tzinfo=TOKYO)
    response = client.post(f"/console/cases/{case.id}/coordination/", {
        "action": "propose_publication_date", "publish_at": "2020-01-01T10:00", "time_zone": "Asia/Tokyo"},
        follow=True)
    assert "未来" in response.content.decode() or "future" in response.content.decode()
    client.force_login(dev)
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert 'value="agree_publication_date"' in page
    assert 'value="propose_publication_date"' not in page
    assert client.post(f"/console/cases/{case.id}/coordination/",
                       {"action": "agree_publication_date"}).status_code == 302
    assert PublicationSchedule.objects.get(case=case).agreed_at == when.replace(tzinfo=TOKYO)
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert "(Asia/Tokyo, UTC+09:00)" in page
