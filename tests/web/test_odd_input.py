"""Characters and numbers no field can hold get a translated 4xx and change nothing, wherever they arrive (found by a
review of every endpoint; tests/intake/test_bad_input.py covers the report intake itself)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from earlywarn.accounts.services import token_create
from earlywarn.advisories import services as advisories
from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Message
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from tests import factories
from tests.coordination.helpers import coordinating_case

pytestmark = pytest.mark.django_db
BAD_TEXT = ["a\ud800", "hi \udc80", "a\x00b"]


def _api(user, *, staff: bool = False) -> Client:
    if staff:
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    _token, raw = token_create(user=user, name="t")
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="ja", HTTP_AUTHORIZATION=f"Bearer {raw}")


def _post(client: Client, path: str, **data) -> tuple[int, dict]:
    response = client.post(path, data=json.dumps(data), content_type="application/json")
    return response.status_code, response.json()


@pytest.mark.parametrize("text", BAD_TEXT)
def test_unstorable_characters_in_messages_and_reasons(handler, text):
    receipt = factories.submit("product")
    anonymous = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="ja")
    status, out = _post(anonymous, f"/api/v1/status/{receipt.status_token}/messages", body=text)
    assert (status, out["error"]["fields"] and list(out["error"]["fields"])) == (422, ["body"])
    staff = _api(handler, staff=True)
    status, out = _post(staff, f"/api/v1/cases/{receipt.case.id}/messages", body=text, visibility="internal")
    assert status == 422, out
    status, out = _post(staff, f"/api/v1/cases/{receipt.case.id}/actions/accept", reason=text)
    assert status == 422, out
    assert "保存できない文字" in out["error"]["message"]
    assert not Message.objects.exists()
    receipt.case.refresh_from_db()
    assert receipt.case.state == "received"


def test_an_offset_beyond_any_list_is_an_empty_page(handler):
    response = _api(handler, staff=True).get("/api/v1/cases", {"offset": "9" * 30})
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_prolonged_cases_as_of_an_absurd_day(handler, day):
    response = _api(handler, staff=True).get("/api/v1/websites/prolonged", {"day": day})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["day"]


@pytest.mark.parametrize(("when", "zone"), [("9999-12-31T23:59", "Etc/GMT+12"), ("9999-12-31T23:59+00:00", "UTC"),
                                            ("0001-01-01T00:00", "Etc/GMT-14")])
def test_a_publication_date_out_of_range(handler, coordinator, when, zone):
    case, _first, _second = coordinating_case(handler, coordinator)
    status, out = _post(_api(coordinator, staff=True), f"/api/v1/cases/{case.id}/actions/propose_publication_date",
                        publish_at=when, time_zone=zone)
    assert (status, list(out["error"]["fields"])) == (422, ["publish_at"])


@pytest.mark.parametrize("year", [1, 9999])
def test_an_advisory_date_out_of_range_is_refused_even_for_a_case(handler, coordinator, year):
    case, _first, _second = coordinating_case(handler, coordinator)
    actor = Actor.for_user(coordinator)
    advisory = advisories.advisory_create(actor=actor, case=case)
    with pytest.raises(ValidationFailed) as refused:
        advisories.advisory_update(actor=actor, advisory=advisory, fields={
            "agreed_publication_at": datetime(year, 6, 1, 12, tzinfo=ZoneInfo("Asia/Tokyo"))})
    assert refused.value.field == "agreed_publication_at"
    advisory.refresh_from_db()
    assert advisory.agreed_publication_at is None


@pytest.mark.parametrize("operator", ["²", "9" * 40])
def test_a_known_operator_id_that_is_no_number(handler, operator):
    case = case_judge(actor=Actor.for_user(handler), case=factories.submit("website").case, accept=True)
    status, out = _post(_api(handler, staff=True), f"/api/v1/cases/{case.id}/actions/record_contact",
                        email="ops@site.example.test", operator=operator, operator_type="public_body")
    assert status in {200, 422}, out
