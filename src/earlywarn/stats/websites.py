"""Website statistics at a cut-off: days to fix (S13) and prolonged cases (S17). partnership.md §5.1, §4.5, §3.7."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from earlywarn.cases.models import CaseEvent
from earlywarn.config.knobs import knob_int
from earlywarn.stats.calendar import calendar_days
from earlywarn.stats.measures import CategoryNames, bin_counts, bin_rows, bins_from, percent, ranked, within
from earlywarn.stats.snapshot import CaseAt, raw_rows
from earlywarn.websites.selectors import buckets

# S13 bins: the published shares are "30 日以内" and "90 日以内", so bins split exactly after 30 and 90 days;
# 10 separates the quick fixes, 60 splits 31–90, and 180 and 300 follow the tail as S7's bins do.
FIX_BINS = bins_from([0, 11, 31, 61, 91, 181, 301])
WITHIN_SHORT, WITHIN_LONG = 30, 90
FIX_REPORTED = "case:operator:fix_reported"  # the operator reported a fix (websites/responses.py)


def _fix_days(case: CaseAt) -> int | None:
    """IPA's notification of the operator to the fix: the closure of a 修正完了 case is the reported fix date."""
    if case.notified_at is None or case.closed_at is None:
        return None
    return max(0, calendar_days(case.notified_at, case.closed_at))


def days_to_fix(cases: list[CaseAt]) -> dict[str, Any]:
    """S13 over the website reports fixed at the cut-off, 当該ページを削除 and 運用で回避 included (§3.7)."""
    type_of = CategoryNames("vulnerability_type")
    days: list[int] = []
    unmeasured = 0
    by_type: dict[str, list[int]] = defaultdict(list)
    for case in cases:
        if case.category != "fixed":
            continue
        value = _fix_days(case)
        if value is None:
            unmeasured += 1
            continue
        days.append(value)
        by_type[type_of(case.vulnerability_type)].append(value)
    base = len(days)
    types = sorted(by_type.items(), key=lambda item: (-len(item[1]), item[0]))
    return {"base": base, "unmeasured": unmeasured,
            "within_30_days_pct": percent(within(days, WITHIN_SHORT), base),
            "within_90_days_pct": percent(within(days, WITHIN_LONG), base),
            "bins": bin_rows(bin_counts(days, FIX_BINS), FIX_BINS, base),
            "by_type": [{"type": name, "base": len(values), "bins": bin_counts(values, FIX_BINS)}
                        for name, values in types]}


def prolonged_threshold() -> int:
    days = knob_int("PROLONGED_DAYS")
    if days < 1:
        raise ImproperlyConfigured(f"EARLYWARN_PROLONGED_DAYS must be at least 1, not {days}")
    return days


def _fix_reported_before(until: datetime) -> set[Any]:
    query = CaseEvent.objects.filter(tag=FIX_REPORTED, created_at__lt=until).values_list("case_id")
    return {case_id for (case_id,) in raw_rows(query)}  # ids as the snapshot reads them


def prolonged_cases(cases: list[CaseAt], until: datetime, threshold: int) -> list[tuple[CaseAt, int]]:
    """Website cases prolonged at the cut-off (§4.5), with their elapsed days: in handling then, notified at least
    ``threshold`` days before the quarter's last day, and no fix reported before the cut-off."""
    last_moment = until - timedelta(microseconds=1)  # elapsed days count to the quarter's last day
    fixed = _fix_reported_before(until)
    found = []
    for case in cases:
        if case.flow != "website" or case.category != "in_handling" or case.notified_at is None:
            continue
        elapsed = calendar_days(case.notified_at, last_moment)
        if elapsed >= threshold and case.id not in fixed:
            found.append((case, elapsed))
    return found


def prolonged(cases: list[CaseAt], until: datetime, year_earlier: list[CaseAt], until_year_earlier: datetime
              ) -> dict[str, Any]:
    """S17 at the cut-off, with the same computation at the cut-off one year earlier (前年同期)."""
    threshold = prolonged_threshold()
    found = prolonged_cases(cases, until, threshold)
    before = prolonged_cases(year_earlier, until_year_earlier, threshold)
    bins = bins_from(buckets())
    type_of = CategoryNames("vulnerability_type")
    types = Counter(type_of(case.vulnerability_type) for case, _elapsed in found)
    counts = bin_counts((elapsed for _case, elapsed in found), bins)
    return {"threshold_days": threshold, "count": len(found), "previous_year_count": len(before),
            "by_elapsed_days": [{"label": b.label, "min": b.min, "max": b.max, "count": n}
                                for b, n in zip(bins, counts, strict=True)],
            "by_type": [{"type": name, "count": n, "pct": percent(n, len(found))} for name, n in ranked(types)]}
