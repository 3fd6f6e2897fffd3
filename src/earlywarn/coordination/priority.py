"""Priority information provision (優先情報提供, §4.9; docs/coordination.md).

The coordinator selects a case and the sectors; the countermeasure information goes to the critical-infrastructure
recipients of those sectors ``EARLYWARN_PRIORITY_LEAD_DAYS`` business days before the agreed publication — never
before the developers agreed to that date. The mail carries no details, only a link: a recipient reads the
information on its own page (``/priority/``), which shows nothing else of the case. Each delivery is recorded
(who, which sector, when, when first read) and writes the per-sector ``cases.PriorityProvision`` row that the
quarterly statistics count (S11).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from earlywarn.accounts.models import Organisation, OrganisationKind
from earlywarn.cases.errors import ValidationFailed, clean_text
from earlywarn.cases.models import Case, PriorityProvision
from earlywarn.cases.policy import Action, Actor, CaseNotFound, priority_deliveries_visible_to
from earlywarn.cases.services import event_record
from earlywarn.config.knobs import knob_int, knob_list
from earlywarn.coordination.models import EolAssessment, PriorityDelivery, PrioritySelection, PublicationSchedule
from earlywarn.coordination.outcomes import COMMITTEE_CASES
from earlywarn.coordination.services import require_product
from earlywarn.notify.services import mail_enqueue
from earlywarn.stats.calendar import shift_business_days

# Labels of the sectors the sources name; another configured code is shown as it is written.
SECTOR_LABELS = {"electric_power": gettext_lazy("Electric power"), "government": gettext_lazy("Government agencies")}
MAX_LEAD_DAYS = 30


def configured_sectors() -> list[str]:
    return knob_list("PRIORITY_SECTORS")


def sector_label(code: str) -> str:
    return str(SECTOR_LABELS.get(code, code))


def _lead_days(value: str) -> int:
    if not (value or "").strip():
        return max(1, knob_int("PRIORITY_LEAD_DAYS"))
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if not 1 <= days <= MAX_LEAD_DAYS:
        raise ValidationFailed(_("Enter a whole number of business days from 1 to %(max)d.") % {"max": MAX_LEAD_DAYS},
                               field="lead_business_days")
    return days


def _excluded_after_committee(case: Case) -> bool:
    """§4.7/§4.9 leave open whether committee publications (調整不能, EOL D/E) get priority provision; default off."""
    if settings.EARLYWARN["PRIORITY_AFTER_COMMITTEE"]:
        return False
    eol = EolAssessment.objects.filter(case=case).values_list("eol_case", flat=True).first()
    return case.state == "committee" or eol in COMMITTEE_CASES


def priority_select(*, actor: Actor, case: Case, sectors: str = "", lead_business_days: str = "",
                    information: str = "") -> PrioritySelection:
    """Select the case for priority provision (or change the selection while nothing has been delivered)."""
    require_product(actor, case, Action.CASE_COORDINATE, frozenset({"coordinating"}))
    allowed = configured_sectors()
    chosen = sorted({part.strip() for part in (sectors or "").split(",") if part.strip()})
    if not chosen:
        raise ValidationFailed(_("Choose at least one sector."), field="sectors")
    if any(code not in allowed for code in chosen):
        raise ValidationFailed(_("Choose a value from the list."), field="sectors")
    days = _lead_days(lead_business_days)
    text = clean_text(information, "information", 20_000, required=True)
    if _excluded_after_committee(case):
        raise ValidationFailed(_("Cases published through the committee are not provided in advance under the "
                                 "current settings."), field="sectors")
    with transaction.atomic():
        current = PrioritySelection.objects.select_for_update().filter(case=case).first()
        if current is not None and current.provided_at is not None:
            raise ValidationFailed(_("The information has already been provided; it can no longer be changed."),
                                   field="information")
        selection, _created = PrioritySelection.objects.update_or_create(case=case, defaults={
            "sectors": chosen, "lead_business_days": days, "information": text, "selected_at": timezone.now(),
            "selected_by": actor.label})
        event_record(case=case, actor=actor, tag="case:priority:selected",
                     data={"sectors": chosen, "lead_business_days": days})
    return selection


def business_days_before(day: date, count: int) -> date:
    """The business day ``count`` business days before ``day`` (weekends, holidays and closures skipped)."""
    return shift_business_days(day, -count)


def delivery_day(selection: PrioritySelection, schedule: PublicationSchedule) -> date | None:
    """The day the information goes out, in the zone the publication was agreed in; None before an agreement."""
    if schedule.agreed_at is None or schedule.agreed_on is None:
        return None
    publication_day = schedule.agreed_at.astimezone(ZoneInfo(schedule.time_zone)).date()
    return business_days_before(publication_day, selection.lead_business_days)


def _deliver(selection: PrioritySelection, schedule: PublicationSchedule, today: date) -> int:
    case = selection.case
    recipients = list(Organisation.objects.filter(kind=OrganisationKind.CRITICAL_INFRASTRUCTURE,
                                                  sector__in=selection.sectors).exclude(contact_email=""))
    actor = Actor.system()
    for org in recipients:
        PriorityDelivery.objects.create(selection=selection, organisation=org, sector=org.sector,
                                        email=org.contact_email)
        mail_enqueue(template="priority_information", to=org.contact_email, language="ja", case=case,
                     context={"organisation": org.display_name("ja"), "publication_at": schedule.agreed_at,
                              "time_zone": schedule.time_zone, "case_id": str(case.pk)})
    for sector in sorted({org.sector for org in recipients}):
        PriorityProvision.objects.create(case=case, sector=sector, provided_on=today)
    selection.provided_at = timezone.now()
    selection.save(update_fields=["provided_at"])
    event_record(case=case, actor=actor, tag="case:priority:provided",
                 data={"recipients": len(recipients),
                       "sectors": {s: sum(o.sector == s for o in recipients) for s in selection.sectors}})
    return len(recipients)


def priority_deliver_due(now: datetime | None = None) -> int:
    """Deliver every selection whose day has come (idempotent: a delivered selection is never delivered again)."""
    now = now or timezone.now()
    delivered = 0
    pending = PrioritySelection.objects.filter(provided_at__isnull=True, case__state="coordinating",
                                               case__schedule__agreed_on__isnull=False).values_list("case_id",
                                                                                                     flat=True)
    for case_id in list(pending):
        with transaction.atomic():
            selection = (PrioritySelection.objects.select_for_update().select_related("case")
                         .filter(case_id=case_id, provided_at__isnull=True).first())
            if selection is None or selection.case.state != "coordinating":
                continue
            schedule = PublicationSchedule.objects.filter(case_id=case_id).first()
            if schedule is None:
                continue
            day = delivery_day(selection, schedule)
            if day is None or schedule.agreed_at is None:
                continue
            today = now.astimezone(ZoneInfo(schedule.time_zone)).date()
            if today < day or now >= schedule.agreed_at:
                continue  # not yet; or the publication itself is due: nothing is "in advance" any more
            delivered += _deliver(selection, schedule, today)
    return delivered


# --------------------------------------------------------------------------------------------------------------
# What a recipient sees: its own page, nothing else of the case
# --------------------------------------------------------------------------------------------------------------


def deliveries_for(actor: Actor) -> QuerySet[PriorityDelivery]:
    """The deliveries addressed to the actor's organisations, newest first (the rule is in cases/policy.py)."""
    return (priority_deliveries_visible_to(actor)
            .select_related("selection", "selection__case", "selection__case__schedule", "organisation")
            .order_by("-delivered_at"))


def delivery_read(actor: Actor, case_id: str) -> PriorityDelivery:
    """The actor's delivery of one case; records the first reading. Anything else is ``CaseNotFound``."""
    delivery = deliveries_for(actor).filter(selection__case_id=case_id).first()
    if delivery is None:
        raise CaseNotFound
    if delivery.first_read_at is None:
        with transaction.atomic():
            updated = PriorityDelivery.objects.filter(pk=delivery.pk, first_read_at__isnull=True).update(
                first_read_at=timezone.now())
            if updated:
                event_record(case=delivery.selection.case, actor=actor, tag="case:priority:read",
                             data={"organisation": str(delivery.organisation_id)})
        delivery.refresh_from_db()
    return delivery
