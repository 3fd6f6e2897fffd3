"""The start date (起算日) and the publication target of §4.4, both configurable (docs/coordination.md)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from earlywarn.cases.models import Case
from earlywarn.config.knobs import knob_int
from earlywarn.stats.calendar import shift_business_days

START_RULES = ("first_notified", "accepted")


def start_date(case: Case, first_notified: date) -> date:
    """起算日: the day the first developer is notified (default) or the day the report was accepted."""
    rule = settings.EARLYWARN["COORDINATION_START_DATE"]
    if rule not in START_RULES:
        raise ImproperlyConfigured(f"EARLYWARN_COORDINATION_START_DATE must be one of {START_RULES}, not {rule!r}")
    if rule == "accepted" and case.accepted_at is not None:
        return timezone.localdate(case.accepted_at)
    return first_notified


def target_date(start: date) -> date:
    """The publication target: EARLYWARN_PUBLICATION_TARGET_DAYS after the start date, the start date not counted,
    in business days (weekends, national holidays and EARLYWARN_CLOSURE_DAYS skipped) unless that is switched off."""
    days = max(1, knob_int("PUBLICATION_TARGET_DAYS"))
    if not settings.EARLYWARN["PUBLICATION_TARGET_BUSINESS_DAYS"]:
        return start + timedelta(days=days)
    return shift_business_days(start, days)
