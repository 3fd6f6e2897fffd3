"""The load_demo and create_staff management commands."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError

from earlywarn.accounts.models import ApiToken, Membership, Organisation, User
from earlywarn.accounts.services import token_revoke
from earlywarn.cases.models import Case
from earlywarn.committee.models import CommitteeMember
from earlywarn.stats import demo_history

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {"organisations": Organisation.objects.count(), "users": User.objects.count(),
            "memberships": Membership.objects.count(), "cases": Case.objects.count(),
            "emails": EmailAddress.objects.count(), "authenticators": Authenticator.objects.count()}


def test_load_demo_is_idempotent() -> None:
    call_command("load_demo", stdout=StringIO())
    first = _counts()
    assert first["organisations"] == 6
    assert first["users"] == 9
    assert first["authenticators"] == 3
    assert first["cases"] >= 5
    assert set(Case.objects.values_list("flow", flat=True)) == {"product", "website"}
    live = Case.objects.exclude(report__tracking_id__startswith=demo_history.PREFIX)
    assert live.filter(state="not_accepted").count() == 1
    assert Organisation.objects.get(kind="critical_infrastructure").sector == "electric_power"
    demo_case = live.get(state="coordinating")  # the developer portal and the dashboard show it
    assert demo_case.schedule.proposed_at is not None
    assert demo_case.developer_notices.count() == 1
    assert CommitteeMember.objects.count() == 3
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert _counts() == first
    assert "nothing to do" in out.getvalue()


def test_the_demo_statistics_of_the_last_quarter_are_not_empty(client) -> None:
    from earlywarn.stats.quarter import Quarter

    call_command("load_demo", stdout=StringIO())
    quarter = Quarter.current().previous()
    assert Case.objects.filter(report__tracking_id__startswith=demo_history.PREFIX).count() == 240
    response = client.get(f"/stats/{quarter}.json")
    assert response.status_code == 200
    report = response.json()
    assert report["quarter"] == str(quarter)
    assert report["reports"]["total"] == 240  # every history report was received by the end of that quarter
    assert report["product_status"]["published"] > 0
    assert [point["total"] for point in report["series"]][-4:] == sorted(p["total"] for p in report["series"][-4:])


def test_demo_handler_can_log_in(client) -> None:
    call_command("load_demo", stdout=StringIO())
    assert client.login(email="handler@demo.earlywarn.test", password="demo-password-2026")
    assert EmailAddress.objects.get(email="handler@demo.earlywarn.test").verified


def test_create_staff_token_authenticates_and_revocation_blocks(client) -> None:
    out = StringIO()
    call_command("create_staff", "--email", "ci@example.test", "--role", "handler", "--token-name", "ci",
                 stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("ewt_")
    assert "\n" not in raw
    user = User.objects.get(email="ci@example.test")
    assert user.memberships.get().organisation.kind == "receiving"
    assert EmailAddress.objects.get(user=user).verified
    response = client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user)
    assert token_revoke(user=user, token_id=token.pk)
    response = client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_create_staff_reuses_user_and_organisation() -> None:
    for _ in range(2):
        call_command("create_staff", "--email", "Coord@Example.test", "--role", "coordinator",
                     "--organisation", "調整 CI", "--password", "pw-123456789", stdout=StringIO())
    assert User.objects.filter(email="coord@example.test").count() == 1
    assert Organisation.objects.filter(name="調整 CI", kind="coordinating").count() == 1
    assert Membership.objects.filter(user__email="coord@example.test").count() == 1


def test_create_staff_bad_input() -> None:
    with pytest.raises(CommandError, match="Unknown role"):
        call_command("create_staff", "--email", "x@example.test", "--role", "finder", stdout=StringIO())
    with pytest.raises(CommandError, match="e-mail"):
        call_command("create_staff", "--email", "not-an-email", "--role", "handler", stdout=StringIO())
    call_command("create_staff", "--email", "h@example.test", "--role", "handler", "--organisation", "受付 CI",
                 stdout=StringIO())
    with pytest.raises(CommandError, match="needs a coordinating"):
        call_command("create_staff", "--email", "c@example.test", "--role", "coordinator",
                     "--organisation", "受付 CI", stdout=StringIO())


def test_demo_publishes_one_advisory_and_keeps_the_draft_private(client) -> None:
    from earlywarn.advisories.models import Advisory

    call_command("load_demo", stdout=StringIO())
    published = Advisory.objects.filter(revisions__isnull=False).distinct()
    drafts = Advisory.objects.filter(revisions__isnull=True)
    assert published.count() == 1
    assert drafts.count() == 1
    listing = client.get("/advisories/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert published.get().tracking_id in listing
    assert drafts.get().tracking_id not in listing
    assert client.get(f"/advisories/{drafts.get().slug}/").status_code == 404
