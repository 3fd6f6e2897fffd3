"""The handler's console for a website case: the panel's forms perform the same actions as the API."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from tests.factories import submit

pytestmark = pytest.mark.django_db


def test_console_records_notifies_messages_and_closes(client, handler):
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    case = case_judge(actor=Actor.for_user(handler), case=submit("website").case, accept=True)
    client.force_login(handler)
    url = f"/console/cases/{case.id}/website/"
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert 'id="do-record-contact"' in page
    assert 'id="do-notify"' in page
    client.post(url, {"action": "notify_operator"})  # no contact yet: an error message, nothing changes
    assert Case.objects.get(pk=case.pk).state == "content_check"
    client.post(url, {"action": "record_contact", "email": "ops@example.test", "operator_type": "individual"})
    client.post(url, {"action": "notify_operator"})
    case.refresh_from_db()
    assert case.state == "operator_notified"
    org = case.website_contacts.get().organisation_id
    client.post(url, {"action": "message_operator", "organisation": str(org), "body": "ご確認をお願いします。"})
    assert case.messages.get().organisation_id == org
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert 'id="do-close_unable_operator_declined"' in page
    client.post(url, {"action": "close_unable_operator_declined", "reason": "対応しないとの回答"})
    assert Case.objects.get(pk=case.pk).state == "unable_operator_declined"


def test_console_pastes_inspects_and_pins_a_key(client, handler):
    from tests.notify.pgpkeys import make_key

    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    case = case_judge(actor=Actor.for_user(handler), case=submit("website").case, accept=True)
    client.force_login(handler)
    url = f"/console/cases/{case.id}/website/"
    client.post(url, {"action": "record_contact", "email": "ops@example.test", "operator_type": "individual"})
    contact = case.website_contacts.get()
    key = make_key("ops@example.test")
    client.post(url, {"action": "inspect_key", "contact": str(contact.id), "key": "not a key"})
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert "OpenPGP 公開鍵が含まれていません" in page  # a translated error, nothing recorded
    client.post(url, {"action": "inspect_key", "contact": str(contact.id), "key": key.public})
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert key.fingerprint in page
    assert "ops@example.test" in page
    assert 'name="fingerprint"' in page
    client.post(url, {"action": "pin_key", "contact": str(contact.id), "fingerprint": key.fingerprint})
    contact.refresh_from_db()
    assert contact.pgp_fingerprint == key.fingerprint
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert 'class="mono pinned-fingerprint"' in page
