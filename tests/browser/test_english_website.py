"""A website report in English (switching language in the page), then staff reclassify it to the product flow."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.cases.models import Case
from tests.browser.conftest import log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_website_report_in_english_and_reclassification(page, live_server, client, handler):
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    page.goto("/report/website/")
    page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Report a vulnerability in a website"

    page.fill("#id_url", "javascript:alert(1)")
    page.fill("#id_title", "Search box reflects input")
    page.fill("#id_description", "The q parameter is echoed without escaping.")
    page.fill("#id_reproduction", "Open /search?q=<script>alert(1)</script>")
    page.select_option("#id_website_type", "xss")
    page.select_option("#id_threat", "false_information")
    page.click("#submit-report")
    assert "Enter a valid URL." in page.locator(".errorlist").first.inner_text()
    assert Case.objects.count() == 0

    page.fill("#id_url", "https://shop.example.test/search")
    page.click("#submit-report")
    tracking_id = page.locator("#tracking-id").inner_text()
    assert "Save it now" in page.content()  # no e-mail given: the page says the link is shown only here

    log_in_as(page, live_server, client, handler)
    page.goto("/console/")
    page.click(f"text={tracking_id}")
    page.fill("#reclassify-reason", "The flaw is in the shop software, not this site's configuration")
    page.click("#do-reclassify")
    case = Case.objects.get(report__tracking_id=tracking_id)
    assert case.flow == "product"
    assert case.report.kind == "website"  # the original submission is untouched
    history = page.locator("#events").inner_text()
    assert history.count("Moved to the other flow") == 1  # the event in words (its tag is the cell's title)
    assert "(product)" in history
