"""The public alerts pages /alerts/ and /alerts/{id}/: published alerts in ja and en, never a case's details."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.websites.closures import alert_publish
from earlywarn.websites.models import Alert
from tests import factories

pytestmark = pytest.mark.django_db


def test_published_alerts_are_public_without_case_details(client, handler):
    actor = Actor.for_user(handler)
    cases = [case_judge(actor=actor, case=factories.submit(
        "website", finder_email="", url="https://canary-host.example.test/login",
        reproduction="canary-reproduction").case, accept=True) for _ in range(2)]
    alert = alert_publish(actor=actor, title="SQL インジェクション対策のお願い",
                          body="広く対策を呼びかけます。\n更新してください。",
                          url="https://www.example.test/alerts/1", case_ids=[c.id for c in cases])
    future = Alert.objects.create(title="future alert", body="not yet", published_at=timezone.now() + timedelta(days=1))

    page = client.get("/alerts/", headers={"Accept-Language": "ja"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "注意喚起" in html
    assert "SQL インジェクション対策のお願い" in html
    assert "future alert" not in html
    detail = client.get(f"/alerts/{alert.id}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "更新してください。" in html
    assert "https://www.example.test/alerts/1" in html
    for secret in ("canary-host", "canary-reproduction", handler.email, *(c.tracking_id for c in cases)):
        assert secret not in html
    assert client.get(f"/alerts/{future.id}/").status_code == 404
    assert client.get(f"/alerts/{uuid.uuid4()}/").status_code == 404
    assert client.get("/alerts/not-an-id/").status_code == 404

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/alerts/").content.decode()
    assert "Security alerts" in english
    assert '<html lang="en">' in english
    assert client.get("/alerts/?page=999").status_code == 200  # the last page, not an error


def test_no_alert_yet(client):
    page = client.get("/alerts/")
    assert page.status_code == 200
    assert client.post("/alerts/").status_code == 405
