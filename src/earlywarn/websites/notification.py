"""Notifying operators (§3.3 step 4), their links, and reminders while no fix is reported."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor
from earlywarn.cases.services import case_transition, event_record
from earlywarn.config.knobs import knob_int
from earlywarn.notify.services import mail_enqueue
from earlywarn.websites.contacts import require_website, site_host
from earlywarn.websites.explain import help_list, plain, type_label
from earlywarn.websites.links import link_current, link_issue, link_url
from earlywarn.websites.models import ContactRole, ParticipantLink, WebsiteContact

logger = logging.getLogger("earlywarn.websites")


def vulnerability_type(case: Case) -> str:
    if case.vulnerability_type:
        return case.vulnerability_type
    first = case.vulnerabilities.exclude(website_type="").first()
    return first.website_type if first else str(case.report.submission.get("website_type") or "")


def active_contacts(case: Case, role: str | None = None) -> list[WebsiteContact]:
    """Contacts whose organisation is still a participant of the case (recipients follow the policy)."""
    orgs = set(case.participants.filter(removed_at__isnull=True).values_list("organisation_id", flat=True))
    contacts = case.website_contacts.select_related("organisation")
    if role:
        contacts = contacts.filter(role=role)
    return [c for c in contacts if c.organisation_id in orgs]


def mail_context(case: Case, contact: WebsiteContact, link: ParticipantLink, *, encrypted: bool = False,
                 **extra: Any) -> dict[str, Any]:
    """The mail's context. ``encrypted``: the body is for the pinned key only, so it carries the details; a plain
    body to a contact with a pinned key never does (it is what goes when the key is unusable)."""
    language = contact.language
    kind = vulnerability_type(case)
    notified = case.notified_at or timezone.now()
    submission = case.report.submission
    details = encrypted or (settings.EARLYWARN["OPERATOR_MAIL_DETAILS"] and contact.role == ContactRole.OPERATOR
                            and not contact.pgp_fingerprint)
    return {
        "tracking_id": case.tracking_id, "host": site_host(case), "contact_name": contact.name,
        "audience": contact.audience, "role": contact.role, "link_url": link_url(link),
        "plain": plain(kind, language), "type_label": type_label(kind, language),
        "ack_by": timezone.localdate(notified + timedelta(days=knob_int("OPERATOR_ACK_DAYS"))),
        "notified_on": timezone.localdate(notified), "link_expires": timezone.localdate(link.expires_at),
        "help": help_list(language), "prolonged_days": knob_int("PROLONGED_DAYS"),
        "details": ({"url": submission.get("url", ""), "description": submission.get("description", ""),
                     "reproduction": submission.get("reproduction", ""), "impact": submission.get("impact", "")}
                    if details else None),
        "organisation": contact.organisation.display_name(language), **extra,
    }


def contact_mail(case: Case, contact: WebsiteContact, template: str, **extra: Any) -> None:
    link = link_current(contact) or link_issue(contact)
    pinned = bool(contact.pgp_fingerprint and contact.pgp_key)
    mail_enqueue(template=template, to=contact.email, language=contact.language, case=case,
                 context=mail_context(case, contact, link, **extra),
                 pgp_key=contact.pgp_key if pinned else "", pgp_fingerprint=contact.pgp_fingerprint if pinned else "",
                 secure_context=({"base_url": settings.BASE_URL, **mail_context(case, contact, link, encrypted=True,
                                                                                **extra)} if pinned else None))


def operator_notify(*, actor: Actor, case: Case, reason: str = "") -> Case:
    """Send the notification to every recorded operator contact; the notification date starts the clocks."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE, frozenset({"content_check"}))
    if not active_contacts(case, ContactRole.OPERATOR):
        raise ValidationFailed(_("Record the operator's contact first."), field="contact")
    fields: dict[str, Any] = {"vulnerability_type": vulnerability_type(case)}
    operator = case.participants.filter(role="operator", removed_at__isnull=True).select_related(
        "organisation__website_operator").first()
    if operator is not None and operator.organisation is not None and hasattr(operator.organisation,
                                                                              "website_operator"):
        fields["operator_type"] = operator.organisation.website_operator.operator_type

    def effects(updated: Case) -> None:
        for contact in active_contacts(updated, ContactRole.OPERATOR):
            contact_mail(updated, contact, "operator_notification")
            contact.notified_at = updated.notified_at
            contact.save(update_fields=["notified_at"])

    return case_transition(actor=actor, case=case, action="notify_operator", reason=reason, fields=fields,
                           effects=effects, data={"contacts": len(active_contacts(case, ContactRole.OPERATOR))})


def link_reissue(*, actor: Actor, case: Case, contact_id: str) -> WebsiteContact:
    """Revoke a contact's links and send a new one (a leaked or expired link)."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE, frozenset({"operator_notified"}))
    contact = next((c for c in active_contacts(case) if str(c.id) == contact_id), None)
    if contact is None:
        raise ValidationFailed(_("Choose a value from the list."), field="contact")
    with transaction.atomic():
        contact.links.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        contact_mail(case, contact, "operator_new_link")
        event_record(case=case, actor=actor, tag="case:link:reissued", data={"contact": str(contact.id)})
    return contact


def reminder_days() -> list[int]:
    days = []
    for item in list(settings.EARLYWARN["OPERATOR_REMINDER_DAYS"]):  # type: ignore[call-overload]
        try:
            days.append(int(item))
        except ValueError:
            logger.warning("ignoring a reminder day that is not a number: %r", item)
    return sorted(d for d in set(days) if d > 0)


def reminders_due(now: Any = None) -> int:
    """Send each reminder due (once per case and day); idempotent, so an extra run sends nothing twice."""
    now = now or timezone.now()
    days = reminder_days()
    if not days:
        return 0
    earliest = now - timedelta(days=days[0])
    cases = Case.objects.select_related("report").filter(flow="website", state="operator_notified",
                                                         notified_at__lte=earliest, fix_reports__isnull=True)
    sent = 0
    for case in cases.iterator():
        elapsed = (now - case.notified_at).days if case.notified_at else 0
        due = max((d for d in days if d <= elapsed), default=None)
        if due is None:
            continue
        with transaction.atomic():
            locked = Case.objects.select_for_update().select_related("report").get(pk=case.pk)
            if locked.state != "operator_notified" or locked.fix_reports.exists():
                continue
            if locked.events.filter(tag="case:operator:reminded", data__day=due).exists():
                continue
            contacts = active_contacts(locked, ContactRole.OPERATOR)
            for contact in contacts:
                contact_mail(locked, contact, "operator_reminder", day=due,
                      acknowledged=contact.acknowledged_at is not None)
            event_record(case=locked, actor=Actor.system(), tag="case:operator:reminded",
                         data={"day": due, "contacts": len(contacts)})
            sent += 1
    return sent
