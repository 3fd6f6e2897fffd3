"""The developer portal in a real browser: the invitation link from the notice as delivered to a real SMTP server,
an account for the developer, the portal, confirming receipt and stating a product — in Japanese and in English —
and a second developer of the same multi-vendor case who does not see the first one's statements."""

from __future__ import annotations

import re

import pytest

from earlywarn.accounts.models import Membership
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.config.worker import run_worker
from earlywarn.coordination import services
from tests import factories
from tests.factories import submit

pytestmark = [pytest.mark.browser, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LINK = re.compile(r"https?://\S+/invitations/[\w-]+/")
PASSWORD = "a long enough passphrase 42"


def _case(handler, coordinator, language):
    case = case_judge(actor=Actor.for_user(handler), case=submit("product", description="管理画面に XSS").case,
                      accept=True)
    org_a = factories.OrganisationFactory(name="エー株式会社", name_en="A Corp", contact_email="psirt@a.example.test")
    org_b = factories.OrganisationFactory(name="ビー株式会社", name_en="B Corp", contact_email="psirt@b.example.test")
    services.coordination_start(actor=Actor.for_user(coordinator), case=case, organisations=f"{org_a.id},{org_b.id}",
                                language=language)
    return Case.objects.get(pk=case.pk), org_a, org_b


def _invitations(sink):
    run_worker(batch=True, interval=0)  # the worker delivers the notices to the SMTP server on loopback
    return {mail.to[0]: LINK.search(mail.body).group(0) for mail in sink.received if "/invitations/" in mail.body}


def _sign_up(page, link, name):
    page.goto(link)
    page.fill("#inv-name", name)
    page.fill("#inv-password1", PASSWORD)
    page.fill("#inv-password2", PASSWORD)
    page.click("#do-sign-up")


def test_developer_portal_in_japanese(page, browser, live_server, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    case, org_a, _org_b = _case(handler, coordinator, "ja")
    links = _invitations(smtp_sink)
    assert set(links) == {"psirt@a.example.test", "psirt@b.example.test"}

    _sign_up(page, links["psirt@a.example.test"], "エー担当")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert case.tracking_id in page.locator("h1").inner_text()
    assert Membership.objects.filter(user__email="psirt@a.example.test", organisation=org_a).exists()
    assert "管理画面に XSS" in page.locator("#report").inner_text()
    assert page.locator("#target-date").inner_text().startswith(str(case.coordination.target_date))
    page.click("#do-acknowledge")
    assert page.locator("#do-acknowledge").count() == 0
    page.fill("#st-product", "ExampleCMS")
    page.fill("#st-version", "4.2")
    page.select_option("#st-status", "fixed")
    page.click("#do-state")  # fixed without the fixed version: a Japanese error, nothing saved
    assert CJK.search(page.locator("#page-error").inner_text())
    assert not case.product_statements.exists()
    page.fill("#st-product", "ExampleCMS")
    page.fill("#st-version", "4.2")
    page.select_option("#st-status", "fixed")
    page.fill("#st-fixed", "4.3")
    page.fill("#st-statement", "4.3 で修正しました。")
    page.click("#do-state")
    assert "4.3 で修正しました。" in page.locator("#statements").inner_text()
    assert case.developer_notices.get(organisation=org_a).acknowledged_at is not None

    # The second developer of the same case, in its own browser: its own portal, none of A's answers.
    other = browser.new_context(locale="ja-JP", base_url=live_server.url)
    second = other.new_page()
    second.set_default_timeout(15_000)
    _sign_up(second, links["psirt@b.example.test"], "ビー担当")
    assert case.tracking_id in second.locator("h1").inner_text()
    assert "4.3 で修正しました。" not in second.content()
    assert "ExampleCMS" not in second.locator("#statements").inner_text()
    assert second.locator("#do-acknowledge").count() == 1
    second.goto("/developer/")
    assert case.tracking_id in second.locator("#cases").inner_text()
    other.close()


def test_developer_portal_in_english(page, live_server, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    case, org_a, _org_b = _case(handler, coordinator, "en")
    links = _invitations(smtp_sink)
    mail = next(m for m in smtp_sink.received if m.to == ["psirt@a.example.test"])
    assert not CJK.search(mail.subject)
    assert "A Corp" in mail.body

    page.goto(links["psirt@a.example.test"])
    page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "A Corp" in page.locator("#invited-organisation").inner_text()
    _sign_up(page, links["psirt@a.example.test"], "A contact")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "What we ask you to do" in page.locator("#todo").inner_text()
    page.click("#do-acknowledge")
    page.fill("#dp-reasons", "")
    page.fill("#st-product", "A-Router")
    page.fill("#st-version", "1.x")
    page.select_option("#st-status", "not_affected")
    page.fill("#st-statement", "A-Router is not affected.")
    page.click("#do-state")
    assert "A-Router is not affected." in page.locator("#statements").inner_text()
    page.click("#do-dispute")  # no reasons: an English error, nothing recorded
    error = page.locator("#page-error").inner_text()
    assert error
    assert not CJK.search(error)
    assert not case.events.filter(tag="case:developer:disputed").exists()
    assert case.product_statements.get(organisation=org_a).status == "not_affected"
