"""Software-product statistics at a cut-off: JVN publications (S5, S6, S8), days to publication (S7), priority
information provision (S11) and unreachable developers (S12). partnership.md §5.1, counting rules §3.7."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from django.db.models import Min

from earlywarn.advisories.models import AdvisoryOrigin, AdvisoryRevision
from earlywarn.cases.models import PriorityProvision
from earlywarn.stats.measures import bin_counts, bin_rows, bins_from, percent, ranked, within
from earlywarn.stats.quarter import Quarter
from earlywarn.stats.tally import UNREACHABLE_TAGS, Head

# S7 bins: the published figure names "45 日以内" and "301 日以上"; between them ~100-day steps.
PUBLICATION_BINS = bins_from([0, 46, 101, 201, 301])
WITHIN_DAYS = 45  # the published share (S7, §4.4): the statistic, not the configurable target
OVER_DAYS = 300
UNREACHABLE_SINCE = date(2011, 9, 29)  # the list has been published since then (§4.6)
PRIORITY_SINCE = date(2018, 4, 1)  # priority information provision began (§4.9)
# listed, coordination resumed, and (imported history) the day coordination was completed
LISTED, RESUMED, COMPLETED = UNREACHABLE_TAGS


def jvn(now: Counter[tuple[Head, str]], quarter: Quarter) -> dict[str, Any]:
    """S6 = 公表済み of S3, finder reports and developer self-reports alike (§3.7); ``now``: cases by (state,
    origin) at the cut-off. S5 = the advisories first published by the quarter's end, whatever their origin, and
    S8 = those published with an overseas CSIRT (``Advisory.origin``), cumulative and in the quarter (§4.16).
    S5 is not S6 + S8 (§5.4 I-4): it counts advisories, S6 counts reports. A migrated organisation brings its past
    advisories with ``earlywarn manage import_csaf [--origin overseas_csirt]``."""
    published: Counter[str] = Counter()
    for (head, origin), n in now.items():
        if head[2] == "published":
            published[origin] += n
    first = (AdvisoryRevision.objects.filter(initial_published_at__lt=quarter.end).values("advisory_id")
             .annotate(first=Min("initial_published_at")).values_list("advisory__origin", "first"))
    total = overseas = overseas_period = 0
    for origin, first_published in first:
        total += 1
        if origin == AdvisoryOrigin.OVERSEAS_CSIRT:
            overseas += 1
            overseas_period += first_published >= quarter.start
    return {"domestic_published": sum(published.values()), "developer_self": published["developer_self"],
            "overseas": overseas, "overseas_in_quarter": overseas_period, "total": total}


def days_to_publication(measured: Counter[int | None]) -> dict[str, Any]:
    """S7 over the product reports published at the cut-off, 調整不能 included (§3.7): ``measured`` counts them by
    calendar days from acceptance (受理) to the publication of the handling status (the closure of a live case),
    None when either date is missing."""
    days: Counter[int] = Counter()
    for value, n in measured.items():
        if value is not None:
            days[max(0, value)] += n
    base = sum(days.values())
    return {"base": base, "unmeasured": measured[None],
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


def unreachable(trail: dict[Any, list[tuple[datetime, str]]], now: dict[Any, Head]) -> dict[str, Any]:
    """S12 from the audit trail (``trail``: each case's listing, resumption and completion events from ``since``,
    2011-09-29, to the cut-off; ``now``: those cases' states at the cut-off), each case counted once per row:

    * listed: cases put on the unreachable-developer list;
    * resumed: of those, coordination resumed after the listing (調整を再開), from the list or the committee;
    * completed: of the resumed, coordination completed (調整完了) — closed by the cut-off other than by the
      committee's publication, or marked completed in imported history;
    * still_unreachable: of the listed, still on the list at the cut-off (= 連絡不能開発者 of S3).
    """
    listed = resumed = completed = still = 0
    for case_id, events in trail.items():
        listings = [at for at, tag in events if tag == LISTED]
        if not listings:
            continue
        listed += 1
        head = now.get(case_id)
        if head is not None and head[1] == "unreachable_listed":
            still += 1
        first = min(listings)
        if not any(tag == RESUMED and at >= first for at, tag in events):
            continue
        resumed += 1
        closed = head is not None and head[4] and head[3] != "coordination_impossible"
        if closed or any(tag == COMPLETED for _at, tag in events):
            completed += 1
    return {"since": UNREACHABLE_SINCE.isoformat(), "listed": listed, "resumed": resumed, "completed": completed,
            "still_unreachable": still}
