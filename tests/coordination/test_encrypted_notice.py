"""A developer whose directory entry holds its OpenPGP key gets the notice with the report's details, encrypted to
exactly that key; the plain copy in the outbox carries none (decision 0006). A real key, a real SMTP server."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.accounts.models import Organisation
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.config.worker import run_worker
from earlywarn.coordination import services
from earlywarn.notify.models import OutboxMessage
from tests.factories import submit
from tests.notify.pgpkeys import make_key

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
CANARY = "canary-reproduction-encrypted"


def test_notice_encrypted_to_the_directory_key(client, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    key, other = make_key("psirt@a.example.test"), make_key("someone@else.example.test")
    Authenticator.objects.create(user=coordinator, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(coordinator)
    form = {"name": "エー株式会社", "contact_email": "psirt@a.example.test", "pgp_key": other.public,
            "pgp_fingerprint": key.fingerprint}
    assert client.post("/console/developers/", form).status_code == 422  # the key does not match the fingerprint
    assert not Organisation.objects.filter(name="エー株式会社").exists()
    assert client.post("/console/developers/", {**form, "pgp_key": key.public}).status_code == 302
    org = Organisation.objects.get(name="エー株式会社")

    receipt = submit("product", reproduction=CANARY, finder_name="山田 太郎")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    run_worker(batch=True, interval=0)
    before = len(smtp_sink.received)
    services.coordination_start(actor=Actor.for_user(coordinator), case=case, organisations=str(org.id))
    stored = OutboxMessage.objects.get(template="developer_notification")
    assert CANARY not in stored.body_text
    run_worker(batch=True, interval=0)
    [notice] = smtp_sink.received[before:]
    assert CANARY not in notice.raw.decode("ascii", "replace")
    outer = message_from_bytes(notice.raw, policy=email_policy.default)
    assert outer.get_content_type() == "multipart/encrypted"
    _control, payload = outer.iter_parts()
    body = message_from_bytes(key.decrypt(payload.get_payload(decode=True)), policy=email_policy.default).get_content()
    assert CANARY in body
    assert "/invitations/" in body
    assert "山田" not in body  # never the finder's identity in mail
