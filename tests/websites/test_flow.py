"""The website flow end to end, as a new user would try it: a test site on loopback serving a security.txt, a real
SMTP server on loopback, the handler working through the API, the operator through the link from the mail."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.utils import timezone

from earlywarn.accounts.services import token_create
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.config.worker import run_worker
from earlywarn.websites.notification import reminders_due
from tests.factories import submit
from tests.websites.site import security_txt, text

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LINK = re.compile(r"https?://\S+/operator/[A-Za-z0-9_-]+/")


def _api(client, token):
    def act(case, action, **data):
        response = client.post(f"/api/v1/cases/{case.id}/actions/{action}", data=json.dumps(data),
                               content_type="application/json", headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.json()
    return act


@pytest.fixture
def handler_api(client, handler):
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    _token, raw = token_create(user=handler, name="test")
    return _api(client, raw)


def _deliver(sink):
    before = len(sink.received)
    run_worker(batch=True, interval=0)
    return sink.received[before:]


def test_report_to_page_deleted(client, handler, handler_api, site, loopback_fetch, smtp_settings, smtp_sink):
    smtp_sink.start()
    site.routes["/.well-known/security.txt"] = text(security_txt(email="webmaster@shop.example.test"))
    receipt = submit("website", url=f"{site.base}/search?q=%27", description="検索欄に ' を入れるとエラー",
                     reproduction="canary-reproduction-steps")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    _deliver(smtp_sink)  # the finder's acknowledgement and acceptance mails

    status, out = handler_api(case, "notify_operator")
    assert (status, list(out["error"]["fields"])) == (422, ["contact"])
    status, out = handler_api(case, "discover_contacts")
    assert status == 200, out
    assert out["result"]["found"]["contacts"][0] == ["email", "webmaster@shop.example.test"]
    status, out = handler_api(case, "record_contact", email="webmaster@shop.example.test", source="security_txt",
                              organisation_name="株式会社ショップ", operator_type="unlisted_company", audience="small")
    assert status == 200, out
    status, out = handler_api(case, "notify_operator")
    assert status == 200, out
    assert out["state"] == "operator_notified"
    case.refresh_from_db()
    assert case.notified_at is not None
    assert case.operator_type == "unlisted_company"
    assert case.vulnerability_type == "sql_injection"

    [notice] = [m for m in _deliver(smtp_sink) if m.to == ["webmaster@shop.example.test"]]
    assert case.tracking_id in notice.subject
    assert CJK.search(notice.subject + notice.body)
    assert "データベース" in notice.body  # plain words for a non-engineer
    assert "ITコーディネータ" in notice.body  # where to get help
    assert "canary-reproduction-steps" not in notice.subject + notice.body  # details only behind the link
    link = LINK.search(notice.body).group(0)

    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ja">' in html
    assert "canary-reproduction-steps" in html  # the technical details, for their engineer
    assert "山田" not in html
    assert "finder@example.test" not in html
    assert page.headers["Cache-Control"] == "no-store"
    assert client.post(link, {"action": "acknowledge"}).status_code == 302
    assert client.post(link, {"action": "add_builder", "organisation_name": "制作会社", "email": "dev@builder.test"}
                       ).status_code == 302
    [invite] = _deliver(smtp_sink)
    assert invite.to == ["dev@builder.test"]
    assert LINK.search(invite.body)
    builder_page = client.get(LINK.search(invite.body).group(0))
    assert builder_page.status_code == 200
    assert "canary-reproduction-steps" in builder_page.content.decode()
    bad = client.post(link, {"action": "report_fix", "kind": "workaround"})  # 運用で回避 needs a description
    assert bad.status_code == 422
    assert Case.objects.get(pk=case.pk).fix_reports.count() == 0
    assert client.post(link, {"action": "report_fix", "kind": "page_deleted"}).status_code == 302
    assert client.post(link, {"action": "message", "body": "削除しました。"}).status_code == 302

    status, out = handler_api(case, "verify_fix", result="fixed", note="ページが 404 であることを確認")
    assert status == 200, out
    case.refresh_from_db()
    assert (case.state, case.published_category.ja, case.sub_status.ja) == ("fixed_page_deleted", "修正完了",
                                                                           "当該ページを削除")
    assert timezone.localdate(case.closed_at) == timezone.localdate()  # the fix date
    tags = list(case.events.values_list("tag", flat=True))
    for tag in ("case:contact:discovered", "case:contact:recorded", "case:state:notify_operator",
                "case:operator:acknowledged", "case:builder:added", "case:operator:fix_reported",
                "case:message:posted", "case:state:close_page_deleted"):
        assert tag in tags
    assert client.post(link, {"action": "acknowledge"}).status_code == 422  # closed: nothing more to do
    assert client.get(link).status_code == 200  # the page still shows the outcome


def test_no_answer_becomes_prolonged_and_is_closed_unable(client, handler, handler_api, smtp_settings, smtp_sink):
    smtp_sink.start()
    receipt = submit("website", finder_email="")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    assert handler_api(case, "record_contact", email="info@quiet.example.test", operator_type="other_company")[0] == 200
    assert handler_api(case, "notify_operator")[0] == 200
    assert len(_deliver(smtp_sink)) == 1
    with time_machine.travel(timezone.now() + timedelta(days=89)):
        client.force_login(handler)  # sessions last hours, not months
        page = client.get("/console/websites/prolonged/")
        assert page.status_code == 200
        assert str(case.id) not in page.content.decode()
        assert reminders_due() == 1
        assert reminders_due() == 0
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        client.force_login(handler)
        page = client.get("/console/websites/prolonged/").content.decode()
        assert str(case.id) in page
        assert reminders_due() == 1
        [*_earlier, reminder] = _deliver(smtp_sink)
        assert reminder.to == ["info@quiet.example.test"]
        assert "まだ" in reminder.body
        status, out = handler_api(case, "close_unable_no_response", reason="90 日以上回答なし")
        assert status == 200, out
        assert out["state"] == "unable_no_response"
        assert out["category"] == "unable"
        assert str(case.id) not in client.get("/console/websites/prolonged/").content.decode()
