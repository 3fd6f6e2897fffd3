"""Report in Japanese → the acknowledgement arrives over SMTP → staff accept in the console → the finder,
following the link from the mail, sees the new status and writes back."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.cases.models import Case
from earlywarn.config.worker import run_worker
from earlywarn.notify.models import OutboxMessage, OutboxStatus
from tests.browser.conftest import log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _fill_product_report(page) -> None:
    page.fill("#id_product_name", "サンプル管理システム")
    page.fill("#id_vendor_name", "サンプル株式会社")
    page.fill("#id_product_version", "2.1")
    page.fill("#id_cwe", "CWE-79")
    page.fill("#id_title", "コメント欄に格納型クロスサイト・スクリプティング")
    page.fill("#id_description", "コメント欄の入力がエスケープされずに管理画面に表示されます。")
    page.fill("#id_reproduction", "1. コメントに <script>alert(1)</script> を投稿\n2. 管理画面を開く")
    page.fill("#id_finder_name", "山田 花子")
    page.fill("#id_finder_email", "hanako@example.test")


def test_report_in_japanese_then_staff_accepts_then_finder_sees_status(
    page, live_server, client, handler, smtp_settings, smtp_sink
):
    smtp_sink.start()
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})

    page.goto("/report/product/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.click("#submit-report")  # empty form: errors in Japanese, nothing saved
    assert CJK.search(page.locator(".errorlist").first.inner_text())
    assert Case.objects.count() == 0
    _fill_product_report(page)
    page.click("#submit-report")

    tracking_id = page.locator("#tracking-id").inner_text()
    assert tracking_id.startswith("EW-")

    run_worker(batch=True, interval=0)  # the worker delivers the acknowledgement to the SMTP server
    [ack] = smtp_sink.received
    assert ack.to == ["hanako@example.test"]
    assert tracking_id in ack.subject
    assert CJK.search(ack.body)
    assert "格納型" not in ack.subject + ack.body  # no vulnerability details in mail
    status_link = re.search(r"https?://\S+/status/\S+/", ack.body).group(0)

    finder = page.context.browser.new_context(locale="ja-JP").new_page()
    finder.goto(status_link)
    assert finder.locator("#status").inner_text() == "取扱い中"
    assert finder.locator("#judgment").inner_text() == "受理判断待ち"

    log_in_as(page, live_server, client, handler)
    page.goto("/console/")
    page.click(f"text={tracking_id}")
    page.fill("#accept-reason", "内容を確認しました")
    page.click("#do-accept")
    assert page.locator("#case-state").inner_text() == "内容確認中"

    case = Case.objects.get(report__tracking_id=tracking_id)
    assert case.state == "content_check"
    assert case.events.filter(tag="case:state:accept").count() == 1

    run_worker(batch=True, interval=0)
    assert [r.subject for r in smtp_sink.received].count(ack.subject) == 1
    changed = smtp_sink.received[-1]
    assert changed.to == ["hanako@example.test"]
    assert tracking_id in changed.subject
    assert OutboxMessage.objects.filter(case=case, status=OutboxStatus.SENT).count() == 2

    finder.reload()
    assert finder.locator("#status").inner_text() == "取扱い中"  # the published category is unchanged …
    assert finder.locator("#judgment").inner_text().startswith("受理")  # … and the finder sees the acceptance
    finder.fill("#id_body", "追加の情報です。")
    finder.click("text=メッセージを送信")
    assert "追加の情報です。" in finder.locator(".msg").last.inner_text()
    assert case.messages.filter(from_finder=True).count() == 1
