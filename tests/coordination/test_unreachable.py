"""Unreachable developers (§4.6), refusals, and the start date and target (§4.4)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.cases.errors import InvalidTransition, ValidationFailed
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import ActionDenied, Actor
from earlywarn.cases.services import case_judge
from earlywarn.coordination import clock, services
from earlywarn.coordination.models import Coordination
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(handler, coordinator):
    receipt = factories.submit("product", description="canary-description-unreachable")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    dev = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name="音信不通株式会社",
                           contact_email="psirt@silent.example.test")
    org = dev.memberships.get().organisation
    case = services.coordination_start(actor=Actor.for_user(coordinator), case=case, organisations=str(org.id))
    return case, org, dev


def _snapshot(case):
    fresh = Case.objects.get(pk=case.pk)
    return fresh.state, fresh.version, CaseEvent.objects.filter(case=case).count()


def test_listed_then_resumed(client, coordinator, started):
    case, org, _dev = started
    actor = Actor.for_user(coordinator)
    before = _snapshot(case)
    with pytest.raises(ValidationFailed):  # no attempt to reach the developer recorded yet
        services.unreachable_list(actor=actor, case=case, organisation=str(org.id), reason="応答なし")
    assert _snapshot(case) == before
    with pytest.raises(ValidationFailed):
        services.contact_attempt_record(actor=actor, case=case, organisation=str(org.id), channel="pigeon")
    services.contact_attempt_record(actor=actor, case=case, organisation=str(org.id), channel="phone",
                                    note="不在")
    case = services.unreachable_list(actor=actor, case=Case.objects.get(pk=case.pk), organisation=str(org.id),
                                     reason="3 回連絡したが応答なし")
    assert case.state == "unreachable_listed"
    assert case.sub_status is not None
    assert case.sub_status.code == "unreachable_listed"

    page = client.get("/unreachable/").content.decode()
    assert "音信不通株式会社" in page
    assert "ExampleCMS" in page
    assert case.tracking_id not in page
    assert "canary-description-unreachable" not in page
    assert "Stored XSS" not in page  # the title stays confidential
    assert client.get("/unreachable/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200

    case = services.coordination_resume(actor=actor, case=case, reason="開発者から連絡があった")
    assert case.state == "coordinating"
    assert "音信不通株式会社" not in client.get("/unreachable/").content.decode()


def test_illegal_actions_refused_nothing_changed(client, coordinator, started):
    case, org, dev = started
    before = _snapshot(case)
    with pytest.raises(InvalidTransition):
        services.coordination_start(actor=Actor.for_user(coordinator), case=case, organisations=str(org.id))
    with pytest.raises(InvalidTransition):
        services.coordination_resume(actor=Actor.for_user(coordinator), case=case)
    with pytest.raises(ActionDenied):  # a developer does not list itself
        services.unreachable_list(actor=Actor.for_user(dev), case=case, organisation=str(org.id), reason="x")
    with pytest.raises(ActionDenied):  # staff do not answer for the developer
        services.developer_acknowledge(actor=Actor.for_user(coordinator), case=case)
    with pytest.raises(ValidationFailed):
        services.product_state(actor=Actor.for_user(dev), case=case, data={"product": "", "status": "affected"})
    with pytest.raises(ValidationFailed):
        services.product_state(actor=Actor.for_user(dev), case=case, data={"product": "P", "status": "broken"})
    services.developer_acknowledge(actor=Actor.for_user(dev), case=case)
    assert _snapshot(case)[:2] == before[:2]
    with pytest.raises(ValidationFailed):  # it answered: it is not unreachable
        services.unreachable_list(actor=Actor.for_user(coordinator), case=case, organisation=str(org.id),
                                  reason="x")
    client.force_login(coordinator)
    response = client.post(f"/console/cases/{case.id}/coordination/", {"action": "resume_coordination"},
                           HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "coordinating"


def test_start_date_and_target(settings, started):
    case, _org, _dev = started
    coordination = Coordination.objects.get(case=case)
    assert coordination.target_date == clock.target_date(coordination.start_date)
    # 2026-04-28 (Tue): 45 business days later skips Golden Week (4/29, 5/3–5/6) and the weekends.
    assert clock.target_date(date(2026, 4, 28)) == date(2026, 7, 6)
    settings.EARLYWARN = {**settings.EARLYWARN, "PUBLICATION_TARGET_BUSINESS_DAYS": False}
    assert clock.target_date(date(2026, 4, 28)) == date(2026, 6, 12)


def test_developer_answers_on_the_console_page(client, started):
    case, _org, dev = started
    client.force_login(dev)
    assert case.tracking_id in client.get("/console/shared/").content.decode()
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert 'value="state_product"' in page
    assert 'value="record_contact_attempt"' not in page  # coordinators only
    response = client.post(f"/console/cases/{case.id}/coordination/",
                           {"action": "state_product", "product": "ExampleCMS", "version": "4.2",
                            "status": "affected", "statement": "調査中です。"})
    assert response.status_code == 302
    assert case.product_statements.get().status == "affected"
    response = client.post(f"/console/cases/{case.id}/coordination/", {"action": "list_unreachable"})
    assert response.status_code == 403


def test_start_date_can_be_the_acceptance_day(settings, handler, coordinator):
    settings.EARLYWARN = {**settings.EARLYWARN, "COORDINATION_START_DATE": "accepted"}
    case = case_judge(actor=Actor.for_user(handler), case=factories.submit("product").case, accept=True)
    dev = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, contact_email="psirt@x.example.test")
    case = services.coordination_start(actor=Actor.for_user(coordinator), case=case,
                                       organisations=str(dev.memberships.get().organisation_id))
    assert Coordination.objects.get(case=case).start_date == timezone.localdate(case.accepted_at)


@pytest.mark.parametrize("who", ["coordinator", "developer"])
def test_every_action_with_empty_input_is_refused_cleanly(client, coordinator, started, who):
    from earlywarn.coordination.actions import COORDINATION_ACTIONS

    case, _org, dev = started
    client.force_login(coordinator if who == "coordinator" else dev)
    for name in [*COORDINATION_ACTIONS, "bogus", ""]:
        for data in ({"action": name}, {"action": name, "organisations": "not-a-uuid", "organisation": "x",
                                        "status": "fixed", "product": "P" * 500}):
            response = client.post(f"/console/cases/{case.id}/coordination/", data)
            assert response.status_code in {302, 403}, (name, response.status_code)
