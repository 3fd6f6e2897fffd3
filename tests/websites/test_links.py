"""The operator's private link: expiring, revocable, one case only, never the finder's identity or staff notes."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.utils import timezone

from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, ActionDenied, Actor, can, cases_visible_to
from earlywarn.cases.services import case_judge, message_post
from earlywarn.notify.models import OutboxMessage
from earlywarn.websites.contacts import contact_record
from earlywarn.websites.links import link_resolve
from earlywarn.websites.notification import link_reissue, operator_notify
from earlywarn.websites.responses import fix_report, operator_acknowledge
from tests import factories
from tests.factories import submit

pytestmark = pytest.mark.django_db
LINK = re.compile(r"/operator/([A-Za-z0-9_-]+)/")


def _notified(handler, email="ops@site.example.test"):
    actor = Actor.for_user(handler)
    case = case_judge(actor=actor, case=submit("website", finder_name="発見者カナリア").case, accept=True)
    contact_record(actor=actor, case=case, data={"email": email, "operator_type": "public_body"})
    case = operator_notify(actor=actor, case=Case.objects.get(pk=case.pk))
    mail = OutboxMessage.objects.filter(case=case, to=email).latest("created_at")
    return case, LINK.search(mail.body_text).group(1)


def test_a_link_reaches_its_case_only(client, handler):
    one, token = _notified(handler)
    other, _other_token = _notified(handler, "ops@other.example.test")
    _link, actor = link_resolve(token)
    assert list(cases_visible_to(actor)) == [one]
    assert can(actor, Action.CASE_OPERATOR_RESPOND, one)
    assert not can(actor, Action.CASE_OPERATOR_RESPOND, other)
    assert not can(actor, Action.CASE_EVENTS_VIEW, one)
    with pytest.raises(ActionDenied):
        operator_acknowledge(actor=actor, case=other)
    message_post(actor=Actor.for_user(handler), case=one, body="canary-internal-note", visibility="internal")
    page = client.get(f"/operator/{token}/").content.decode()
    assert "canary-internal-note" not in page
    assert "発見者カナリア" not in page
    api = client.get(f"/api/v1/operator/{token}").json()
    assert api["tracking_id"] == one.tracking_id
    assert "finder_name" not in api["details"]


def test_expired_revoked_and_unknown_links_answer_404_alike(client, handler):
    case, token = _notified(handler)
    missing = client.get("/operator/nope/")
    assert client.get(f"/operator/{token}/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        assert client.get(f"/operator/{token}/").status_code == 404
    link_reissue(actor=Actor.for_user(handler), case=case, contact_id=str(case.website_contacts.get().id))
    revoked = client.get(f"/operator/{token}/")
    assert revoked.status_code == missing.status_code == 404
    assert client.post(f"/api/v1/operator/{token}/actions/acknowledge").status_code == 404
    [new] = LINK.findall(OutboxMessage.objects.filter(template="operator_new_link").get().body_text)
    assert new != token
    assert client.get(f"/operator/{new}/").status_code == 200


def test_bad_input_through_the_link_api_is_a_clear_4xx(client, handler):
    case, token = _notified(handler)

    def post(action, body):
        return client.post(f"/api/v1/operator/{token}/actions/{action}", data=body, content_type="application/json")

    assert post("report_fix", "{not json").json()["error"]["code"] == "malformed_json"
    assert post("report_fix", json.dumps({"kind": "burnt"})).json()["error"]["fields"] == {
        "kind": ["一覧から選んでください。"]}
    assert post("report_fix", json.dumps({"kind": "fixed", "fixed_on": "2999-01-01"})).status_code == 422
    assert post("report_fix", json.dumps({"kind": "fixed", "extra": "x"})).status_code == 422
    assert post("close_fixed", "{}").status_code == 422  # a handler's action is no action of the link
    assert post("acknowledge", "{}").status_code == 200
    assert post("acknowledge", "{}").status_code == 200  # twice: recorded once
    assert case.events.filter(tag="case:operator:acknowledged").count() == 1
    assert post("report_fix", json.dumps({"kind": "fixed"})).json()["acknowledged"] is True


def test_services_refuse_out_of_order_steps(handler):
    actor = Actor.for_user(handler)
    case = case_judge(actor=actor, case=submit("website").case, accept=True)
    with pytest.raises(ValidationFailed):
        operator_notify(actor=actor, case=case)
    with pytest.raises(ValidationFailed):
        contact_record(actor=actor, case=case, data={"email": "not-an-address"})
    with pytest.raises(ActionDenied):  # the operator reports fixes, not the handler
        fix_report(actor=actor, case=case, kind="fixed")
    with pytest.raises(ActionDenied):  # nor does an administrator: no staff role answers for the operator
        fix_report(actor=Actor.for_user(factories.administrator()), case=case, kind="fixed")
    assert case.events.count() == 2


def test_reclassifying_to_the_product_flow_ends_the_operators_access(client, handler):
    from earlywarn.cases.models import CaseEvent, CaseParticipant
    from earlywarn.cases.services import case_reclassify

    case, token = _notified(handler)
    contact = case.website_contacts.get()
    member = factories.UserFactory()
    member.memberships.create(organisation=contact.organisation, role="member")
    assert case in cases_visible_to(Actor.for_user(member))
    case_reclassify(actor=Actor.for_user(handler), case=case, reason="a product's default configuration")
    assert link_resolve(token) is None
    assert client.get(f"/operator/{token}/").status_code == 404
    assert client.get(f"/api/v1/operator/{token}").status_code == 404
    assert case not in cases_visible_to(Actor.for_user(member))
    assert not CaseParticipant.objects.filter(case=case, removed_at__isnull=True, role="operator").exists()
    event = CaseEvent.objects.filter(case=case, tag="case:flow:reclassified").get()
    assert event.data == {"participations_ended": 1, "roles": ["operator"]}
    assert case in cases_visible_to(Actor.for_status_link(case.report_id))  # the finder stays


def test_a_link_stops_working_when_its_participation_ends(client, handler):
    from earlywarn.cases.models import CaseParticipant

    case, token = _notified(handler)
    CaseParticipant.objects.filter(case=case, role="operator").update(removed_at=timezone.now())
    assert link_resolve(token) is None
    assert client.get(f"/operator/{token}/").status_code == 404
    assert client.get(f"/api/v1/operator/{token}").status_code == 404


def test_the_finders_console_page_shows_no_operator_contact_or_fix_report(client, handler):
    finder = factories.UserFactory()
    actor = Actor.for_user(handler)
    receipt = submit("website", actor=Actor.for_user(finder))
    case = case_judge(actor=actor, case=receipt.case, accept=True)
    contact_record(actor=actor, case=case, data={"email": "canary-ops@site.example.test", "name": "Canary Person",
                                                 "operator_type": "public_body"})
    case = operator_notify(actor=actor, case=Case.objects.get(pk=case.pk))
    _link, operator = link_resolve(LINK.search(OutboxMessage.objects.filter(
        case=case, to="canary-ops@site.example.test").latest("created_at").body_text).group(1))
    fix_report(actor=operator, case=case, kind="fixed", description="canary-fix-description",
               fixed_on=timezone.localdate().isoformat())
    client.force_login(finder)
    page = client.get(f"/console/cases/{case.id}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert case.tracking_id in body
    for secret in ("canary-ops@site.example.test", "Canary Person", "canary-fix-description"):
        assert secret not in body
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(handler)
    staff_page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert "canary-ops@site.example.test" in staff_page
    assert "canary-fix-description" in staff_page


def test_overlong_names_titles_and_a_plain_http_key_address_are_refused_not_cut(client, handler):
    """They used to be cut to the column's size, or (the key address) dropped, without a word."""
    from earlywarn.accounts.models import Organisation
    from earlywarn.websites.closures import alert_publish
    from earlywarn.websites.models import Alert, WebsiteContact

    actor = Actor.for_user(handler)
    case = case_judge(actor=actor, case=submit("website").case, accept=True)
    before = (WebsiteContact.objects.count(), Organisation.objects.count())
    for data, field in [({"name": "名" * 201}, "name"), ({"organisation_name": "社" * 301}, "organisation_name"),
                        ({"encryption": "http://site.example.test/key.asc"}, "encryption"),
                        ({"encryption": "https://k.test/" + "a" * 500}, "encryption")]:
        with pytest.raises(ValidationFailed) as refused:
            contact_record(actor=actor, case=case, data={"email": "ops@site.example.test", **data})
        assert refused.value.field == field
    assert (WebsiteContact.objects.count(), Organisation.objects.count()) == before

    case, token = _notified(handler)
    too_long = client.post(f"/api/v1/operator/{token}/actions/add_builder", content_type="application/json",
                           data=json.dumps({"email": "builder@example.test", "name": "名" * 201}))
    assert too_long.status_code == 422, too_long.content
    assert too_long.json()["error"]["fields"] == {"name": ["長すぎます。200 文字以内にしてください。"]}
    assert not WebsiteContact.objects.filter(email="builder@example.test").exists()

    for title, url, field in [("題" * 301, "", "title"), ("題", "https://a.test/" + "p" * 500, "url")]:
        with pytest.raises(ValidationFailed) as refused:
            alert_publish(actor=actor, title=title, body="本文", url=url, case_ids=[case.id])
        assert refused.value.field == field
    assert not Alert.objects.exists()
    assert Case.objects.get(pk=case.pk).state == case.state
