"""Encrypted operator mail to a pinned OpenPGP key (security.md threat 3 and test 25; decision 0006).

Real keys made by gpg in the test, a test site on loopback serving the key, a real SMTP server: the received
message is decrypted with the key's secret half and the details are found in it; whenever the key cannot be used
the plain, link-only notice goes instead and the case records why. No details ever travel in plaintext.
"""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.accounts.services import token_create
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.config.worker import run_worker
from earlywarn.notify.models import OutboxMessage
from tests.factories import submit
from tests.notify.pgpkeys import make_key
from tests.websites.site import text

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"https?://\S+/operator/[A-Za-z0-9_-]+/")
CANARY = "canary-reproduction-steps"


@pytest.fixture
def handler_api(client, handler):
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    _token, raw = token_create(user=handler, name="test")

    def act(case, action, **data):
        response = client.post(f"/api/v1/cases/{case.id}/actions/{action}", data=json.dumps(data),
                               content_type="application/json", headers={"Authorization": f"Bearer {raw}"})
        return response.status_code, response.json()
    return act


def _deliver(sink):
    before = len(sink.received)
    run_worker(batch=True, interval=0)
    return sink.received[before:]


@pytest.fixture
def web_case(handler, handler_api, site, loopback_fetch, smtp_settings, smtp_sink):
    smtp_sink.start()
    receipt = submit("website", url=f"{site.base}/search?q=%27", description="検索欄に ' を入れるとエラー",
                     reproduction=CANARY)
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    _deliver(smtp_sink)
    status, out = handler_api(case, "record_contact", email="security@shop.example.test", source="security_txt",
                              organisation_name="株式会社ショップ", operator_type="unlisted_company",
                              encryption=f"{site.base}/pgp-key.txt")
    assert status == 200, out
    return case


def _pin(handler_api, site, case, key):
    site.routes["/pgp-key.txt"] = text(key.public, content_type="application/pgp-keys")
    contact = case.website_contacts.get()
    status, out = handler_api(case, "inspect_key", contact=str(contact.id))
    assert status == 200, out
    [seen] = out["result"]["keys"]
    assert seen["fingerprint"] == key.fingerprint
    assert seen["user_ids"] == ["Shop Security <security@shop.example.test>"]
    assert "armored" not in seen
    contact.refresh_from_db()
    assert contact.pgp_fingerprint == ""  # seeing a key pins nothing
    status, out = handler_api(case, "pin_key", contact=str(contact.id), fingerprint=key.fingerprint)
    assert status == 200, out
    contact.refresh_from_db()
    assert contact.pgp_fingerprint == key.fingerprint
    return contact


def _plain_only(message, case):
    assert case.tracking_id in message.subject
    assert CANARY not in message.raw.decode("utf-8", "replace")
    assert "BEGIN PGP MESSAGE" not in message.raw.decode("ascii", "replace")
    assert LINK.search(message.body)


def test_round_trip_to_pinned_key(client, handler_api, site, smtp_sink, web_case):
    key = make_key()
    contact = _pin(handler_api, site, web_case, key)
    pinned = web_case.events.get(tag="case:contact:key_pinned")
    assert pinned.data["fingerprint"] == key.fingerprint
    assert handler_api(web_case, "notify_operator")[0] == 200
    stored = OutboxMessage.objects.get(to=contact.email)
    assert CANARY not in stored.body_text  # the plain fallback never has the details
    [notice] = _deliver(smtp_sink)

    assert notice.to == ["security@shop.example.test"]
    assert notice.subject.count(web_case.tracking_id) == 1
    assert CANARY not in notice.subject
    assert CANARY not in notice.raw.decode("ascii", "replace")
    outer = message_from_bytes(notice.raw, policy=email_policy.default)
    assert outer.get_content_type() == "multipart/encrypted"
    assert outer.get_param("protocol") == "application/pgp-encrypted"
    control, payload = outer.iter_parts()
    assert control.get_content_type() == "application/pgp-encrypted"
    assert b"Version: 1" in control.get_payload(decode=True)
    inner = message_from_bytes(key.decrypt(payload.get_payload(decode=True)), policy=email_policy.default)
    body = inner.get_content()
    assert CANARY in body  # the details, readable only with the pinned key
    assert "検索欄" in body
    link = LINK.search(body).group(0)
    assert client.get(link).status_code == 200
    stored.refresh_from_db()
    assert (stored.status, stored.encrypted, stored.secure_body) == ("sent", True, "")
    assert not web_case.events.filter(tag="case:mail:key_unusable").exists()

    status, _out = handler_api(web_case, "unpin_key", contact=str(contact.id))
    assert status == 200
    contact.refresh_from_db()
    assert (contact.pgp_fingerprint, contact.pgp_key) == ("", "")
    assert web_case.events.filter(tag="case:contact:key_unpinned").exists()


@pytest.mark.parametrize("state", ["expired", "revoked", "fingerprint", "missing"])
def test_unusable_key_sends_the_plain_notice(handler_api, site, smtp_sink, web_case, settings, state):
    settings.EARLYWARN = {**settings.EARLYWARN, "OPERATOR_MAIL_DETAILS": True}  # even so: never in plaintext
    key = make_key()
    contact = _pin(handler_api, site, web_case, key)
    if state == "expired":  # pinned once, expired by now (pinning an expired key is refused, see below)
        contact.pgp_key = make_key(expired=True).public
        contact.pgp_fingerprint = _fingerprint(contact.pgp_key)
        contact.save()
    elif state == "fingerprint":  # the stored key is another one than the pinned fingerprint
        contact.pgp_key = make_key().public
        contact.save()
    assert handler_api(web_case, "notify_operator")[0] == 200
    if state == "revoked":  # the handler looks at the key again and the site now serves its revocation
        site.routes["/pgp-key.txt"] = text(_revoke(key), content_type="application/pgp-keys")
        status, out = handler_api(web_case, "inspect_key", contact=str(contact.id))
        assert status == 200, out
        assert out["result"]["keys"][0]["problem"] == "revoked"
        assert web_case.events.filter(tag="case:contact:key_inspected", data__pinned_refreshed=True).exists()
    elif state == "missing":  # unpinned after the mail was written
        assert handler_api(web_case, "unpin_key", contact=str(contact.id))[0] == 200
    [notice] = _deliver(smtp_sink)
    _plain_only(notice, web_case)
    event = web_case.events.get(tag="case:mail:key_unusable")
    assert event.data["reason"] == state
    stored = OutboxMessage.objects.get(to=contact.email)
    assert (stored.status, stored.encrypted, stored.secure_body) == ("sent", False, "")


def _fingerprint(armored: str) -> str:
    from earlywarn.notify.pgp import key_inspect

    return key_inspect(armored)[0].fingerprint


def _revoke(key) -> str:
    """``key`` revoked in its own home with the certificate gpg wrote at generation; its public half."""
    gpg = key.gpg()
    certificate = (Path(key.home.name) / "openpgp-revocs.d" / f"{key.fingerprint}.rev").read_text()
    gpg.import_keys(certificate.replace(":-----BEGIN", "-----BEGIN"))
    return str(gpg.export_keys(key.fingerprint))


@pytest.mark.parametrize("kind", ["expired", "revoked", "no_encryption"])
def test_an_unusable_key_cannot_be_pinned(handler_api, site, web_case, kind):
    key = make_key(expired=kind == "expired", revoked=kind == "revoked", encrypt=kind != "no_encryption")
    contact = web_case.website_contacts.get()
    status, out = handler_api(web_case, "inspect_key", contact=str(contact.id), key=key.public)
    assert status == 200, out
    assert out["result"]["keys"][0]["problem"] == kind
    status, out = handler_api(web_case, "pin_key", contact=str(contact.id), fingerprint=key.fingerprint)
    assert status == 422, out
    contact.refresh_from_db()
    assert contact.pgp_fingerprint == ""
    assert not web_case.events.filter(tag="case:contact:key_pinned").exists()


def test_bad_key_input_is_a_clear_error(handler_api, site, web_case):
    contact = web_case.website_contacts.get()
    site.routes["/pgp-key.txt"] = text("<html>not a key</html>", content_type="text/html")
    for data in ({"contact": str(contact.id)}, {"contact": str(contact.id), "key": "garbage"},
                 {"contact": "nobody"}):
        status, out = handler_api(web_case, "inspect_key", **data)
        assert status == 422, out
        assert out["error"]["message"]
    key = make_key()
    for fingerprint in ("", "xyz", key.fingerprint):  # the last: never inspected, so nothing to pin
        status, out = handler_api(web_case, "pin_key", contact=str(contact.id), fingerprint=fingerprint)
        assert status == 422, out
    status, out = handler_api(web_case, "unpin_key", contact=str(contact.id))
    assert status == 422, out
    assert not web_case.events.filter(tag__in=["case:contact:key_pinned", "case:contact:key_inspected"]).exists()
