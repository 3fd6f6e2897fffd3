"""Developer invitations, the developer portal, disputes and the developer directory (docs/coordination.md)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from earlywarn.accounts.models import Invitation, Membership, Organisation, OrganisationKind, Role, User
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.coordination import services
from earlywarn.notify.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"
LINK = re.compile(r"https?://\S+/invitations/[\w-]+/")


def _mfa(user):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def two_vendors(handler, coordinator):
    """A case under coordination with two developers notified (no accounts yet)."""
    receipt = factories.submit("product", description="canary-description-portal", finder_name="山田 太郎")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    org_a = factories.OrganisationFactory(name="エー株式会社", contact_email="psirt@a.example.test")
    org_b = factories.OrganisationFactory(name="ビー株式会社", contact_email="psirt@b.example.test")
    case = services.coordination_start(actor=Actor.for_user(coordinator), case=case,
                                       organisations=f"{org_a.id},{org_b.id}")
    return case, org_a, org_b


def _path(address):
    body = OutboxMessage.objects.get(template="developer_notification", to=address).body_text
    return "/" + LINK.search(body).group(0).split("://", 1)[1].split("/", 1)[1]


def _sign_up(client, path, email, name="担当者"):
    return client.post(path, {"action": "sign_up", "display_name": name, "email": email, "password1": PASSWORD,
                              "password2": PASSWORD})


def test_invitation_creates_an_account_once(client, two_vendors):
    case, org_a, _org_b = two_vendors
    path = _path("psirt@a.example.test")
    body = OutboxMessage.objects.get(to="psirt@a.example.test").body_text
    assert "canary-description-portal" not in body
    page = client.get(path)
    assert page.status_code == 200
    assert "エー株式会社" in page.content.decode()
    assert page.headers["Cache-Control"] == "no-store"

    response = _sign_up(client, path, "psirt@a.example.test")
    assert response.status_code == 302
    assert response.url == f"/developer/cases/{case.id}/"
    user = User.objects.get(email="psirt@a.example.test")
    assert Membership.objects.filter(user=user, organisation=org_a, role=Role.MEMBER).exists()
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(response.url).status_code == 200  # logged in at once
    assert CaseEvent.objects.filter(case=case, tag="case:developer:joined").count() == 1
    assert Invitation.objects.get(organisation=org_a).used_by == user

    client.logout()
    assert client.get(path).status_code == 404  # single use
    assert _sign_up(client, path, "other@a.example.test").status_code == 404
    assert not User.objects.filter(email="other@a.example.test").exists()


def test_invitation_refusals_change_nothing(client, two_vendors, coordinator):
    _case, org_a, _org_b = two_vendors
    path = _path("psirt@a.example.test")
    for data, _field_text in (({"password2": "different passphrase 99"}, "password"),
                             ({"password1": "short", "password2": "short"}, ""),
                             ({"email": "not-an-address"}, "")):
        response = client.post(path, {"action": "sign_up", "display_name": "x", "email": "psirt@a.example.test",
                                      "password1": PASSWORD, "password2": PASSWORD, **data})
        assert response.status_code == 422, data
        assert 'id="page-error"' in response.content.decode()
    assert not User.objects.filter(email="psirt@a.example.test").exists()
    assert not Membership.objects.filter(organisation=org_a).exists()

    client.force_login(_mfa(coordinator))  # staff accounts do not join developers
    assert client.post(path, {"action": "accept"}).status_code == 422
    assert not Membership.objects.filter(organisation=org_a).exists()
    assert Invitation.objects.get(organisation=org_a).used_at is None

    Invitation.objects.filter(organisation=org_a).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    assert client.get(path).status_code == 404
    assert client.get("/invitations/not-a-real-token/").status_code == 404


def test_other_address_needs_verification_and_existing_account_joins(client, two_vendors):
    case, org_a, org_b = two_vendors
    response = _sign_up(client, _path("psirt@a.example.test"), "taro@a.example.test")
    assert response.status_code == 302
    user = User.objects.get(email="taro@a.example.test")
    assert not EmailAddress.objects.get(user=user).verified  # allauth's verification mail first
    assert Membership.objects.filter(user=user, organisation=org_a).exists()
    assert client.get(f"/developer/cases/{case.id}/").status_code == 302  # not logged in yet

    existing = factories.UserFactory(email="hanako@b.example.test")
    client.force_login(existing)
    path = _path("psirt@b.example.test")
    assert "hanako@b.example.test" in client.get(path).content.decode()
    response = client.post(path, {"action": "accept"})
    assert response.status_code == 302
    assert Membership.objects.filter(user=existing, organisation=org_b).exists()
    assert client.get(response.url).status_code == 200


def _member(org):
    user = factories.UserFactory()
    Membership.objects.create(user=user, organisation=org, role=Role.MEMBER)
    return user


def test_portal_answers_stay_with_their_developer(client, two_vendors, coordinator):
    case, org_a, org_b = two_vendors
    dev_a, dev_b = _member(org_a), _member(org_b)
    url = f"/developer/cases/{case.id}/"
    client.force_login(dev_a)
    home = client.get("/developer/").content.decode()
    assert case.tracking_id in home
    page = client.get(url).content.decode()
    assert 'id="do-acknowledge"' in page
    assert "山田" not in page  # the finder did not consent
    assert "canary-description-portal" in page
    assert client.post(url, {"action": "acknowledge_receipt"}).status_code == 302
    response = client.post(url, {"action": "state_product", "product": "ExampleCMS", "version": "4.2",
                                 "status": "fixed", "statement": "修正版を公開します"})
    assert response.status_code == 422  # a fixed status needs the fixed version: nothing saved
    assert not case.product_statements.exists()
    client.post(url, {"action": "state_product", "product": "ExampleCMS", "version": "4.2", "status": "fixed",
                      "fixed_version": "4.3", "statement": "A社の声明です"})
    client.post(url, {"action": "message", "body": "A社からの質問です"})
    assert client.post(url, {"action": "start_coordination"}).status_code == 422  # not a developer's action
    page = client.get(url).content.decode()
    assert "A社の声明です" in page
    assert "A社からの質問です" in page

    client.force_login(dev_b)
    page = client.get(url).content.decode()
    assert "A社の声明です" not in page
    assert "A社からの質問です" not in page
    assert 'id="do-acknowledge"' in page

    client.force_login(_member(factories.OrganisationFactory()))  # a developer of another case
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "acknowledge_receipt"}).status_code == 404
    assert case.tracking_id not in client.get("/developer/").content.decode()
    client.force_login(_mfa(coordinator))
    assert client.get(url).status_code == 403


def test_dispute_then_close_not_vulnerability(client, two_vendors, coordinator):
    case, org_a, _org_b = two_vendors
    dev_a = _member(org_a)
    url = f"/developer/cases/{case.id}/"
    client.force_login(dev_a)
    assert client.post(url, {"action": "dispute_vulnerability", "reasons": "  "}).status_code == 422
    assert not CaseEvent.objects.filter(case=case, tag="case:developer:disputed").exists()
    client.post(url, {"action": "dispute_vulnerability", "reasons": "仕様どおりの動作です"})
    assert CaseEvent.objects.get(case=case, tag="case:developer:disputed").reason == "仕様どおりの動作です"
    assert case.developer_notices.get(organisation=org_a).acknowledged_at is not None

    client.force_login(_mfa(coordinator))
    assert "仕様どおりの動作です" in client.get(f"/console/cases/{case.id}/").content.decode()
    refused = client.post(f"/api/v1/cases/{case.id}/actions/close_not_vulnerability", data={},
                          content_type="application/json")
    assert refused.status_code == 422
    assert Case.objects.get(pk=case.pk).state == "coordinating"
    done = client.post(f"/api/v1/cases/{case.id}/actions/close_not_vulnerability",
                       data={"reason": "開発者の説明を確認した"}, content_type="application/json")
    assert done.status_code == 200, done.json()
    assert Case.objects.get(pk=case.pk).state == "not_vulnerability"


def test_directory(client, two_vendors, coordinator, handler):
    case, org_a, _org_b = two_vendors
    services.developer_acknowledge(actor=Actor.for_user(_member(org_a)), case=case)
    client.force_login(_mfa(coordinator))
    listing = client.get("/console/developers/", {"q": "エー"}).content.decode()
    assert "エー株式会社" in listing
    assert "ビー株式会社" not in listing
    entry = client.get(f"/console/developers/{org_a.id}/").content.decode()
    assert case.tracking_id in entry
    before = Organisation.objects.count()
    bad = client.post("/console/developers/", {"name": "シー株式会社", "contact_email": "nope"})
    assert bad.status_code == 422
    bad = client.post("/console/developers/", {"name": "シー株式会社", "contact_email": "psirt@c.example.test",
                                               "pgp_fingerprint": "1234"})
    assert bad.status_code == 422
    assert Organisation.objects.count() == before
    made = client.post("/console/developers/", {"name": "シー株式会社", "contact_email": "psirt@c.example.test",
                                                "security_txt_url": "https://c.example.test/.well-known/security.txt",
                                                "web_form_url": "https://c.example.test/psirt"})
    assert made.status_code == 302
    org_c = Organisation.objects.get(name="シー株式会社")
    assert org_c.kind == OrganisationKind.DEVELOPER
    assert org_c.security_contact.web_form_url == "https://c.example.test/psirt"
    # the directory has its audit trail: one event per save, none for a refused one
    from earlywarn.accounts.models import OrganisationEvent

    assert list(OrganisationEvent.objects.values_list("organisation_id", "tag", "actor_id")) == [
        (org_c.id, "directory:developer:added", coordinator.id)]
    changed = client.post(f"/console/developers/{org_c.id}/", {
        "name": "シー株式会社", "contact_email": "psirt@c.example.test",
        "security_txt_url": "https://c.example.test/.well-known/security.txt", "web_form_url": "https://c.example.test/form"})
    assert changed.status_code == 302
    event = OrganisationEvent.objects.latest("id")
    assert (event.tag, event.data["changed"], event.data["web_form_url"]) == (
        "directory:developer:changed", ["web_form_url"], "https://c.example.test/form")
    assert client.post(f"/console/developers/{org_c.id}/", {"name": "", "contact_email": "x"}).status_code == 422
    assert OrganisationEvent.objects.count() == 2

    for user in (_mfa(handler), _member(org_a)):
        client.force_login(user)
        assert client.get("/console/developers/").status_code == 404
        assert client.get(f"/console/developers/{org_a.id}/").status_code == 404


def test_coordinator_sends_a_new_invitation(client, two_vendors, coordinator):
    case, org_a, _org_b = two_vendors
    client.force_login(_mfa(coordinator))
    path = f"/api/v1/cases/{case.id}/actions/invite_developer"
    refused = client.post(path, data={"organisation": "nope"}, content_type="application/json")
    assert refused.status_code == 422
    refused = client.post(path, data={"organisation": str(org_a.id), "email": "x"}, content_type="application/json")
    assert refused.status_code == 422
    assert not OutboxMessage.objects.filter(template="developer_invitation").exists()
    done = client.post(path, data={"organisation": str(org_a.id), "email": "taro@a.example.test", "language": "en"},
                       content_type="application/json")
    assert done.status_code == 200, done.json()
    mail = OutboxMessage.objects.get(template="developer_invitation")
    assert mail.to == "taro@a.example.test"
    assert "canary-description-portal" not in mail.body_text
    assert CaseEvent.objects.filter(case=case, tag="case:developer:invited").count() == 1
    link = "/" + LINK.search(mail.body_text).group(0).split("://", 1)[1].split("/", 1)[1]
    client.logout()
    assert "taro@a.example.test" in client.get(link).content.decode()

    client.force_login(_member(org_a))  # a developer does not invite
    assert client.post(path, data={"organisation": str(org_a.id)}, content_type="application/json").status_code == 403


def test_the_individual_handling_request_is_usable_from_the_portal(client, two_vendors):
    from earlywarn.cases.models import CaseEvent

    case, org_a, _org_b = two_vendors
    client.force_login(_member(org_a))
    url = f"/developer/cases/{case.id}/"
    page = client.get(url).content.decode()
    form = page[page.find('value="request_individual_handling"'):][:1500]
    assert 'name="users_description"' in form
    assert ">users_description<" not in form  # a label, not the field's name
    assert 'name="organisation"' not in form  # one developer: nothing to choose
    response = client.post(url, {"action": "request_individual_handling",
                                 "users_description": "導入先は国内の3社のみで、個別に連絡できます。"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert CaseEvent.objects.filter(case=case, tag__contains="individual").exists()


def test_a_new_contact_address_revokes_the_invitations_sent_to_the_old_one(client, two_vendors, coordinator):
    from earlywarn.accounts.models import OrganisationEvent
    from earlywarn.coordination.directory import developer_save

    _case, org_a, _org_b = two_vendors
    old, other = _path("psirt@a.example.test"), _path("psirt@b.example.test")
    assert client.get(old).status_code == 200
    developer_save(actor=Actor.for_user(_mfa(coordinator)), organisation=org_a,
                   data={"name": org_a.name, "contact_email": "security@a.example.test"})
    assert client.get(old).status_code == 404
    assert _sign_up(client, old, "psirt@a.example.test").status_code == 404
    assert not Membership.objects.filter(organisation=org_a).exists()
    assert client.get(other).status_code == 200  # another developer's invitation is untouched
    event = OrganisationEvent.objects.filter(organisation=org_a).latest("id")
    assert event.data["invitations_revoked"] == 1
