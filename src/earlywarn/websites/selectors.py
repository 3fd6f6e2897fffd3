"""Read queries of the website flow: prolonged cases (§4.5) and the handler's lists, scoped by the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor, cases_visible_to
from earlywarn.config.knobs import knob_int
from earlywarn.websites.contacts import OPEN_STATES
from earlywarn.websites.models import FixReport


def buckets() -> list[int]:
    """Lower bounds (days) of the elapsed-day groups; the first is the prolonged threshold itself."""
    threshold = knob_int("PROLONGED_DAYS")
    bounds = {threshold}
    for item in list(settings.EARLYWARN["PROLONGED_BUCKETS"]):  # type: ignore[call-overload]
        if str(item).isdigit() and int(item) > threshold:
            bounds.add(int(item))
    return sorted(bounds)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0, 0)))


def prolonged_as_of(actor: Actor, day: date) -> QuerySet[Case]:
    """Website cases prolonged at the end of ``day``: notified ≥ threshold days before, still open then, and no
    fix reported by then (§4.5). Cases since moved to the product flow are not counted."""
    end = _end_of(day)
    cutoff = _end_of(day - timedelta(days=knob_int("PROLONGED_DAYS")))
    fixed_by_then = FixReport.objects.filter(case=OuterRef("pk"), created_at__lt=end)
    return (cases_visible_to(actor).filter(flow="website", notified_at__lt=cutoff)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
            .exclude(Exists(fixed_by_then)))


@dataclass
class ProlongedTable:
    day: date
    year_before: date
    bounds: list[int]
    rows: list[tuple[str, list[int], list[int]]] = field(default_factory=list)  # type, now by bucket, year before
    total: int = 0
    total_year_before: int = 0
    cases: list[tuple[Case, int]] = field(default_factory=list)


def _bucket(bounds: list[int], elapsed: int) -> int:
    return max(i for i, lower in enumerate(bounds) if elapsed >= lower)


def _count(actor: Actor, day: date, bounds: list[int]) -> tuple[dict[str, list[int]], list[tuple[Case, int]]]:
    table: dict[str, list[int]] = {}
    listed = []
    for case in prolonged_as_of(actor, day).order_by("notified_at"):
        assert case.notified_at is not None
        elapsed = (day - timezone.localdate(case.notified_at)).days
        row = table.setdefault(case.vulnerability_type or "other", [0] * len(bounds))
        row[_bucket(bounds, max(elapsed, bounds[0]))] += 1
        listed.append((case, elapsed))
    return table, listed


def prolonged_table(actor: Actor, day: date | None = None) -> ProlongedTable:
    """The dashboard: prolonged cases by elapsed days and vulnerability type, with the same day a year before."""
    day = day or timezone.localdate()
    try:
        year_before = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        year_before = day.replace(year=day.year - 1, day=28)
    bounds = buckets()
    now, listed = _count(actor, day, bounds)
    before, _old = _count(actor, year_before, bounds)
    result = ProlongedTable(day=day, year_before=year_before, bounds=bounds, cases=listed)
    for kind in sorted(set(now) | set(before)):
        result.rows.append((kind, now.get(kind, [0] * len(bounds)), before.get(kind, [0] * len(bounds))))
    result.total = sum(sum(r) for r in now.values())
    result.total_year_before = sum(sum(r) for r in before.values())
    return result


def open_website_cases(actor: Actor, *, vulnerability_type: str = "", host: str = "") -> QuerySet[Case]:
    """Open website cases an alert may close, filtered for the handler's selection."""
    cases = cases_visible_to(actor).filter(flow="website", state__in=OPEN_STATES)
    if vulnerability_type:
        cases = cases.filter(Q(vulnerability_type=vulnerability_type)
                             | Q(vulnerability_type="", vulnerabilities__website_type=vulnerability_type))
    if host:
        cases = cases.filter(report__submission__url__icontains=host)
    return cases.distinct().order_by("received_on")
