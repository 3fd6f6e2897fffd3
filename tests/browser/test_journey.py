"""Report in Japanese → staff accepts in the console → the finder sees the new status."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.cases.models import Case
from earlywarn.notify.models import OutboxMessage
from tests.browser.conftest import log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def test_report_in_japanese_then_staff_accepts_then_finder_sees_status(page, live_server, client, handler):
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})

    page.goto("/report/product/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.click("#submit-report")  # empty form: errors in Japanese, nothing saved
    assert page.locator(".errorlist").first.is_visible()
    assert Case.objects.count() == 0
    _fill_product_report(page)
    page.click("#submit-report")

    tracking_id = page.locator("#tracking-id").inner_text()
    status_link = page.locator("#status-link").get_attribute("href")
    assert tracking_id.startswith("EW-")
    assert OutboxMessage.objects.filter(to="hanako@example.test", template="report_received").count() == 1

    finder = page.context.browser.new_context(locale="ja-JP").new_page()
    finder.goto(status_link)
    assert finder.locator("#status").inner_text() == "取扱い中"

    log_in_as(page, live_server, client, handler)
    page.goto("/console/")
    page.click(f"text={tracking_id}")
    page.fill("#accept-reason", "内容を確認しました")
    page.click("#do-accept")
    assert page.locator("#case-state").inner_text() == "内容確認中"

    case = Case.objects.get(report__tracking_id=tracking_id)
    assert case.state == "content_check"
    assert case.events.filter(tag="case:state:accept").count() == 1

    finder.goto(status_link)
    finder.fill("#id_body", "追加の情報です。")
    finder.click("text=メッセージを送信")
    assert "追加の情報です。" in finder.content()
    assert OutboxMessage.objects.filter(template="status_changed", case=case).count() == 1
