import json

import pytest

from earlywarn.cases.models import Case, CaseEvent
from earlywarn.intake.models import Report
from earlywarn.notify.models import OutboxMessage
from tests.factories import product_submission

pytestmark = pytest.mark.django_db


def test_product_report_is_received_with_tracking_id_and_acknowledgement(client):
    body = {"kind": "product", **product_submission()}
    response = client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    report = Report.objects.get(tracking_id=data["tracking_id"])
    assert data["status_url"].endswith("/")
    assert report.case.state == "received"
    assert CaseEvent.objects.filter(case=report.case, tag="case:report:received").count() == 1
    mail = OutboxMessage.objects.get(case=report.case)
    assert mail.to == "finder@example.test"
    assert report.tracking_id in mail.subject
    assert data["status_url"] in mail.body_text
    # No detail of the report in the mail; the random link itself may spell "XSS" by chance, so leave it out.
    assert "XSS" not in mail.body_text.replace(data["status_url"], "")
    assert Case.objects.count() == 1


def test_overseas_csirt_origin_is_only_for_overseas_csirt_members(client):
    from earlywarn.accounts.models import OrganisationKind, Role
    from earlywarn.accounts.services import token_create
    from tests.factories import member

    body = {"kind": "product", "origin": "overseas_csirt", **product_submission()}
    refused = client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"origin": [refused.json()["error"]["message"]]}
    assert Report.objects.count() == 0

    csirt = member(OrganisationKind.OVERSEAS_CSIRT, Role.MEMBER)
    _token, raw = token_create(user=csirt, name="intake")
    accepted = client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert accepted.status_code == 201, accepted.content
    report = Report.objects.get(tracking_id=accepted.json()["tracking_id"])
    assert report.origin == "overseas_csirt"
    assert report.submitted_by == csirt


KEY = "3f6c1e0a-k-1-9d2b-77aa01"


def test_idempotency_keys_are_scoped_to_the_account(client):
    from earlywarn.accounts.services import token_create
    from tests.factories import UserFactory

    body = json.dumps({"kind": "product", **product_submission()})
    first = client.post("/api/v1/reports", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
    replay = client.post("/api/v1/reports", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.json() == first.json()

    _token, raw = token_create(user=UserFactory(), name="t")
    other = client.post("/api/v1/reports", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY,
                        HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert other.status_code == 201
    assert other.json()["status_url"] != first.json()["status_url"]
    assert Report.objects.count() == 2
    # The replay wrote nothing: one acknowledgement per report, one task per acknowledgement.
    from django_tasks_db.models import DBTaskResult

    from earlywarn.notify.models import OutboxMessage

    assert OutboxMessage.objects.filter(template="report_received").count() == 2
    assert DBTaskResult.objects.count() == 2


def test_a_key_reused_for_a_different_report_is_refused_and_writes_nothing(client):
    from earlywarn.notify.models import OutboxMessage

    body = {"kind": "product", **product_submission()}
    first = client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == 201
    changed = client.post("/api/v1/reports", data=json.dumps({**body, "title": "Another finding"}),
                          content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY, HTTP_ACCEPT_LANGUAGE="en")
    assert changed.status_code == 422
    assert changed.json()["error"]["code"] == "idempotency_conflict"
    assert list(changed.json()["error"]["fields"]) == ["Idempotency-Key"]
    assert "already used for a different report" in changed.json()["error"]["message"]
    assert Report.objects.count() == 1
    assert Case.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
