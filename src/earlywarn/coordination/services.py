"""Coordination services (docs/coordination.md): the coordinator notifies developers, lists unreachable ones and
resumes; developers acknowledge and state per product. Every change writes a ``CaseEvent`` in its transaction;
state changes go through ``case_transition()``."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from earlywarn.accounts.models import Organisation, OrganisationKind
from earlywarn.cases.errors import InvalidTransition, ValidationFailed, clean_text
from earlywarn.cases.models import Case, CaseParticipant, ParticipantRole
from earlywarn.cases.policy import Action, ActionDenied, Actor, can
from earlywarn.cases.services import case_transition, event_record
from earlywarn.coordination import clock
from earlywarn.coordination.models import (
    ContactAttempt,
    Coordination,
    DeveloperNotice,
    ProductStatement,
    ProductStatus,
    UnreachableListing,
)
from earlywarn.coordination.notice_mail import notice_send
from earlywarn.websites.contacts import clean_email

ACTIVE = frozenset({"coordinating", "unreachable_listed", "committee"})
CHANNELS = ("email", "phone", "post", "other")
CHANNEL_LABELS = {"email": gettext_lazy("E-mail"), "phone": gettext_lazy("Telephone"), "post": gettext_lazy("Post"),
                  "other": gettext_lazy("Other")}
LANGUAGES = ("ja", "en")


def require_product(actor: Actor, case: Case, action: Action, states: frozenset[str]) -> None:
    """The guard of every coordination service: the permission first, then the flow and the state."""
    if not can(actor, action, case):
        raise ActionDenied
    if case.flow != "product" or case.state not in states:
        raise InvalidTransition(_("This is not possible for this case in its current state."))


def _developers(ids: str, name: str, email: str) -> list[tuple[Organisation, str]]:
    """The organisations named by id (product developers with a security contact) and at most one new one."""
    chosen: list[tuple[Organisation, str]] = []
    for raw in [part.strip() for part in (ids or "").split(",") if part.strip()]:
        try:
            org = Organisation.objects.filter(pk=uuid.UUID(raw), kind=OrganisationKind.DEVELOPER).first()
        except ValueError:
            org = None
        if org is None:
            raise ValidationFailed(_("Choose a product developer from the list."), field="organisations")
        if not org.contact_email:
            raise ValidationFailed(_("%(name)s has no security contact e-mail address.") % {"name": org.name},
                                   field="organisations")
        chosen.append((org, org.contact_email))
    if name.strip() or email.strip():
        address = clean_email(email)
        org = Organisation(kind=OrganisationKind.DEVELOPER, name=clean_text(name, "name", 300, required=True),
                           contact_email=address)
        chosen.append((org, address))
    if not chosen:
        raise ValidationFailed(_("Name at least one product developer."), field="organisations")
    return chosen


def _notify(actor: Actor, case: Case, developers: list[tuple[Organisation, str]], language: str) -> int:
    """Bring the developers in and queue their notices (no vulnerability details: they log in to read them)."""
    added = 0
    for org, address in developers:
        if org.pk is None or org._state.adding:
            org.save()
        if case.developer_notices.filter(organisation=org).exists():
            continue
        CaseParticipant.objects.get_or_create(case=case, organisation=org, role=ParticipantRole.DEVELOPER,
                                              removed_at=None)
        DeveloperNotice.objects.create(case=case, organisation=org, email=address, language=language)
        notice_send(case=case, organisation=org, address=address, language=language)  # with the portal invitation
        event_record(case=case, actor=actor, tag="case:developer:notified", data={"organisation": str(org.pk)})
        added += 1
    return added


def coordination_start(*, actor: Actor, case: Case, organisations: str = "", name: str = "", email: str = "",
                       language: str = "ja", reason: str = "") -> Case:
    """Start coordination (§3.2 step 4): notify the developers; the start date and the target go on the case."""
    require_product(actor, case, Action.CASE_COORDINATE, frozenset({"content_check"}))
    if (language or "ja") not in LANGUAGES:
        raise ValidationFailed(_("Choose a value from the list."), field="language")
    developers = _developers(organisations, name, email)

    def effects(updated: Case) -> None:
        today = timezone.localdate()
        start = clock.start_date(updated, today)
        Coordination.objects.update_or_create(case=updated, defaults={
            "start_date": start, "target_date": clock.target_date(start), "started_at": timezone.now()})
        _notify(actor, updated, developers, language or "ja")

    return case_transition(actor=actor, case=case, action="start_coordination", reason=reason, effects=effects,
                           data={"developers": len(developers)})


def developer_add(*, actor: Actor, case: Case, organisations: str = "", name: str = "", email: str = "",
                  language: str = "ja") -> int:
    """Bring a further developer into a case under coordination (a supplier, an OEM)."""
    require_product(actor, case, Action.CASE_COORDINATE, ACTIVE)
    if (language or "ja") not in LANGUAGES:
        raise ValidationFailed(_("Choose a value from the list."), field="language")
    developers = _developers(organisations, name, email)
    with transaction.atomic():
        notified = _notify(actor, case, developers, language or "ja")
        # Under the committee's review: a member tied to the new developer can no longer sit on the case.
        from earlywarn.committee.vacancies import seats_vacate

        seats_vacate(actor, why="developer_added", case=case)
        return notified


def own_notices(actor: Actor, case: Case, organisation: str = "") -> list[DeveloperNotice]:
    """The notices of the developers the actor answers for on the case (only ``organisation``'s when given)."""
    organisation = (organisation or "").strip()
    notices = [n for n in case.developer_notices.select_related("organisation")
               if n.organisation_id in actor.participant_org_ids]
    if organisation:
        notices = [n for n in notices if str(n.organisation_id) == organisation]
    if not notices:
        raise ValidationFailed(_("You do not answer for a developer of this case."), field="organisation")
    return notices


def own_notice(actor: Actor, case: Case, organisation: str = "") -> DeveloperNotice:
    """The one notice the actor answers with: a member of several developers of the case must name one."""
    notices = own_notices(actor, case, organisation)
    if len(notices) > 1:
        raise ValidationFailed(_("Choose the organisation you answer for."), field="organisation")
    return notices[0]


def developer_acknowledge(*, actor: Actor, case: Case) -> int:
    """The developer confirms it received the notice (each of the actor's organisations on the case)."""
    require_product(actor, case, Action.CASE_DEVELOPER_RESPOND, ACTIVE)
    with transaction.atomic():
        pending = [n for n in own_notices(actor, case) if n.acknowledged_at is None]
        for notice in pending:
            notice.acknowledged_at = timezone.now()
            notice.save(update_fields=["acknowledged_at"])
            event_record(case=case, actor=actor, tag="case:developer:acknowledged",
                         data={"organisation": str(notice.organisation_id)})
    return len(pending)


def product_state(*, actor: Actor, case: Case, data: dict[str, str]) -> ProductStatement:
    """The developer's status of one product and version, and its statement for publication (upserted)."""
    require_product(actor, case, Action.CASE_DEVELOPER_RESPOND, ACTIVE)
    notice = own_notice(actor, case, data.get("organisation", ""))
    product = clean_text(data.get("product", ""), "product", 200, required=True)
    version = clean_text(data.get("version", ""), "version", 100)
    status = (data.get("status") or "").strip()
    if status not in ProductStatus.values:
        raise ValidationFailed(_("Choose a value from the list."), field="status")
    fixed_version = clean_text(data.get("fixed_version", ""), "fixed_version", 100)
    if status == ProductStatus.FIXED and not fixed_version:
        raise ValidationFailed(_("Give the version that fixes it."), field="fixed_version")
    statement = clean_text(data.get("statement", ""), "statement", 10_000)
    with transaction.atomic():
        row, _created = ProductStatement.objects.update_or_create(
            case=case, organisation=notice.organisation, product=product, version=version,
            defaults={"status": status, "fixed_version": fixed_version if status == ProductStatus.FIXED else "",
                      "statement": statement, "updated_at": timezone.now()})
        if notice.acknowledged_at is None:  # a statement is an answer: the notice arrived
            notice.acknowledged_at = timezone.now()
            notice.save(update_fields=["acknowledged_at"])
        event_record(case=case, actor=actor, tag="case:developer:product_stated",
                     data={"organisation": str(notice.organisation_id), "product": product, "version": version,
                           "status": status})
    return row


def _notice(case: Case, organisation: str) -> DeveloperNotice:
    notice = next((n for n in case.developer_notices.select_related("organisation")
                   if str(n.organisation_id) == (organisation or "").strip()), None)
    if notice is None:
        raise ValidationFailed(_("Choose a product developer from the list."), field="organisation")
    return notice


def contact_attempt_record(*, actor: Actor, case: Case, organisation: str = "", channel: str = "",
                           note: str = "") -> ContactAttempt:
    """One attempt to reach a developer that did not answer (§4.6)."""
    require_product(actor, case, Action.CASE_COORDINATE, ACTIVE)
    notice = _notice(case, organisation)
    if channel not in CHANNELS:
        raise ValidationFailed(_("Choose a value from the list."), field="channel")
    note = clean_text(note, "note", 5_000)
    with transaction.atomic():
        attempt = ContactAttempt.objects.create(case=case, organisation=notice.organisation, channel=channel,
                                                note=note, recorded_by=actor.label)
        event_record(case=case, actor=actor, tag="case:developer:contact_attempted",
                     data={"organisation": str(notice.organisation_id), "channel": channel})
    return attempt


def unreachable_list(*, actor: Actor, case: Case, organisation: str = "", product: str = "", reason: str = "") -> Case:
    """List the case on the public unreachable-developer list (§4.6): developer name and product, nothing else."""
    require_product(actor, case, Action.CASE_COORDINATE, frozenset({"coordinating"}))
    notice = _notice(case, organisation)
    if notice.acknowledged_at is not None:
        raise ValidationFailed(_("This developer has answered: it is not unreachable."), field="organisation")
    if not case.contact_attempts.filter(organisation=notice.organisation).exists():
        raise ValidationFailed(_("Record the attempts to reach the developer first."), field="organisation")
    shown = clean_text(product or str(case.report.submission.get("product_name") or ""), "product", 200, required=True)

    def effects(updated: Case) -> None:
        UnreachableListing.objects.create(case=updated, developer_name=notice.organisation.name, product=shown)

    return case_transition(actor=actor, case=case, action="list_unreachable", reason=reason, effects=effects,
                           data={"organisation": str(notice.organisation_id)})


def coordination_resume(*, actor: Actor, case: Case, reason: str = "") -> Case:
    """Resume coordination (調整を再開): the developer made contact, or the committee sent the case back."""
    require_product(actor, case, Action.CASE_COORDINATE, frozenset({"unreachable_listed", "committee"}))

    def effects(updated: Case) -> None:
        updated.unreachable_listings.filter(ended_at__isnull=True).update(ended_at=timezone.now())
        from earlywarn.committee.services import referral_end_on_resume  # the committee builds on this app

        referral_end_on_resume(actor, updated)

    return case_transition(actor=actor, case=case, action="resume_coordination", reason=reason, effects=effects)
