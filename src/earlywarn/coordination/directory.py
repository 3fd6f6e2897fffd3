"""The developer directory (docs/coordination.md, "Developer directory"): product-developer organisations with
their security contacts (mail, OpenPGP key, security.txt, web form) and how they responded across cases.

Coordinators (``case:coordinate`` on product cases) read and edit it; nobody else sees it."""

from __future__ import annotations

import logging
from datetime import timedelta
from statistics import median
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.accounts.models import (
    Invitation,
    Organisation,
    OrganisationEvent,
    OrganisationKind,
    SecurityContact,
)
from earlywarn.cases.errors import ValidationFailed, clean_text
from earlywarn.cases.policy import Action, ActionDenied, Actor
from earlywarn.websites.contacts import clean_email

log = logging.getLogger(__name__)


def may_use_directory(actor: Actor) -> bool:
    return actor.staff_may(Action.CASE_COORDINATE)


def developers_search(actor: Actor, query: str = "") -> QuerySet[Organisation]:
    """Developer organisations matching ``query`` (name, English name, contact address), with case counts."""
    if not may_use_directory(actor):
        raise ActionDenied
    rows = Organisation.objects.filter(kind=OrganisationKind.DEVELOPER)
    query = (query or "").strip()[:200]
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(name_en__icontains=query) | Q(contact_email__icontains=query))
    return (rows.select_related("security_contact")
            .annotate(cases=Count("developer_notices", distinct=True),
                      acknowledged=Count("developer_notices", distinct=True,
                                         filter=Q(developer_notices__acknowledged_at__isnull=False)))
            .order_by("name", "id"))


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def response_history(actor: Actor, organisation: Organisation) -> dict[str, Any]:
    """How the developer responded, case by case: notified, acknowledged (and after how long), statements,
    disputes and the attempts it took to reach it; with the median time to acknowledge."""
    if not may_use_directory(actor):
        raise ActionDenied
    notices = list(organisation.developer_notices.select_related("case").order_by("-notified_at"))
    statements = dict(organisation.product_statements.values("case_id").annotate(n=Count("id"))
                      .values_list("case_id", "n"))
    attempts = dict(organisation.contact_attempts.values("case_id").annotate(n=Count("id"))
                    .values_list("case_id", "n"))
    rows, waits = [], []
    for notice in notices:
        wait = notice.acknowledged_at - notice.notified_at if notice.acknowledged_at else None
        if wait is not None:
            waits.append(wait)
        rows.append({"case": notice.case, "notified_at": notice.notified_at, "acknowledged_at": notice.acknowledged_at,
                     "hours": _hours(wait) if wait is not None else None,
                     "statements": statements.get(notice.case_id, 0), "attempts": attempts.get(notice.case_id, 0)})
    return {"rows": rows, "cases": len(rows), "acknowledged": len(waits),
            "median_hours": _hours(timedelta(seconds=median(w.total_seconds() for w in waits))) if waits else None}


def _url(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(value)
    except ValidationError as exc:
        raise ValidationFailed(_("Enter a valid address (https://…)."), field=field) from exc
    if len(value) > 200:
        raise ValidationFailed(_("The text is too long."), field=field)
    return value


def _key(armored: str, fingerprint: str) -> tuple[str, str]:
    from earlywarn.websites.keys import checked_fingerprint, pinned_key

    armored = (armored or "").strip()
    if not armored and not (fingerprint or "").strip():
        return "", ""
    wanted = checked_fingerprint(fingerprint, "pgp_fingerprint")
    if not armored or len(armored) > 100_000:
        raise ValidationFailed(_("Paste the OpenPGP public key (ASCII armour)."), field="pgp_key")
    info = pinned_key(armored, wanted, "pgp_fingerprint")
    return info.armored, info.fingerprint


def _directory_state(organisation: Organisation) -> dict[str, str]:
    """What the audit trail records of an entry: names, addresses and the pinned key's fingerprint (not the key)."""
    contact = SecurityContact.objects.filter(organisation=organisation).first()
    return {"name": organisation.name, "name_en": organisation.name_en, "contact_email": organisation.contact_email,
            "pgp_fingerprint": contact.pgp_fingerprint if contact else "",
            "security_txt_url": contact.security_txt_url if contact else "",
            "web_form_url": contact.web_form_url if contact else ""}


def developer_save(*, actor: Actor, data: dict[str, str], organisation: Organisation | None = None) -> Organisation:
    """Add a developer organisation to the directory, or change its name and security contacts, all or nothing.

    A key is stored only when it is usable now and has exactly the fingerprint given (checked like a website
    contact's pinned key)."""
    if not may_use_directory(actor):
        raise ActionDenied
    name = clean_text(data.get("name", ""), "name", 300, required=True)
    name_en = clean_text(data.get("name_en", ""), "name_en", 300)
    email = clean_email(data.get("contact_email", ""), field="contact_email")
    security_txt = _url(data.get("security_txt_url", ""), "security_txt_url")
    web_form = _url(data.get("web_form_url", ""), "web_form_url")
    note = clean_text(data.get("note", ""), "note", 5_000)
    key, fingerprint = _key(data.get("pgp_key", ""), data.get("pgp_fingerprint", ""))
    with transaction.atomic():
        created = organisation is None
        before = {} if organisation is None else _directory_state(organisation)
        if organisation is None:
            organisation = Organisation.objects.create(kind=OrganisationKind.DEVELOPER, name=name, name_en=name_en,
                                                       contact_email=email)
        else:
            organisation.name, organisation.name_en, organisation.contact_email = name, name_en, email
            organisation.save(update_fields=["name", "name_en", "contact_email"])
        SecurityContact.objects.update_or_create(organisation=organisation, defaults={
            "pgp_key": key, "pgp_fingerprint": fingerprint, "security_txt_url": security_txt,
            "web_form_url": web_form, "note": note, "updated_at": timezone.now(), "updated_by": actor.label})
        after = _directory_state(organisation)
        # An invitation not yet used, sent to an address that is no longer the developer's, must not let whoever
        # reads that mailbox now join the organisation (and see its cases).
        revoked = Invitation.objects.filter(organisation=organisation, used_at__isnull=True, revoked_at__isnull=True,
                                            expires_at__gt=timezone.now()).exclude(email__iexact=email)
        revoked_count = revoked.update(revoked_at=timezone.now()) if not created else 0
        OrganisationEvent.objects.create(
            organisation=organisation, tag="directory:developer:added" if created else "directory:developer:changed",
            actor=actor.user, actor_label=actor.label,
            data={"changed": sorted(k for k in after if before.get(k) != after[k]), **after,
                  **({"invitations_revoked": revoked_count} if revoked_count else {})})
    log.info("developer directory: %s saved %s", actor.label, organisation.pk)
    return organisation
