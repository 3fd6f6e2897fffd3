"""Coordination end to end: a real SMTP server on loopback, the coordinator and two developers through the API."""

from __future__ import annotations

import re

import pytest

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.config.worker import run_worker
from tests import factories
from tests.coordination.helpers import api as _api
from tests.factories import submit

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SECRETS = ("canary-reproduction", "canary-description", "ExampleCMS", "山田")




def _deliver(sink):
    before = len(sink.received)
    run_worker(batch=True, interval=0)
    return sink.received[before:]


def _developer(name, email):
    user = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name=name, contact_email=email)
    return user, user.memberships.get().organisation


def test_two_developers_acknowledge_and_state(client, handler, coordinator, smtp_settings, smtp_sink):
    smtp_sink.start()
    receipt = submit("product", description="canary-description", reproduction="canary-reproduction")
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    _deliver(smtp_sink)
    dev_a, org_a = _developer("エー株式会社", "psirt@a.example.test")
    dev_b, _org_b = _developer("ビー株式会社", "security@b.example.test")
    outsider, _ = _developer("シー株式会社", "psirt@c.example.test")
    coord = _api(client, coordinator, staff=True)
    as_a, as_b, as_out = _api(client, dev_a), _api(client, dev_b), _api(client, outsider)

    status, out = coord("post", f"/cases/{case.id}/actions/start_coordination")
    assert (status, list(out["error"]["fields"])) == (422, ["organisations"])
    assert Case.objects.get(pk=case.pk).state == "content_check"
    status, out = coord("post", f"/cases/{case.id}/actions/start_coordination", organisations=str(org_a.id),
                        name="ディー株式会社", email="not-an-address")
    assert (status, list(out["error"]["fields"])) == (422, ["email"])
    assert Case.objects.get(pk=case.pk).state == "content_check"
    assert not CaseEvent.objects.filter(case=case, tag__startswith="case:developer").exists()
    status, out = coord("post", f"/cases/{case.id}/actions/start_coordination",
                        organisations=f"{org_a.id},{dev_b.memberships.get().organisation_id}")
    assert status == 200, out
    assert out["state"] == "coordinating"
    status, detail = coord("get", f"/cases/{case.id}")
    assert detail["coordination"]["start_date"]
    assert detail["coordination"]["target_date"]
    assert {d["name"] for d in detail["coordination"]["developers"]} == {"エー株式会社", "ビー株式会社"}

    mails = {m.to[0]: m for m in _deliver(smtp_sink)}
    for address in ("psirt@a.example.test", "security@b.example.test"):
        mail = mails[address]
        assert case.tracking_id in mail.subject
        assert CJK.search(mail.subject + mail.body)
        assert "/invitations/" in mail.body
        assert "/developer/" in mail.body
        assert not any(secret in mail.subject + mail.body for secret in SECRETS)
    assert "psirt@c.example.test" not in mails

    for dev in (as_a, as_b):
        status, out = dev("post", f"/cases/{case.id}/actions/acknowledge_receipt")
        assert status == 200, out
        assert "state_product" in out["actions"]
    status, out = as_a("post", f"/cases/{case.id}/actions/state_product", product="ExampleCMS", version="4.2",
                       status="fixed")
    assert (status, list(out["error"]["fields"])) == (422, ["fixed_version"])
    status, out = as_a("post", f"/cases/{case.id}/actions/state_product", product="ExampleCMS", version="4.2",
                       status="fixed", fixed_version="4.3", statement="4.3 で修正しました。")
    assert status == 200, out
    status, out = as_b("post", f"/cases/{case.id}/actions/state_product", product="B-Router", version="1.x",
                       status="not_affected", statement="影響を受けません。")
    assert status == 200, out
    status, out = as_b("post", f"/cases/{case.id}/actions/start_coordination")
    assert status in {403, 409}, out  # a developer does not coordinate
    status, out = as_b("get", f"/cases/{case.id}")
    assert [s["product"] for s in out["coordination"]["statements"]] == ["B-Router"]  # its own answers only

    status, detail = coord("get", f"/cases/{case.id}")
    statements = {s["product"]: s for s in detail["coordination"]["statements"]}
    assert statements["ExampleCMS"]["fixed_version"] == "4.3"
    assert statements["B-Router"]["status"] == "not_affected"
    assert all(d["acknowledged_at"] for d in detail["coordination"]["developers"])
    tags = list(CaseEvent.objects.filter(case=case).values_list("tag", flat=True))
    assert tags.count("case:developer:acknowledged") == 2
    assert tags.count("case:developer:product_stated") == 2

    client.force_login(coordinator)
    page = client.get(f"/console/cases/{case.id}/").content.decode()
    assert "4.3 で修正しました。" in page
    assert "影響を受けません。" in page

    # A developer not on the case sees nothing of it, anywhere.
    for method, path in (("get", f"/cases/{case.id}"), ("get", f"/cases/{case.id}/messages"),
                         ("post", f"/cases/{case.id}/actions/acknowledge_receipt"),
                         ("post", f"/cases/{case.id}/actions/state_product")):
        assert as_out(method, path)[0] == 404
    client.force_login(outsider)
    assert client.get(f"/console/cases/{case.id}/").status_code == 404
    assert client.post(f"/console/cases/{case.id}/coordination/", {"action": "acknowledge_receipt"}).status_code == 404
