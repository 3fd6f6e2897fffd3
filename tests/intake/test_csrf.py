"""CSRF on the API with real checks on (the default test client switches them off)."""

from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from earlywarn.intake.models import Report
from tests.factories import UserFactory, product_submission

pytestmark = pytest.mark.django_db
BODY = json.dumps({"kind": "product", **product_submission()})


def test_anonymous_submission_without_cookies_is_accepted():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/reports", data=BODY, content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_logged_in_session_without_a_csrf_token_is_refused_and_saves_nothing():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post("/api/v1/reports", data=BODY, content_type="application/json")
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_staff_session_actions_need_csrf(handler):
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client(enforce_csrf_checks=True)
    client.force_login(handler)
    response = client.post("/api/v1/cases/00000000-0000-0000-0000-000000000000/actions/accept")
    assert response.status_code == 403
