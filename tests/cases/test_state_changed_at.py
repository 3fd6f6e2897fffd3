"""``Case.state_changed_at`` is exactly the ``created_at`` of the case's last state-setting event, whoever set the
state: intake, a transition, a reclassification, a bulk closure, the migration for existing cases. The quarterly
statistics rely on it to skip the trail of a case not changed since a cut-off (``stats.tally``)."""

from __future__ import annotations

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection

from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import (
    case_judge,
    case_reclassify,
    cases_transition_bulk,
    event_record,
    message_post,
)
from tests import factories

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
migration = importlib.import_module("earlywarn.cases.migrations.0003_case_state_changed_at")


def _last_state_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).exclude(to_state="").order_by("-created_at", "-id").first()


def assert_consistent(case: Case) -> None:
    case.refresh_from_db()
    last = _last_state_event(case)
    assert case.state_changed_at is not None
    assert case.state_changed_at == last.created_at
    assert (last.to_flow, last.to_state) == (case.flow, case.state)
    # the very stored value: the statistics compare it with the same parameter as the events' times
    assert CaseEvent.objects.filter(pk=last.pk, created_at=case.state_changed_at).exists()


def test_every_service_that_sets_a_state_dates_it_with_its_event(handler):
    actor = Actor.for_user(handler)
    with time_machine.travel(datetime(2025, 3, 31, 23, 59, 59, 999999, tzinfo=JST), tick=False):
        product = factories.submit("product").case
        sites = [factories.submit("website").case for _ in range(2)]
    for case in (product, *sites):
        assert_consistent(case)
    with time_machine.travel(datetime(2025, 4, 1, tzinfo=JST), tick=True):
        product = case_judge(actor=actor, case=product, accept=True)
        sites = [case_judge(actor=actor, case=site, accept=True) for site in sites]
    assert_consistent(product)
    assert product.state_changed_at > datetime(2025, 3, 31, 15, tzinfo=ZoneInfo("UTC"))
    moved = product.state_changed_at
    message_post(actor=actor, case=product, body="a note", visibility="internal")  # not a state: unchanged
    product.refresh_from_db()
    assert product.state_changed_at == moved
    product = case_reclassify(actor=actor, case=product, reason="a website after all")
    assert_consistent(product)
    assert product.state_changed_at > moved
    cases_transition_bulk(actor=actor, case_ids=[s.id for s in sites], action="close_alert", flow="website",
                          reason="alert")
    for site in sites:
        assert_consistent(site)
        assert site.state == "alert_closed"


def test_a_state_setting_event_without_the_cases_time_is_refused(handler):
    case = factories.submit("product").case
    Case.objects.filter(pk=case.pk).update(state_changed_at=None)
    case.refresh_from_db()
    with pytest.raises(ValueError, match="state_changed_at"):
        event_record(case=case, actor=Actor.for_user(handler), tag="case:state:x", to_flow="product",
                     to_state="received")


class _Editor:
    def __init__(self) -> None:
        self.connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_fills_existing_cases_from_their_trail(handler):
    actor = Actor.for_user(handler)
    with time_machine.travel(datetime(2025, 1, 1, 9, tzinfo=JST), tick=True):
        judged = case_judge(actor=actor, case=factories.submit("product").case, accept=True)
        received = factories.submit("website").case
        tampered = factories.submit("website").case
        no_trail = factories.submit("product").case
    expected = {c.pk: Case.objects.get(pk=c.pk).state_changed_at for c in (judged, received)}
    CaseEvent.objects.filter(case=tampered).update(to_state="content_check")  # no longer the case's state
    CaseEvent.objects.filter(case=no_trail).update(to_state="")
    Case.objects.update(state_changed_at=None)
    migration.fill_from_trail(apps, _Editor())
    found = dict(Case.objects.values_list("pk", "state_changed_at"))
    assert {pk: found[pk] for pk in expected} == expected
    assert found[tampered.pk] is None  # the statistics read the trail for these, as before
    assert found[no_trail.pk] is None
