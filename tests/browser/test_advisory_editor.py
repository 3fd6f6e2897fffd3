"""A coordinator writes a bilingual advisory with two developers' products in the Japanese console, sees the
missing translation marked, previews HTML, CSAF and OSV; an administrator approves; the coordinator publishes;
the public page shows it in Japanese and English."""

from __future__ import annotations

import json
import os
import re

import pytest
from django.test import Client

from earlywarn.accounts.models import OrganisationKind
from earlywarn.advisories.models import Advisory
from tests import factories
from tests.advisories.conftest import with_mfa
from tests.browser.conftest import log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE_JA = "ExampleCMS および WidgetLib におけるクロスサイトスクリプティングの脆弱性"
TITLE_EN = "Cross-site scripting vulnerability in ExampleCMS and WidgetLib"


def _texts(page, *, impact_en: str) -> None:
    for name, ja, en in (
        ("title", TITLE_JA, TITLE_EN),
        ("overview", "複数の製品に格納型クロスサイトスクリプティングの脆弱性が存在します。",
         "Several products contain a stored cross-site scripting vulnerability."),
        ("description", "コメント欄の入力がエスケープされずに出力されます。",
         "Input to the comment field is output without escaping."),
        ("impact", "管理者のブラウザ上で任意のスクリプトを実行される可能性があります。", impact_en),
        ("solution", "開発者が提供する最新版にアップデートしてください。",
         "Update to the latest version provided by the developer."),
        ("credits", "山田 太郎 氏", "Taro Yamada"),
    ):
        page.fill(f"#id_{name}_ja", ja)
        page.fill(f"#id_{name}_en", en)


def test_coordinator_writes_previews_and_publishes_a_bilingual_advisory(page, browser, live_server, client):
    coordinator = with_mfa(factories.coordinator())
    admin = with_mfa(factories.administrator())
    example = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER, name="株式会社エグザンプル",
                                            name_en="Example Corp")
    widget = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER, name="ウィジェット合同会社",
                                           name_en="Widget LLC")
    log_in_as(page, live_server, client, coordinator)

    page.goto("/console/advisories/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.click("#new-advisory")
    page.check("input[name=kind][value=multi]")
    page.click("#new-advisory-form button[type=submit]")
    assert re.search(r"/console/advisories/[0-9a-f-]+/edit/$", page.url)
    advisory = Advisory.objects.get()
    assert advisory.tracking_id.startswith("EWVU#")

    # First save: English impact left empty, one vulnerability, two developers' products.
    _texts(page, impact_en="")
    page.fill("#id_vuln-0-cve", "CVE-2026-12345")
    page.fill("#id_vuln-0-cwe", "CWE-79")
    page.fill("#id_vuln-0-title_ja", "格納型 XSS")
    page.fill("#id_vuln-0-title_en", "Stored XSS")
    page.fill("#id_vuln-0-cvss_v3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
    page.fill("#id_vuln-0-cvss_v4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N")
    page.select_option("#id_prod-0-developer", str(example.id))
    page.fill("#id_prod-0-product_name_ja", "ExampleCMS")
    page.fill("#id_prod-0-product_name_en", "ExampleCMS")
    page.fill("#id_prod-0-versions", "4.2")
    page.fill("#id_prod-0-cpe", "cpe:2.3:a:example:examplecms:4.2:*:*:*:*:*:*:*")
    page.fill("#id_prod-0-statement_ja", "修正版 4.3 を公開しました。")
    page.fill("#id_prod-0-statement_en", "We released the fixed version 4.3.")
    page.select_option("#id_prod-1-developer", str(widget.id))
    page.fill("#id_prod-1-product_name_ja", "WidgetLib")
    page.fill("#id_prod-1-product_name_en", "WidgetLib")
    page.fill("#id_prod-1-versions", "vers:npm/>=1.0.0|<1.4.2")
    page.fill("#id_prod-1-purl", "pkg:npm/widgetlib")
    page.fill("#id_ref-0-url", "https://example.test/security/2026-01")
    page.fill("#id_ref-0-summary", "Vendor advisory")
    page.click("#save")

    assert page.locator("#missing-impact-en").is_visible()
    if os.environ.get("EARLYWARN_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["EARLYWARN_SCREENSHOTS"], "advisory-editor-ja.png"),
                        full_page=True)
    assert page.locator("#missing-title-en").count() == 0
    assert "CVSS 3.1: 6.1 (medium)" in page.locator("#scores").inner_text()
    advisory.refresh_from_db()
    assert advisory.version == 2
    assert sorted(advisory.products.values_list("developer_name_en", flat=True)) == ["Example Corp", "Widget LLC"]

    # An invalid vector is refused on its field, in Japanese; nothing is saved.
    page.fill("#id_vuln-0-cvss_v3", "CVSS:3.1/AV:N/AC:L")
    page.click("#save")
    assert "この CVSS ベクトルは正しくありません" in page.locator("#vulnerability-0 .errorlist").inner_text()
    advisory.refresh_from_db()
    assert advisory.version == 2
    page.goto(f"/console/advisories/{advisory.id}/edit/")

    page.fill("#id_impact_en", "An arbitrary script may be executed in an administrator's browser.")
    page.click("#save")
    assert page.locator("#missing-impact-en").count() == 0

    # Preview every format.
    page.click("#preview-html")
    assert page.locator("h1").inner_text() == TITLE_JA
    assert page.locator("#problems").count() == 0
    csaf = json.loads(page.request.get(f"/console/advisories/{advisory.id}/preview/?format=csaf").text())
    assert csaf["document"]["title"] == TITLE_JA
    assert csaf["document"]["tracking"]["id"] == advisory.tracking_id
    osv = page.request.get(f"/console/advisories/{advisory.id}/preview/?format=osv").json()
    assert osv["affected"][0]["package"] == {"ecosystem": "npm", "name": "widgetlib", "purl": "pkg:npm/widgetlib"}

    # The administrator approves this version.
    other = browser.new_context(locale="ja-JP", base_url=live_server.url)
    approver = other.new_page()
    log_in_as(approver, live_server, Client(), admin)  # its own session: the coordinator's stays
    approver.goto(f"/console/advisories/{advisory.id}/edit/")
    assert approver.locator("#two-person-rule").is_visible()
    approver.click("#approve")
    other.close()
    advisory.refresh_from_db()
    assert advisory.approved_by_id == admin.pk

    # The coordinator publishes.
    page.goto(f"/console/advisories/{advisory.id}/edit/")
    assert admin.email in page.locator("#approval-status").inner_text()
    page.click("#publish")
    assert advisory.revisions.filter(is_current=True).exists()

    page.goto(f"/advisories/{advisory.slug}/")
    assert page.locator("h1").inner_text() == TITLE_JA
    assert "株式会社エグザンプル" in page.content()
    assert "ウィジェット合同会社" in page.content()
    page.click("form.lang button[value=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text() == TITLE_EN
    assert "Widget LLC" in page.content()
