"""注意喚起: one alert closes hundreds of open cases in one action — all or nothing, one event each."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from earlywarn.cases.errors import InvalidTransition, ValidationFailed
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import ActionDenied, Actor
from earlywarn.cases.services import case_judge
from earlywarn.websites.closures import alert_publish
from earlywarn.websites.models import Alert
from tests import factories

pytestmark = pytest.mark.django_db


def _open_cases(handler, n: int) -> list[Case]:
    actor = Actor.for_user(handler)
    return [case_judge(actor=actor, case=factories.submit("website", finder_email="").case, accept=True)
            for _ in range(n)]


@pytest.mark.slow
def test_an_alert_closes_500_cases_in_one_action_within_seconds(handler):
    cases = _open_cases(handler, 500)
    events_before = CaseEvent.objects.count()
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        alert = alert_publish(actor=Actor.for_user(handler), title="SQL インジェクション対策のお願い",
                              body="広く対策を呼びかけます。", case_ids=[c.id for c in cases])
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed
    assert len(queries) < 50, len(queries)  # bulk, not per case
    assert alert.cases_closed == 500
    assert set(Case.objects.filter(pk__in=[c.id for c in cases]).values_list("state", flat=True)) == {"alert_closed"}
    events = CaseEvent.objects.filter(tag="case:state:close_alert")
    assert CaseEvent.objects.count() - events_before == 500 == events.count()
    assert {e.data["alert"] for e in events} == {str(alert.id)}
    assert all(c.closed_at is not None and c.version == 2 for c in Case.objects.filter(pk__in=[c.id for c in cases]))


def test_one_case_that_cannot_close_stops_the_whole_alert(handler):
    cases = _open_cases(handler, 3)
    closed = factories.submit("website").case  # still awaiting judgment: no alert can close it
    actor = Actor.for_user(handler)
    with pytest.raises(InvalidTransition):
        alert_publish(actor=actor, title="t", body="b", case_ids=[*[c.id for c in cases], closed.id])
    with pytest.raises(ValidationFailed):
        alert_publish(actor=actor, title="t", body="b", case_ids=["not-a-uuid"])
    with pytest.raises(ValidationFailed):
        alert_publish(actor=actor, title="", body="b", case_ids=[cases[0].id])
    with pytest.raises(ActionDenied):
        alert_publish(actor=Actor.for_user(factories.coordinator()), title="t", body="b", case_ids=[cases[0].id])
    assert Alert.objects.count() == 0
    assert set(Case.objects.filter(pk__in=[c.id for c in cases]).values_list("state", flat=True)) == {"content_check"}


def test_the_console_publishes_an_alert(client, handler):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    cases = _open_cases(handler, 2)
    client.force_login(handler)
    page = client.get("/console/websites/alerts/new/")
    assert page.status_code == 200
    assert str(cases[0].id) in page.content.decode()
    bad = client.post("/console/websites/alerts/new/", {"title": "", "body": "b", "cases": [str(cases[0].id)]})
    assert bad.status_code == 422
    done = client.post("/console/websites/alerts/new/", {"title": "注意喚起", "body": "本文",
                                                          "cases": [str(c.id) for c in cases]})
    assert done.status_code == 302
    assert set(Case.objects.values_list("state", flat=True)) == {"alert_closed"}
