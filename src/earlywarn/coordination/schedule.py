"""The publication schedule of a product case (§3.2 step 4, §4.4; docs/coordination.md "Schedule").

The coordinator proposes a publication date-time in a time zone; every developer notified on the case agrees to it
(or the coordinator records the agreement with a reason); the agreed date-time is the embargo's end. A new proposal
replaces an agreed date: nothing is published on a date that is being renegotiated. At the agreed date-time the
periodic job publishes the case (``scheduled_publications_due``); developers that have not confirmed receipt are
reminded (``developer_reminders_due``). Every change writes a ``CaseEvent`` in its transaction.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.cases.errors import ConcurrentChange, DomainError, InvalidTransition, ValidationFailed, clean_text
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import Action, ActionDenied, Actor, can
from earlywarn.cases.services import case_transition, event_record
from earlywarn.config.knobs import knob_list
from earlywarn.coordination.models import DeveloperNotice, DeveloperReminder, PublicationSchedule
from earlywarn.coordination.schedule_advisory import publish_effects
from earlywarn.coordination.services import ACTIVE, own_notices, require_product
from earlywarn.intake.tokens import status_url
from earlywarn.notify.services import mail_enqueue
from earlywarn.stats.calendar import business_days_between

logger = logging.getLogger(__name__)

SCHEDULABLE = frozenset({"coordinating"})
DEFAULT_ZONE = "Asia/Tokyo"
# The scheduled publication acts with exactly these rights (cases/policy.py, Actor.system).
SCHEDULER = Actor.system(frozenset({Action.CASE_PUBLISH, Action.ADVISORY_EDIT, Action.ADVISORY_PUBLISH}))
PROPOSED, DEVELOPER_AGREED, AGREED = "case:schedule:proposed", "case:schedule:developer_agreed", "case:schedule:agreed"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_when(publish_at: str, time_zone: str) -> tuple[datetime, str]:
    """A date-time (``YYYY-MM-DD HH:MM``, local to ``time_zone`` unless it carries an offset) in an IANA zone."""
    zone = (time_zone or "").strip() or DEFAULT_ZONE
    if zone not in _zones():
        raise ValidationFailed(_("Give a time zone of the IANA database, such as Asia/Tokyo."), field="time_zone")
    try:
        when = datetime.fromisoformat((publish_at or "").strip())
    except ValueError as exc:
        raise ValidationFailed(_("Give the date and time as YYYY-MM-DD HH:MM."), field="publish_at") from exc
    if not 1900 <= when.year <= timezone.now().year + 10:  # also keeps clear of year 1 and 9999 (overflow)
        raise ValidationFailed(_("Give a publication date within the next ten years."), field="publish_at")
    if timezone.is_naive(when):
        when = when.replace(tzinfo=ZoneInfo(zone))
    when = when.astimezone(ZoneInfo("UTC")).replace(microsecond=0)
    if when <= timezone.now():
        raise ValidationFailed(_("The publication date must be in the future."), field="publish_at")
    return when, zone


def local_text(when: datetime | None, zone: str) -> str:
    """``2026-12-01 10:00 (Asia/Tokyo, UTC+09:00)``: how every party reads an agreed date-time."""
    if when is None:
        return ""
    local = when.astimezone(ZoneInfo(zone if zone in _zones() else DEFAULT_ZONE))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} ({zone}, UTC{offset[:3]}:{offset[3:]})"


def _lock(case: Case) -> tuple[Case, PublicationSchedule]:
    locked = Case.objects.select_for_update().select_related("report").get(pk=case.pk)
    schedule, _created = PublicationSchedule.objects.select_for_update().get_or_create(case=locked)
    return locked, schedule


def _proposal(case: Case) -> CaseEvent | None:
    return case.events.filter(tag=PROPOSED).order_by("-created_at", "-id").first()


def agreed_organisations(case: Case, proposal: CaseEvent | None) -> set[str]:
    """The developers (organisation ids) that agreed to the current proposal."""
    if proposal is None:
        return set()
    return {str(e.data.get("organisation")) for e in case.events.filter(tag=DEVELOPER_AGREED,
                                                                          data__proposal=proposal.pk)}


def portal_link(case: Case) -> str:
    """The case's page in the developer portal (a login page for anyone else: no details in the address)."""
    return f"{settings.BASE_URL}/developer/cases/{case.pk}/"


def developer_mail(case: Case, template: str, **context: Any) -> None:
    for notice in case.developer_notices.select_related("organisation"):
        mail_enqueue(template=template, to=notice.email, language=notice.language, case=case,
                     context={"tracking_id": case.tracking_id, "link": portal_link(case),
                              "organisation": notice.organisation.display_name(notice.language), **context})


def _finder_mail(case: Case, template: str, **context: Any) -> None:
    report = case.report
    if report.finder_email:
        mail_enqueue(template=template, to=report.finder_email, language=report.language, case=case,
                     context={"tracking_id": report.tracking_id, "finder_name": report.finder_name,
                              "link": status_url(report.id), "finder": True, **context})


def publication_propose(*, actor: Actor, case: Case, publish_at: str = "", time_zone: str = "",
                        reason: str = "") -> PublicationSchedule:
    """The coordinator proposes a publication date-time; a proposal replaces an agreed date (re-agreement)."""
    require_product(actor, case, Action.CASE_COORDINATE, SCHEDULABLE)
    when, zone = parse_when(publish_at, time_zone)
    reason = clean_text(reason, "reason", 5_000)
    with transaction.atomic():
        locked, schedule = _lock(case)
        if locked.state not in SCHEDULABLE or schedule.published_at is not None:
            raise InvalidTransition(_("This is not possible for this case in its current state."))
        previous, previous_zone = schedule.agreed_at, schedule.time_zone
        schedule.proposed_at, schedule.proposed_by, schedule.time_zone = when, actor.label, zone
        schedule.agreed_at = schedule.agreed_on = None
        schedule.save()
        event_record(case=locked, actor=actor, tag=PROPOSED, reason=reason,
                     data={"publish_at": when.isoformat(), "time_zone": zone,
                           "previous_agreed_at": previous.isoformat() if previous else None})
        developer_mail(locked, "publication_proposed", when=local_text(when, zone),
                        previous=local_text(previous, previous_zone))
        if previous is not None:
            _finder_mail(locked, "publication_reopened", previous=local_text(previous, previous_zone))
    return schedule


def _pending(schedule: PublicationSchedule) -> datetime:
    if schedule.proposed_at is None or schedule.agreed_at is not None:
        raise ValidationFailed(_("There is no proposed publication date waiting for agreement."),
                               code="no_proposal")
    if schedule.proposed_at <= timezone.now():
        raise ValidationFailed(_("The proposed date has passed. A new date must be proposed."), code="proposal_past")
    return schedule.proposed_at


def _agree(actor: Actor, case: Case, schedule: PublicationSchedule, *, by: str, reason: str = "",
           missing: list[str] | None = None) -> None:
    schedule.agreed_at, schedule.agreed_on = schedule.proposed_at, timezone.now()
    schedule.save(update_fields=["agreed_at", "agreed_on"])
    event_record(case=case, actor=actor, tag=AGREED, reason=reason,
                 data={"publish_at": schedule.agreed_at.isoformat() if schedule.agreed_at else None,
                       "time_zone": schedule.time_zone, "by": by, "not_agreed": missing or []})
    when = local_text(schedule.agreed_at, schedule.time_zone)
    developer_mail(case, "publication_agreed", when=when)
    _finder_mail(case, "publication_agreed", when=when)


def publication_agree(*, actor: Actor, case: Case, organisation: str = "") -> PublicationSchedule:
    """A developer agrees to the proposed date; the date is agreed once every notified developer has."""
    require_product(actor, case, Action.CASE_DEVELOPER_RESPOND, SCHEDULABLE)
    notices = own_notices(actor, case, organisation)
    with transaction.atomic():
        locked, schedule = _lock(case)
        _pending(schedule)
        proposal = _proposal(locked)
        done = agreed_organisations(locked, proposal)
        for notice in notices:
            if str(notice.organisation_id) in done:
                continue
            event_record(case=locked, actor=actor, tag=DEVELOPER_AGREED,
                         data={"organisation": str(notice.organisation_id), "proposal": proposal.pk if proposal
                               else None})
            done.add(str(notice.organisation_id))
            if notice.acknowledged_at is None:  # agreeing to a date is an answer: the notice arrived
                DeveloperNotice.objects.filter(pk=notice.pk).update(acknowledged_at=timezone.now())
        everyone = {str(o) for o in locked.developer_notices.values_list("organisation_id", flat=True)}
        if everyone <= done:
            _agree(actor, locked, schedule, by="developers")
    return schedule


def publication_agreement_record(*, actor: Actor, case: Case, reason: str = "") -> PublicationSchedule:
    """The coordinator records the agreement to the proposed date (by phone, by mail...); the reason is kept."""
    require_product(actor, case, Action.CASE_COORDINATE, SCHEDULABLE)
    reason = clean_text(reason, "reason", 5_000, required=True)
    with transaction.atomic():
        locked, schedule = _lock(case)
        _pending(schedule)
        done = agreed_organisations(locked, _proposal(locked))
        missing = sorted({str(o) for o in locked.developer_notices.values_list("organisation_id", flat=True)}
                         - done)
        _agree(actor, locked, schedule, by="coordinator", reason=reason, missing=missing)
    return schedule


def case_publish(*, actor: Actor, case: Case, reason: str = "", now: datetime | None = None) -> Case:
    """公表: the case moves to 公表済み, its advisory is handled (publication.py) and the developers are told.

    The scheduled job (``SCHEDULER``) publishes only on or after the agreed date-time. A person holding
    ``case:publish`` may publish at any time, with a reason when that is before an agreed date or without one."""
    if not can(actor, Action.CASE_PUBLISH, case):
        raise ActionDenied
    now = now or timezone.now()
    schedule = PublicationSchedule.objects.filter(case=case).first()
    agreed = schedule.agreed_at if schedule is not None else None
    early = agreed is None or now < agreed
    if early and actor.is_system:
        raise InvalidTransition(_("The agreed publication date has not come yet."))
    reason = clean_text(reason, "reason", 5_000, required=early)

    def effects(updated: Case) -> None:
        row, _created = PublicationSchedule.objects.select_for_update().get_or_create(case=updated)
        if row.published_at is not None:
            raise InvalidTransition(_("This case is already published."))
        if actor.is_system and (row.agreed_at is None or row.agreed_at > now):  # re-proposed meanwhile
            raise InvalidTransition(_("The agreed publication date has not come yet."))
        row.published_at = now
        row.save(update_fields=["published_at"])
        outcome = publish_effects(actor, updated, agreed, now)
        event_record(case=updated, actor=actor, tag="case:schedule:published",
                     data={"early": early, "agreed_at": agreed.isoformat() if agreed else None, **outcome})
        developer_mail(updated, "case_published", advisory_url=outcome.get("advisory_url", ""))

    return case_transition(actor=actor, case=case, action="publish", reason=reason, effects=effects,
                           data={"early": early})


def scheduled_publications_due(now: datetime | None = None) -> int:
    """Publish every case whose agreed date-time has come (idempotent: a published case is never due again)."""
    now = now or timezone.now()
    due = PublicationSchedule.objects.filter(agreed_at__lte=now, published_at__isnull=True,
                                             case__flow="product", case__state__in=SCHEDULABLE)
    published = 0
    for case_id in list(due.values_list("case_id", flat=True)):
        case = Case.objects.select_related("report").get(pk=case_id)
        try:
            case_publish(actor=SCHEDULER, case=case, now=now)
        except (DomainError, ConcurrentChange) as exc:  # changed meanwhile or refused: the next run looks again
            logger.warning("scheduled publication of %s not done: %s", case.tracking_id, exc)
            continue
        published += 1
    return published


# --------------------------------------------------------------------------------------------------------------
# Reminders to developers that have not confirmed receipt (EARLYWARN_DEVELOPER_REMINDER_DAYS).
# --------------------------------------------------------------------------------------------------------------


def reminder_days() -> list[int]:
    days = set()
    for item in knob_list("DEVELOPER_REMINDER_DAYS"):
        try:
            days.add(int(item))
        except ValueError:
            logger.warning("ignoring a developer reminder day that is not a number: %r", item)
    return sorted(d for d in days if d > 0)


def days_since(start: date, today: date, *, cap: int) -> int:
    """Days after ``start`` up to ``today`` (``start`` not counted), counted like the publication target:
    business days unless EARLYWARN_PUBLICATION_TARGET_BUSINESS_DAYS is off. Counting stops at ``cap``."""
    if not settings.EARLYWARN["PUBLICATION_TARGET_BUSINESS_DAYS"]:
        return min(cap, (today - start).days)
    return min(cap, business_days_between(start + timedelta(days=1), today))


def developer_reminders_due(now: datetime | None = None) -> int:
    """Remind each developer that has not confirmed receipt, once per configured day (the latest day due)."""
    now = now or timezone.now()
    days = reminder_days()
    if not days:
        return 0
    today = timezone.localdate(now)
    notices = DeveloperNotice.objects.filter(acknowledged_at__isnull=True, case__flow="product",
                                             case__state__in=ACTIVE, notified_at__lte=now - timedelta(days=days[0]))
    sent = 0
    for notice_id in list(notices.values_list("pk", flat=True)):
        with transaction.atomic():
            notice = (DeveloperNotice.objects.select_for_update().select_related("case__report", "organisation")
                      .get(pk=notice_id))
            case = notice.case
            if notice.acknowledged_at is not None or case.state not in ACTIVE:
                continue
            elapsed = days_since(timezone.localdate(notice.notified_at), today, cap=days[-1])
            due = max((d for d in days if d <= elapsed), default=None)
            if due is None or DeveloperReminder.objects.filter(notice=notice, due_day__gte=due).exists():
                continue
            DeveloperReminder.objects.create(notice=notice, due_day=due, sent_at=now)
            mail_enqueue(template="developer_reminder", to=notice.email, language=notice.language, case=case,
                         context={"tracking_id": case.tracking_id, "link": portal_link(case),
                                  "organisation": notice.organisation.display_name(notice.language),
                                  "notified_on": timezone.localdate(notice.notified_at).isoformat()})
            event_record(case=case, actor=Actor.system(), tag="case:developer:reminded",
                         data={"organisation": str(notice.organisation_id), "day": due})
            sent += 1
    return sent
