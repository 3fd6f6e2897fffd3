"""GET /api/v1/websites/prolonged: the prolonged-cases figures of the console, read-only, for handlers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone

from earlywarn.accounts.services import token_create
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.websites.contacts import contact_record
from earlywarn.websites.notification import operator_notify
from tests.factories import submit

pytestmark = pytest.mark.django_db
URL = "/api/v1/websites/prolonged"


def _token(user):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}


def test_the_figures_match_the_console(client, handler):
    actor = Actor.for_user(handler)
    case = case_judge(actor=actor, case=submit("website", finder_email="").case, accept=True)
    contact_record(actor=actor, case=case, data={"email": "ops@example.test", "operator_type": "individual"})
    case = operator_notify(actor=actor, case=case)
    headers = _token(handler)
    today = timezone.localdate()

    now = client.get(URL, headers=headers)
    assert now.status_code == 200, now.content
    assert (now.json()["total"], now.json()["cases"]) == (0, [])
    later = client.get(URL, {"day": (today + timedelta(days=91)).isoformat()}, headers=headers).json()
    assert later["total"] == 1
    assert later["bounds"][0] == 90
    [row] = later["rows"]
    assert row["vulnerability_type"] == case.vulnerability_type
    assert row["label_ja"]
    assert row["label_en"]
    assert sum(row["counts"]) == 1
    assert sum(row["counts_year_before"]) == 0
    [listed] = later["cases"]
    assert (listed["tracking_id"], listed["elapsed_days"]) == (case.tracking_id, 91)

    bad = client.get(URL, {"day": "2026-13-40"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"]["day"]


def test_only_handlers(client):
    from tests.factories import UserFactory

    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=_token(UserFactory())).status_code == 404
