"""Website statistics at a cut-off: days to fix (S13) and prolonged cases (S17). partnership.md §5.1, §4.5, §3.7."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from earlywarn.config.knobs import knob_int
from earlywarn.stats.measures import CategoryNames, bin_counts, bin_rows, bins_from, percent, ranked, within
from earlywarn.websites.selectors import buckets

# S13 bins: the published shares are "30 日以内" and "90 日以内", so bins split exactly after 30 and 90 days;
# 10 separates the quick fixes, 60 splits 31–90, and 180 and 300 follow the tail as S7's bins do.
FIX_BINS = bins_from([0, 11, 31, 61, 91, 181, 301])
WITHIN_SHORT, WITHIN_LONG = 30, 90


def days_to_fix(measured: Counter[tuple[str, int | None]]) -> dict[str, Any]:
    """S13 over the website reports fixed at the cut-off, 当該ページを削除 and 運用で回避 included (§3.7):
    ``measured`` counts them by (vulnerability type, calendar days from IPA's notification of the operator to the
    fix — the closure of a 修正完了 case), days None when either date is missing."""
    type_of = CategoryNames("vulnerability_type")
    days: Counter[int] = Counter()
    unmeasured = 0
    by_type: dict[str, Counter[int]] = defaultdict(Counter)
    for (vulnerability_type, value), n in measured.items():
        if value is None:
            unmeasured += n
            continue
        days[max(0, value)] += n
        by_type[type_of(vulnerability_type)][max(0, value)] += n
    base = sum(days.values())
    types = sorted(((name, sum(values.values()), values) for name, values in by_type.items()),
                   key=lambda item: (-item[1], item[0]))
    return {"base": base, "unmeasured": unmeasured,
            "within_30_days_pct": percent(within(days, WITHIN_SHORT), base),
            "within_90_days_pct": percent(within(days, WITHIN_LONG), base),
            "bins": bin_rows(bin_counts(days, FIX_BINS), FIX_BINS, base),
            "by_type": [{"type": name, "base": total, "bins": bin_counts(values, FIX_BINS)}
                        for name, total, values in types]}


def prolonged_threshold() -> int:
    days = knob_int("PROLONGED_DAYS")
    if days < 1:
        raise ImproperlyConfigured(f"EARLYWARN_PROLONGED_DAYS must be at least 1, not {days}")
    return days


def prolonged_cases(handling: Counter[tuple[str, int, bool]], threshold: int) -> Counter[tuple[str, int]]:
    """Website cases prolonged at a cut-off (§4.5) by (vulnerability type, elapsed days), from ``handling``: the
    cases in handling then and notified, by (type, calendar days from the notification to the quarter's last day,
    a fix reported before the cut-off). Prolonged: at least ``threshold`` days and no fix reported."""
    found: Counter[tuple[str, int]] = Counter()
    for (vulnerability_type, elapsed, fixed), n in handling.items():
        if elapsed >= threshold and not fixed:
            found[vulnerability_type, elapsed] += n
    return found


def prolonged(handling: Counter[tuple[str, int, bool]], handling_year_earlier: Counter[tuple[str, int, bool]]
              ) -> dict[str, Any]:
    """S17 at the cut-off, with the same computation at the cut-off one year earlier (前年同期)."""
    threshold = prolonged_threshold()
    found = prolonged_cases(handling, threshold)
    before = prolonged_cases(handling_year_earlier, threshold)
    bins = bins_from(buckets())
    type_of = CategoryNames("vulnerability_type")
    types: Counter[str] = Counter()
    elapsed: Counter[int] = Counter()
    for (vulnerability_type, days), n in found.items():
        types[type_of(vulnerability_type)] += n
        elapsed[days] += n
    count = sum(found.values())
    counts = bin_counts(elapsed, bins)
    return {"threshold_days": threshold, "count": count, "previous_year_count": sum(before.values()),
            "by_elapsed_days": [{"label": b.label, "min": b.min, "max": b.max, "count": n}
                                for b, n in zip(bins, counts, strict=True)],
            "by_type": [{"type": name, "count": n, "pct": percent(n, count)} for name, n in ranked(types)]}
