"""Shared set-up of the coordination tests: API callers and a product case under coordination with two developers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator

from earlywarn.accounts.models import Organisation, OrganisationKind, Role, User
from earlywarn.accounts.services import token_create
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.coordination.services import coordination_start
from tests import factories
from tests.factories import submit


def api(client: Any, user: User, *, staff: bool = False) -> Callable[..., tuple[int, Any]]:
    """Call the API as ``user`` with a token (staff get the MFA device their token requires)."""
    if staff and not Authenticator.objects.filter(user=user).exists():
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    _token, raw = token_create(user=user, name="test")
    headers = {"Authorization": f"Bearer {raw}"}

    def call(method: str, path: str, **data: Any) -> tuple[int, Any]:
        response = getattr(client, method)(f"/api/v1{path}", data=json.dumps(data) if method == "post" else None,
                                            content_type="application/json", headers=headers)
        return response.status_code, response.json()
    return call


def developer(name: str, email: str) -> tuple[Organisation, User]:
    user = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER, name=name, contact_email=email)
    return user.memberships.get().organisation, user


def coordinating_case(handler: User, coordinator: User, **submission: Any
                      ) -> tuple[Case, tuple[Organisation, User], tuple[Organisation, User]]:
    """An accepted product report under coordination with two notified developers (each with one member)."""
    receipt = submit("product", **submission)
    case = case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=True)
    first, second = developer("エー株式会社", "psirt@a.example.test"), developer("ビー株式会社", "sec@b.example.test")
    case = coordination_start(actor=Actor.for_user(coordinator), case=case,
                              organisations=f"{first[0].id},{second[0].id}")
    return case, first, second
