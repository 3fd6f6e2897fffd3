"""The coordinator's panel in a real browser: coordination starts from the open form, the rarer actions wait
folded, one line each, and open with a click."""

from __future__ import annotations

import pytest
from django.test import Client

from earlywarn.accounts.models import OrganisationKind
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from tests import factories
from tests.advisories.conftest import with_mfa
from tests.browser.conftest import log_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_starts_coordination_and_opens_a_folded_action(page, live_server):
    handler, coordinator = factories.handler(), with_mfa(factories.coordinator())
    developer = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER, name="折りたたみ株式会社",
                                              contact_email="psirt@fold.example.test")
    case = case_judge(actor=Actor.for_user(handler), case=factories.submit("product").case, accept=True)
    log_in_as(page, live_server, Client(), coordinator)
    page.goto(f"/console/cases/{case.id}/")

    start = page.locator("#action-developers")
    assert start.get_attribute("open") is not None  # the next step is open
    page.select_option("#dev-orgs", str(developer.id))
    start.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert Case.objects.get(pk=case.pk).state == "coordinating"

    assert page.locator("#actions").count() == 0  # no judgment left to make: no empty "Actions" panel
    attempt = page.locator("#action-contact-attempt")
    assert attempt.get_attribute("open") is None
    assert not page.locator("#ca-note").is_visible()  # folded: one line, its summary
    assert page.locator("#action-developers").get_attribute("open") is None  # a further developer: folded too
    attempt.locator("summary").click()
    page.fill("#ca-note", "代表電話に伝言")
    attempt.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert CaseEvent.objects.filter(case=case, tag__contains="contact").exists()
    assert "代表電話に伝言" in page.locator("body").inner_text()
