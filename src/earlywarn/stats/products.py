"""Software-product statistics at a cut-off: JVN publications (S5, S6, S8), days to publication (S7), priority
information provision (S11) and unreachable developers (S12). partnership.md §5.1, counting rules §3.7."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from earlywarn.cases.models import CaseEvent, PriorityProvision
from earlywarn.stats.calendar import calendar_days
from earlywarn.stats.measures import bin_counts, bin_rows, bins_from, percent, ranked, within
from earlywarn.stats.quarter import Quarter
from earlywarn.stats.snapshot import CaseAt, aware, raw_rows

# S7 bins: the published figure names "45 日以内" and "301 日以上"; between them ~100-day steps.
PUBLICATION_BINS = bins_from([0, 46, 101, 201, 301])
WITHIN_DAYS = 45  # the published share (S7, §4.4): the statistic, not the configurable target
OVER_DAYS = 300
UNREACHABLE_SINCE = date(2011, 9, 29)  # the list has been published since then (§4.6)
PRIORITY_SINCE = date(2018, 4, 1)  # priority information provision began (§4.9)
LISTED, RESUMED = "case:state:list_unreachable", "case:state:resume_coordination"
COMPLETED = "case:history:coordination_completed"  # imported history: the day coordination was completed


def jvn(cases: list[CaseAt]) -> dict[str, Any]:
    """S6 = 公表済み of S3, finder reports and developer self-reports alike (§3.7). S5 and S8 need the JVN
    advisories of the publication issue: null until then."""
    published = [c for c in cases if c.category == "published"]
    return {"domestic_published": len(published),
            "developer_self": sum(1 for c in published if c.origin == "developer_self"),
            "overseas": None, "total": None}


def _publication_days(case: CaseAt) -> int | None:
    """Acceptance (受理) to the publication of the handling status; the closure is the publication of a live case."""
    published = case.published_at or case.closed_at
    if case.accepted_at is None or published is None:
        return None
    return max(0, calendar_days(case.accepted_at, published))


def days_to_publication(cases: list[CaseAt]) -> dict[str, Any]:
    """S7 over the product reports published at the cut-off, 調整不能 included (§3.7)."""
    measured = [_publication_days(c) for c in cases if c.category == "published"]
    days = [d for d in measured if d is not None]
    base = len(days)
    return {"base": base, "unmeasured": len(measured) - base,
            "within_45_days_pct": percent(within(days, WITHIN_DAYS), base),
            "over_300_days_pct": percent(base - within(days, OVER_DAYS), base),
            "bins": bin_rows(bin_counts(days, PUBLICATION_BINS), PUBLICATION_BINS, base)}


def priority_provision(quarter: Quarter) -> dict[str, Any]:
    """S11 by sector: provided during the quarter, and since 2018-04-01 up to the quarter's last day."""
    last = quarter.last_day()
    rows = PriorityProvision.objects.filter(provided_on__gte=PRIORITY_SINCE, provided_on__lte=last).values_list(
        "sector", "provided_on")
    cumulative: Counter[str] = Counter()
    period: Counter[str] = Counter()
    first = quarter.first_day()
    for sector, provided_on in rows:
        cumulative[sector] += 1
        if provided_on >= first:
            period[sector] += 1
    order = [sector for sector, _n in ranked(cumulative)]
    return {"since": PRIORITY_SINCE.isoformat(), "period": {s: period[s] for s in order},
            "cumulative": {s: cumulative[s] for s in order}}


def _events(tags: tuple[str, ...], start: datetime, until: datetime) -> dict[Any, list[tuple[datetime, str]]]:
    rows = CaseEvent.objects.filter(tag__in=tags, created_at__gte=start, created_at__lt=until).values_list(
        "case_id", "created_at", "tag")
    found: dict[Any, list[tuple[datetime, str]]] = defaultdict(list)
    for case_id, created_at, tag in raw_rows(rows):  # ids as the snapshot reads them
        found[case_id].append((aware(created_at), tag))
    return found


def unreachable(cases: list[CaseAt], until: datetime) -> dict[str, Any]:
    """S12 from the audit trail, each case counted once per row:

    * listed: cases put on the unreachable-developer list from ``since`` (2011-09-29) to the cut-off;
    * resumed: of those, coordination resumed after the listing (調整を再開), from the list or the committee;
    * completed: of the resumed, coordination completed (調整完了) — closed by the cut-off other than by the
      committee's publication, or marked completed in imported history;
    * still_unreachable: of the listed, still on the list at the cut-off (= 連絡不能開発者 of S3).
    """
    since = timezone.make_aware(datetime.combine(UNREACHABLE_SINCE, time()))
    trail = _events((LISTED, RESUMED, COMPLETED), since, until)
    now = {c.id: c for c in cases}
    listed = resumed = completed = still = 0
    for case_id, events in trail.items():
        listings = [at for at, tag in events if tag == LISTED]
        if not listings:
            continue
        listed += 1
        case = now.get(case_id)
        if case is not None and case.state == "unreachable_listed":
            still += 1
        first = min(listings)
        if not any(tag == RESUMED and at >= first for at, tag in events):
            continue
        resumed += 1
        closed = case is not None and case.terminal and case.sub_status != "coordination_impossible"
        if closed or any(tag == COMPLETED for _at, tag in events):
            completed += 1
    return {"since": UNREACHABLE_SINCE.isoformat(), "listed": listed, "resumed": resumed, "completed": completed,
            "still_unreachable": still}
