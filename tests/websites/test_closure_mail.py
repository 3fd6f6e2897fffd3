"""The closing word to the operator: polite, in its language, the outcome and nothing of the details."""

from __future__ import annotations

import pytest

from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.config.worker import run_worker
from earlywarn.notify.models import OutboxMessage
from earlywarn.websites.closures import alert_publish, website_close
from earlywarn.websites.contacts import contact_record
from earlywarn.websites.notification import operator_notify
from tests.factories import submit

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
CANARY = "canary-reproduction-steps"


def _notified(handler, language="ja", email="ops@shop.example.test"):
    actor = Actor.for_user(handler)
    case = case_judge(actor=actor, case=submit("website", finder_email="", reproduction=CANARY).case, accept=True)
    contact_record(actor=actor, case=case, data={"email": email, "operator_type": "individual",
                                                 "language": language})
    return operator_notify(actor=actor, case=case)


def _closing(case):
    return list(OutboxMessage.objects.filter(case=case, template="operator_closed"))


def test_closure_mail_in_the_contacts_language(handler, smtp_settings, smtp_sink):
    smtp_sink.start()
    actor = Actor.for_user(handler)
    ja, en = _notified(handler), _notified(handler, "en", "ops@en.example.test")
    website_close(actor=actor, case=ja, action="close_unable_operator_declined", reason="対応しないとの回答")
    website_close(actor=actor, case=en, action="close_not_vulnerability", reason="not a vulnerability")
    run_worker(batch=True, interval=0)
    [mail_ja] = [m for m in smtp_sink.received if f"[{ja.tracking_id}]" in m.subject and "終了" in m.subject]
    assert "ご協力" in mail_ja.body
    assert "取扱不能" in mail_ja.body
    [mail_en] = [m for m in smtp_sink.received if f"[{en.tracking_id}]" in m.subject
                 and "closed" in m.subject]
    assert "Thank you for your cooperation" in mail_en.body
    for mail in (mail_ja, mail_en):
        assert CANARY not in mail.subject + mail.body
        assert "/operator/" in mail.body


def test_no_closure_mail_to_a_contact_never_notified(handler):
    actor = Actor.for_user(handler)
    case = case_judge(actor=actor, case=submit("website", finder_email="").case, accept=True)
    contact_record(actor=actor, case=case, data={"email": "ops@shop.example.test", "operator_type": "individual"})
    closed = website_close(actor=actor, case=case, action="close_not_vulnerability", reason="誤報")
    assert closed.state != "content_check"
    assert _closing(case) == []


def test_an_alert_tells_each_notified_operator(handler):
    case = _notified(handler)
    alert = alert_publish(actor=Actor.for_user(handler), title="注意喚起", body="対策してください。",
                          case_ids=[case.id])
    [mail] = _closing(case)
    assert f"/alerts/{alert.id}/" in mail.body_text
    assert CANARY not in mail.body_text
