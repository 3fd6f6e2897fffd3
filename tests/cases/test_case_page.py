"""The console's case page shows the report as the finder filled it in: the form's questions, not field names."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from earlywarn.intake.forms import labelled_submission
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "label", "answer"), [
    ("ja", "製品名", "はい"), ("en", "Product name", "Yes")])
def test_the_report_is_shown_with_the_forms_labels(handler, language, label, answer):
    receipt = factories.submit("product", vendor_informed=True)
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(handler)
    page = client.get(f"/console/cases/{receipt.case.id}/").content.decode()
    facts = page[page.find('<dl class="facts">'):][:4000]
    assert f"<dt>{label}</dt>" in facts
    assert "<dt>product_name</dt>" not in facts
    assert "<dt>vendor_informed</dt>" not in facts
    assert f"<dd>{answer}</dd>" in facts


def test_a_field_the_form_no_longer_has_keeps_its_name_and_order_follows_the_form():
    rows = labelled_submission("website", {"threat": "data_tampering", "legacy": "x", "url": "https://a.test/"})
    assert [value for _label, value in rows][:1] == ["https://a.test/"]
    assert rows[-1] == ("legacy", "x")
    assert "data_tampering" not in [value for _label, value in rows]  # the choice's label, not its code


def test_a_coordinators_queue_opens_on_the_accepted_reports_awaiting_coordination(handler, coordinator):
    from earlywarn.cases.policy import Actor
    from earlywarn.cases.services import case_judge

    accepted = case_judge(actor=Actor.for_user(handler), case=factories.submit("product").case, accept=True)
    new = factories.submit("product").case
    for user in (handler, coordinator):
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client()
    client.force_login(coordinator)
    page = client.get("/console/").content.decode()
    assert accepted.tracking_id in page
    assert new.tracking_id not in page
    client.force_login(handler)
    page = client.get("/console/").content.decode()
    assert new.tracking_id in page  # a handler's queue still opens on the reports awaiting judgment
    assert accepted.tracking_id not in page


def test_every_event_the_code_records_has_a_label():
    """A new event tag in the code without a label fails here (the page would show the raw tag)."""
    import re
    from pathlib import Path

    from earlywarn.cases.event_labels import EVENT_LABELS
    from earlywarn.cases.policy import Action

    source = Path(__file__).resolve().parents[2] / "src" / "earlywarn"
    tags = set()
    for path in source.rglob("*.py"):
        tags |= set(re.findall(r"\"(case:[a-z_]+:[a-z_]+)\"", path.read_text(encoding="utf-8")))
    actions = {str(action.value) for action in Action}
    unlabelled = {tag for tag in tags - actions if not tag.startswith("case:state:")} - set(EVENT_LABELS)
    assert unlabelled == set()


@pytest.mark.parametrize(("language", "words"), [
    ("ja", [">受理<", "受付（受理判断待ち） → 内容確認中"]), ("en", ["Report received", " → "])])
def test_the_history_reads_as_words(handler, language, words):
    from earlywarn.cases.policy import Actor
    from earlywarn.cases.services import case_judge

    case = case_judge(actor=Actor.for_user(handler), case=factories.submit("product").case, accept=True)
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(handler)
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    history = page[page.find('id="events"'):][:3000]
    assert ">case:state:accept<" not in history
    assert "product/received" not in history
    for word in words:
        assert word in history, history


@pytest.mark.parametrize(("language", "internal", "published"), [
    ("ja", "内容確認中", "取扱い中"), ("en", "Content check", "In handling")])
def test_the_finder_sees_the_published_status_and_staff_the_internal_state(handler, language, internal, published):
    from earlywarn.cases.policy import Actor
    from earlywarn.cases.services import case_judge

    finder = factories.UserFactory()
    receipt = factories.submit("product", actor=Actor.for_user(finder))
    case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    receipt.case.refresh_from_db()
    assert receipt.case.state == "content_check"
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    shown = {}
    for who in (finder, handler):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(who)
        page = client.get(f"/console/cases/{receipt.case.id}/").content.decode()
        start = page.index('id="case-state">') + len('id="case-state">')
        shown[who] = page[start:page.index("<", start)]
    assert shown[finder] == published
    assert shown[handler] == internal


def test_a_coordinator_who_reported_a_website_sees_its_state_only_as_its_finder(coordinator):
    """Coordinators work the product flow: their own website report is theirs as a finder, not as staff."""
    from earlywarn.cases.policy import Actor

    own = factories.submit("website", actor=Actor.for_user(coordinator))
    product = factories.submit("product")
    Authenticator.objects.create(user=coordinator, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(coordinator)
    listed = {c["id"]: c for c in client.get("/api/v1/cases").json()}
    assert listed[str(own.case.id)]["state"] is None  # shown as its finder sees it
    assert listed[str(product.case.id)]["state"] == "received"
    by_state = {c["id"] for c in client.get("/api/v1/cases?state=received").json()}
    assert by_state == {str(product.case.id)}
    queue = client.get("/console/?state=all").content.decode()
    assert product.case.tracking_id in queue
    assert own.case.tracking_id not in queue
