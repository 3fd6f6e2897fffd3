"""Outcomes other than the normal publication, through the API as coordinators and developers use it: end-of-life
cases A–E (§4.8), individual handling with the §4.11 criteria, known vulnerabilities (§4.15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from earlywarn.cases.models import Case, CaseEvent
from earlywarn.coordination.models import DeveloperProduct, EolAssessment, IndividualHandlingRequest
from earlywarn.coordination.selectors import outcomes_for
from tests.coordination.helpers import api, coordinating_case

pytestmark = pytest.mark.django_db


def _unchanged(case: Case) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version) == (case.state, case.version)


def test_eol_assessment_refuses_bad_input_and_changes_nothing(client, coordinator, handler):
    case, (org, _dev), _other = coordinating_case(handler, coordinator)
    coord = api(client, coordinator, staff=True)
    path = f"/cases/{case.id}/actions/assess_eol"
    good = {"organisation": str(org.id), "product": "OldRouter", "support_ended_on": "2020-03-31",
            "eol_case": "C", "reason": "the developer offers a stop-using notice"}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    for field, bad in (("support_ended_on", tomorrow), ("support_ended_on", "31/03/2020"), ("eol_case", "F"),
                       ("eol_notice_url", "javascript:alert(1)"), ("reason", ""), ("organisation", "x")):
        status, out = coord("post", path, **{**good, field: bad})
        assert (status, list(out["error"]["fields"])) == (422, [field]), (field, bad, out)
    _unchanged(Case.objects.get(pk=case.pk))
    assert not EolAssessment.objects.exists()
    assert not DeveloperProduct.objects.exists()
    assert not CaseEvent.objects.filter(case=case, tag="case:eol:assessed").exists()


def test_eol_case_c_then_a_closes_only_as_a(client, coordinator, handler):
    case, (org, _dev), _other = coordinating_case(handler, coordinator)
    coord = api(client, coordinator, staff=True)
    status, out = coord("post", f"/cases/{case.id}/actions/assess_eol", organisation=str(org.id), product="OldRouter",
                        support_ended_on="2020-03-31", eol_notice_url="https://a.example.test/eol",
                        eol_case="C", reason="stop-using notice agreed")
    assert status == 200, out
    assessment = EolAssessment.objects.get(case=case)
    assert (assessment.eol_case, assessment.stop_using, assessment.product.support_ended_on.isoformat()) == (
        "C", True, "2020-03-31")
    status, out = coord("post", f"/cases/{case.id}/actions/close_eol_a", reason="small impact")
    assert (status, list(out["error"]["fields"])) == (422, ["eol_case"])
    assert Case.objects.get(pk=case.pk).state == "coordinating"

    status, out = coord("post", f"/cases/{case.id}/actions/assess_eol", organisation=str(org.id), product="OldRouter",
                        support_ended_on="2020-03-31", eol_case="A", reason="impact is small after analysis")
    assert status == 200, out
    assessment.refresh_from_db()
    assert (assessment.eol_case, assessment.stop_using) == ("A", False)
    assert DeveloperProduct.objects.get().eol_notice_url == "https://a.example.test/eol"  # kept when not given again
    status, out = coord("post", f"/cases/{case.id}/actions/close_eol_a", reason="small impact")
    assert status == 200, out
    assert (out["state"], out["category"]) == ("closed_eol_a", "individual_handling")
    trail = list(CaseEvent.objects.filter(case=case, tag="case:eol:assessed").values_list("data", flat=True))
    assert [(e["eol_case"], e["previous"]) for e in trail] == [("C", ""), ("A", "C")]


def test_a_developer_cannot_assess_or_close(client, coordinator, handler):
    case, (org, dev), _other = coordinating_case(handler, coordinator)
    as_dev = api(client, dev)
    status, _out = as_dev("post", f"/cases/{case.id}/actions/assess_eol", organisation=str(org.id),
                          product="OldRouter", support_ended_on="2020-03-31", eol_case="A", reason="x")
    assert status in {403, 404}
    status, _out = as_dev("post", f"/cases/{case.id}/actions/close_known_vulnerability", reference="CVE-2020-0001",
                          reason="x")
    assert status in {403, 404}
    _unchanged(Case.objects.get(pk=case.pk))
    assert not EolAssessment.objects.exists()


@pytest.mark.parametrize(("rule", "approved"), [("notify_all", True), ("limited_users", False)])
def test_individual_handling_follows_the_configured_rule(client, coordinator, handler, settings, rule, approved):
    settings.EARLYWARN = {**settings.EARLYWARN, "INDIVIDUAL_HANDLING_RULE": rule}
    case, (_org, dev), (_org_b, dev_b) = coordinating_case(handler, coordinator)
    as_dev, as_b, coord = api(client, dev), api(client, dev_b), api(client, coordinator, staff=True)
    path = f"/cases/{case.id}/actions/request_individual_handling"
    status, out = as_dev("post", path, users_description="")
    assert (status, list(out["error"]["fields"])) == (422, ["users_description"])
    status, out = as_dev("post", path, users_description="Sold to 40 hospitals under contract; all are known.")
    assert status == 200, out
    status, out = as_dev("post", path, users_description="again")
    assert (status, list(out["error"]["fields"])) == (422, ["users_description"])
    assert IndividualHandlingRequest.objects.count() == 1
    # the other developer of the case sees nothing of it
    from earlywarn.cases.policy import Actor

    assert outcomes_for(Actor.for_user(dev_b), case)["individual_requests"] == []
    assert len(outcomes_for(Actor.for_user(dev), case)["individual_requests"]) == 1
    status, _out = as_b("post", f"/cases/{case.id}/actions/decide_individual_handling", decision="approve",
                        general_purpose="yes", many_or_unspecified_users="yes", all_users_notified="yes", reasons="x")
    assert status in {403, 404}

    decide = {"decision": "approve", "general_purpose": "yes", "many_or_unspecified_users": "yes",
              "all_users_notified": "yes", "reasons": "the developer can reach every user"}
    status, out = coord("post", f"/cases/{case.id}/actions/decide_individual_handling",
                        **{**decide, "general_purpose": "maybe"})
    assert (status, list(out["error"]["fields"])) == (422, ["general_purpose"])
    status, out = coord("post", f"/cases/{case.id}/actions/decide_individual_handling", **decide)
    if approved:
        assert status == 200, out
        assert (out["state"], out["category"]) == ("individual_handling", "individual_handling")
        request = IndividualHandlingRequest.objects.get()
        assert (request.decision, request.general_purpose, request.reasons) == (
            "approved", True, "the developer can reach every user")
        event = CaseEvent.objects.get(case=case, tag="case:state:close_individual")
        assert event.data["rule"] == "notify_all"
        assert event.data["many_or_unspecified_users"] is True
    else:
        assert (status, list(out["error"]["fields"])) == (422, ["decision"])
        assert Case.objects.get(pk=case.pk).state == "coordinating"
        assert IndividualHandlingRequest.objects.get().decision == "pending"
        status, out = coord("post", f"/cases/{case.id}/actions/decide_individual_handling",
                            **{**decide, "decision": "refuse", "reasons": "general-purpose, many users"})
        assert status == 200, out
        assert Case.objects.get(pk=case.pk).state == "coordinating"
        assert IndividualHandlingRequest.objects.get().decision == "refused"
        assert CaseEvent.objects.filter(case=case, tag="case:individual:refused").count() == 1
        status, out = as_dev("post", path, users_description="We asked again with a user list.")
        assert status == 200, out  # a refused request does not block a new one


def test_known_vulnerability_needs_a_reference(client, coordinator, handler):
    case, _dev, _other = coordinating_case(handler, coordinator)
    coord = api(client, coordinator, staff=True)
    status, out = coord("post", f"/cases/{case.id}/actions/close_known_vulnerability", reason="already public")
    assert (status, list(out["error"]["fields"])) == (422, ["reference"])
    _unchanged(Case.objects.get(pk=case.pk))
    status, out = coord("post", f"/cases/{case.id}/actions/close_known_vulnerability", reference="CVE-2021-44228",
                        reason="already public")
    assert status == 200, out
    assert out["state"] == "closed_known_vulnerability"
    event = CaseEvent.objects.get(case=case, tag="case:state:close_known_vulnerability")
    assert event.data["reference"] == "CVE-2021-44228"


def test_console_panel_names_contact_channels_in_the_users_language(client, coordinator, handler):
    from allauth.mfa.models import Authenticator

    case, (org, _dev), _other = coordinating_case(handler, coordinator)
    Authenticator.objects.create(user=coordinator, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(coordinator)
    api(client, coordinator, staff=True)("post", f"/cases/{case.id}/actions/record_contact_attempt",
                                          organisation=str(org.id), channel="phone", note="no answer")
    page = client.get(f"/console/cases/{case.id}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<option value="phone">電話</option>' in page
    assert "電話 — no answer" in page
