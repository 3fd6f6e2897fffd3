"""What the operator (or the builder acting for it) does on its page or through the API (§4.21)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.accounts.models import Organisation, OrganisationKind
from earlywarn.cases.errors import ValidationFailed, clean_text
from earlywarn.cases.models import Case, CaseParticipant
from earlywarn.cases.policy import Action, Actor
from earlywarn.cases.services import event_record
from earlywarn.websites.contacts import clean_email, require_website
from earlywarn.websites.models import Audience, ContactRole, ContactSource, FixKind, FixReport, WebsiteContact
from earlywarn.websites.notification import contact_mail

NOTIFIED = frozenset({"operator_notified"})
MAX_TEXT = 20_000


def _contact_of(actor: Actor, case: Case) -> WebsiteContact | None:
    """The contact behind a link actor (None for an account holder or staff)."""
    if actor.link_organisation_id is None:
        return None
    return case.website_contacts.filter(organisation_id=actor.link_organisation_id).order_by("created_at").first()


def operator_acknowledge(*, actor: Actor, case: Case) -> Case:
    """The operator confirms receipt of the notification (§4.21: reply promptly). Repeating it changes nothing."""
    require_website(actor, case, Action.CASE_OPERATOR_RESPOND, NOTIFIED)
    contact = _contact_of(actor, case)
    with transaction.atomic():
        already = case.events.filter(tag="case:operator:acknowledged").exists()
        if contact is not None and contact.acknowledged_at is None:
            contact.acknowledged_at = timezone.now()
            contact.save(update_fields=["acknowledged_at"])
        if not already:
            event_record(case=case, actor=actor, tag="case:operator:acknowledged",
                         data={"contact": str(contact.id) if contact else ""})
    return case


def builder_add(*, actor: Actor, case: Case, email: str, name: str = "", organisation_name: str = "",
                language: str = "ja") -> WebsiteContact:
    """Bring the website's builder into the case with a link of its own (§4.21: builders acting for operators)."""
    require_website(actor, case, Action.CASE_OPERATOR_RESPOND, NOTIFIED)
    address = clean_email(email)
    if language not in {"ja", "en"}:
        raise ValidationFailed(_("Choose a value from the list."), field="language")
    if case.website_contacts.filter(email=address, role=ContactRole.BUILDER).exists():
        raise ValidationFailed(_("This builder is already part of the case."), field="email")
    name = clean_text(name, "name", 200)
    org_name = clean_text(organisation_name, "organisation_name", 300) or name or address
    with transaction.atomic():
        organisation = Organisation.objects.create(kind=OrganisationKind.OPERATOR, name=org_name, name_en=org_name)
        CaseParticipant.objects.create(case=case, organisation=organisation, role="builder",
                                       added_at=timezone.now())
        contact = WebsiteContact.objects.create(
            case=case, organisation=organisation, role=ContactRole.BUILDER, email=address, name=name,
            language=language, audience=Audience.BUILDER, source=ContactSource.OPERATOR)
        inviter = _contact_of(actor, case)
        contact_mail(case, contact, "builder_invited",
              operator_name=inviter.organisation.display_name(language) if inviter else "")
        event_record(case=case, actor=actor, tag="case:builder:added", data={"contact": str(contact.id)})
    return contact


def fix_report(*, actor: Actor, case: Case, kind: str, description: str = "", fixed_on: str = "") -> FixReport:
    """The operator reports the fix: fixed, page deleted, or avoided by operation (運用で回避, needs a description).

    The handler then verifies it and closes the case (``closures.fix_close``).
    """
    require_website(actor, case, Action.CASE_OPERATOR_RESPOND, NOTIFIED)
    if kind not in FixKind.values:
        raise ValidationFailed(_("Choose a value from the list."), field="kind")
    description = description.strip()
    if len(description) > MAX_TEXT:
        raise ValidationFailed(_("The text is too long."), field="description")
    if kind == FixKind.WORKAROUND and not description:
        raise ValidationFailed(_("Describe how the problem is avoided."), field="description")
    today = timezone.localdate()
    day = today
    if fixed_on.strip():
        try:
            day = date.fromisoformat(fixed_on.strip())
        except ValueError as exc:
            raise ValidationFailed(_("Enter a valid date."), field="fixed_on") from exc
        if day > today or (case.notified_at and day < timezone.localdate(case.notified_at)):
            raise ValidationFailed(_("The date must be between the notification and today."), field="fixed_on")
    with transaction.atomic():
        report = FixReport.objects.create(case=case, contact=_contact_of(actor, case), kind=kind,
                                          description=description, fixed_on=day)
        event_record(case=case, actor=actor, tag="case:operator:fix_reported", reason=description,
                     data={"kind": kind, "fixed_on": day.isoformat()})
    return report
