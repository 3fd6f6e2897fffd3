"""factory_boy factories and role helpers shared by the whole suite."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from earlywarn.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from earlywarn.cases.models import Case, CaseParticipant
from earlywarn.cases.policy import Actor
from earlywarn.intake.services import Receipt, report_submit


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.DEVELOPER
    name = factory.Sequence(lambda n: f"組織{n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


def member(kind: str, role: str, **org: Any) -> User:
    """A user with one membership of ``role`` in a new organisation of ``kind``."""
    user = UserFactory()
    organisation = OrganisationFactory(kind=kind, **org)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def handler() -> User:
    return member(OrganisationKind.RECEIVING, Role.HANDLER)


def coordinator() -> User:
    return member(OrganisationKind.COORDINATING, Role.COORDINATOR)


def administrator() -> User:
    return member(OrganisationKind.RECEIVING, Role.ADMINISTRATOR)


def product_submission(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Stored XSS in the admin console",
        "description": "The comment field is rendered without escaping.",
        "reproduction": "1. Post <script>alert(1)</script> as a comment.\n2. Open the admin console.",
        "impact": "Session theft of administrators.",
        "exploitation": "unknown",
        "vendor_informed": False,
        "finder_name": "山田 太郎",
        "finder_email": "finder@example.test",
        "finder_organisation": "",
        "credit": "name",
        "credit_name": "",
        "consent_share_identity": False,
        "product_name": "ExampleCMS",
        "vendor_name": "Example Corp",
        "product_version": "4.2",
        "cwe": "CWE-79",
        "self_report": False,
    }
    data.update(overrides)
    return data


def website_submission(**overrides: Any) -> dict[str, Any]:
    data = product_submission()
    for key in ("product_name", "vendor_name", "product_version", "cwe", "self_report"):
        data.pop(key)
    data.update({"title": "SQL injection in search", "url": "https://shop.example.test/search?q=1",
                 "website_type": "sql_injection", "threat": "data_tampering"})
    data.update(overrides)
    return data


def submit(kind: str = "product", *, actor: Actor | None = None, **overrides: Any) -> Receipt:
    submission = product_submission(**overrides) if kind == "product" else website_submission(**overrides)
    return report_submit(actor=actor or Actor.anonymous(), kind=kind, submission=submission, language="ja")


def bring_in(case: Case, organisation: Organisation, role: str = "developer") -> CaseParticipant:
    return CaseParticipant.objects.create(case=case, organisation=organisation, role=role,
                                          added_at=timezone.now())
