"""A product case under coordination with one developer, a pool of five members and the staff who work it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.accounts.models import Organisation, OrganisationKind, Role, User
from earlywarn.accounts.services import token_create
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.committee.models import CommitteeMember
from earlywarn.coordination import services as coordination
from tests import factories


def mfa(user: User) -> User:
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}})
    return user


def coordinating_case(handler: User, coordinator: User, org: Organisation, **submission: Any) -> Case:
    receipt = factories.submit("product", **submission)
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    case = coordination.coordination_start(actor=Actor.for_user(coordinator), case=case, organisations=str(org.id))
    return Case.objects.get(pk=case.pk)


@dataclass
class Setup:
    case: Case
    org: Organisation
    dev: User
    coordinator: User
    admin: User
    members: list[CommitteeMember]

    @property
    def staff(self) -> Actor:
        return Actor.for_user(self.coordinator)

    def fresh(self) -> Case:
        return Case.objects.get(pk=self.case.pk)


@pytest.fixture
def setup(handler, coordinator, administrator) -> Setup:
    dev = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name="難航株式会社",
                           contact_email="psirt@deadlock.example.test")
    org = dev.memberships.get().organisation
    case = coordinating_case(handler, coordinator, org, description="canary-committee-description")
    members = [CommitteeMember.objects.create(user=factories.UserFactory(display_name=f"委員{i}"), note=f"m{i}")
               for i in range(5)]
    return Setup(case, org, dev, mfa(coordinator), mfa(administrator), members)


def api(client: Any, user: User) -> Any:
    """Call the API as ``user`` with a bearer token: ``call(method, path, **json) -> (status, body)``."""
    _token, raw = token_create(user=user, name="test")
    headers = {"Authorization": f"Bearer {raw}"}

    def call(method: str, path: str, **data: Any) -> tuple[int, Any]:
        response = getattr(client, method)(f"/api/v1{path}", data=json.dumps(data) if method == "post" else None,
                                            content_type="application/json", headers=headers)
        return response.status_code, response.json()

    return call
