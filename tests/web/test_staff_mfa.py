"""Staff reach case data only with a second factor (security.md test 33): TOTP at login, no bypass by session."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _login(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def test_staff_without_mfa_are_sent_to_set_it_up_and_get_no_data(client, handler):
    _verified(handler)
    assert _login(client, handler).status_code == 302
    console = client.get("/console/")
    assert console.status_code == 302
    assert console.headers["Location"] == "/accounts/2fa/totp/activate/"
    api = client.get("/api/v1/cases")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "mfa_required"


def test_staff_login_needs_a_valid_totp_code_and_a_code_works_once(client, handler):
    _verified(handler)
    secret = generate_totp_secret()
    TOTP.activate(handler, secret)

    first = _login(client, handler)
    assert first.headers["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/console/").status_code == 302  # half-way through login is not logged in
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert client.get("/console/").status_code == 302

    code = _code(secret)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert client.get("/console/").status_code == 200

    client.post("/accounts/logout/")
    _login(client, handler)
    client.post("/accounts/2fa/authenticate/", {"code": code})  # replay of a used code
    assert client.get("/console/").status_code == 302


def test_finders_are_not_forced_into_mfa(client):
    finder = _verified(UserFactory())
    assert _login(client, finder).status_code == 302
    assert client.get("/my/reports/").status_code == 200
