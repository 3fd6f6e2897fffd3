"""Finding and recording who runs a reported site (§4.13: prefer the site's published security contact)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.accounts.models import Organisation, OrganisationKind
from earlywarn.cases.categories import WEBSITE_OPERATOR_TYPES
from earlywarn.cases.errors import InvalidTransition, ValidationFailed, clean_text
from earlywarn.cases.models import Case, CaseParticipant
from earlywarn.cases.policy import Action, ActionDenied, Actor, can
from earlywarn.cases.services import event_record
from earlywarn.websites.fetch import Discovery, discover
from earlywarn.websites.models import Audience, ContactRole, ContactSource, Operator, WebsiteContact

OPEN_STATES = frozenset({"content_check", "operator_notified"})


def site_url(case: Case) -> str:
    return str(case.report.submission.get("url") or "")


def site_host(case: Case) -> str:
    return (urlsplit(site_url(case)).hostname or "").lower()


def require_website(actor: Actor, case: Case, action: Action, states: frozenset[str] = OPEN_STATES) -> None:
    """The common guard of website services: the permission first, then the flow and the state."""
    if not can(actor, action, case):
        raise ActionDenied
    if case.flow != "website" or case.state not in states:
        raise InvalidTransition(_("This is not possible for this case in its current state."))


def clean_email(value: str, field: str = "email") -> str:
    address = (value or "").strip().lower()
    try:
        EmailValidator()(address)
    except ValidationError as exc:
        raise ValidationFailed(_("Enter a valid e-mail address."), field=field) from exc
    return address


def _choice(value: str, allowed: Any, field: str, default: str) -> str:
    value = (value or default).strip()
    if value not in allowed:
        raise ValidationFailed(_("Choose a value from the list."), field=field)
    return value


def known_operators(case: Case) -> list[Operator]:
    """Operators already known to run the reported host (offered to the handler)."""
    host = site_host(case)
    if not host:
        return []
    return [op for op in Operator.objects.select_related("organisation") if host in op.hosts][:10]


def contact_discover(*, actor: Actor, case: Case) -> Discovery:
    """Fetch the site's security.txt (short deadline) and record what was found as an event."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE)
    result = discover(site_url(case))
    with transaction.atomic():
        event_record(case=case, actor=actor, tag="case:contact:discovered", data=result.as_data())
    return result


def _operator_for(case: Case, data: dict[str, str]) -> Operator:
    """A known operator (by id), or a new one remembered with its type and the case's host."""
    known = (data.get("operator") or "").strip()
    if known:
        number = int(known) if known.isascii() and known.isdigit() and len(known) < 19 else 0  # "²" is a digit too
        operator = Operator.objects.select_related("organisation").filter(pk=number).first()
        if operator is None:
            raise ValidationFailed(_("Choose a value from the list."), field="operator")
    else:
        name = clean_text(data.get("organisation_name", ""), "organisation_name", 300) or site_host(case)
        operator_type = _choice(data.get("operator_type", ""), WEBSITE_OPERATOR_TYPES, "operator_type", "")
        organisation = Organisation.objects.create(kind=OrganisationKind.OPERATOR, name=name, name_en=name)
        operator = Operator.objects.create(organisation=organisation, operator_type=operator_type)
    host = site_host(case)
    if host and host not in operator.hosts:
        operator.hosts = [*operator.hosts, host]
        operator.save(update_fields=["hosts"])
    return operator


def contact_record(*, actor: Actor, case: Case, data: dict[str, str]) -> WebsiteContact:
    """Record the operator's contact (from security.txt or other sources) and bring the operator into the case."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE)
    email = clean_email(data.get("email", ""))
    audience = _choice(data.get("audience", ""), Audience.values, "audience", Audience.SMALL)
    language = _choice(data.get("language", ""), {"ja", "en"}, "language", "ja")
    source = _choice(data.get("source", ""), {ContactSource.SECURITY_TXT, ContactSource.HANDLER}, "source",
                     ContactSource.HANDLER)
    encryption = clean_text(data.get("encryption", ""), "encryption", 500)
    name = clean_text(data.get("name", ""), "name", 200)
    schemes = ("https://", "http://") if settings.EARLYWARN["SECURITY_TXT_ALLOW_HTTP"] else ("https://",)
    if encryption and not encryption.lower().startswith(schemes):
        # security.txt also allows openpgp4fpr: and dns: values; the platform fetches keys over https only.
        raise ValidationFailed(_("Give the address the key can be downloaded from (https://…); a fingerprint or a "
                                 "dns: value cannot be fetched: paste the key itself instead."), field="encryption")
    with transaction.atomic():
        operator = _operator_for(case, data)
        contact = WebsiteContact.objects.create(
            case=case, organisation=operator.organisation, role=ContactRole.OPERATOR, email=email,
            name=name, language=language, audience=audience, source=source,
            encryption=encryption)
        if not case.participants.filter(organisation=operator.organisation, removed_at__isnull=True).exists():
            CaseParticipant.objects.create(case=case, organisation=operator.organisation, role="operator",
                                           added_at=timezone.now())
        event_record(case=case, actor=actor, tag="case:contact:recorded",
                     data={"contact": str(contact.id), "source": source, "audience": audience,
                           "operator_type": operator.operator_type})
    return contact
