"""The quarterly report (届出状況): every statistic of partnership.md §5.1, as it stood at the quarter's end.

Each case counts as it stood at the cut-off (``stats.tally``, one counting read for the quarter's end and a year
earlier): a case closed after the quarter is in handling in that quarter's report, and an event after the cut-off
does not count. The modules beside this one compute the statistics from those counts; this one runs them in
order, reports progress, checks the reconciliations of §5.3, and assembles the JSON documented in
docs/statistics.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from earlywarn.cases.flows import Flow
from earlywarn.stats import breakdowns, products, websites
from earlywarn.stats.calendar import PARTNERSHIP_START, business_days_between, per_business_day
from earlywarn.stats.partition import FlowPartition, partition_from
from earlywarn.stats.quarter import Quarter
from earlywarn.stats.rows import InconsistentData
from earlywarn.stats.tables import report_rows
from earlywarn.stats.tally import Head, tally

__all__ = ["InconsistentData", "Quarter", "ReconciliationError", "quarterly_report", "report_rows"]
SERIES_LENGTH = 12


class ReconciliationError(InconsistentData, AssertionError):
    """A §5.3 reconciliation does not hold: the figures would contradict each other, so none are published."""


def series_quarters(quarter: Quarter) -> list[Quarter]:
    """The ``SERIES_LENGTH`` quarters of S2, ending with ``quarter``."""
    quarters = [quarter]
    while len(quarters) < SERIES_LENGTH:
        quarters.insert(0, quarters[0].previous())
    return quarters


def _series(quarters: list[Quarter], totals: list[int], say: Callable[[str], None]) -> list[dict[str, Any]]:
    """S2: cumulative reports (``totals``, received before each quarter's end) and reports per business day."""
    series = []
    for index, (point, total) in enumerate(zip(quarters, totals, strict=True), start=1):
        say(f"series {index}/{SERIES_LENGTH}: {point}")
        last_day = point.last_day()
        series.append({"quarter": str(point), "total": total,
                       "business_days": business_days_between(PARTNERSHIP_START, last_day),
                       "per_business_day": float(per_business_day(total, last_day))})
    return series


def _product_status(partition: FlowPartition) -> dict[str, int]:
    c, sub = partition.categories, partition.sub_statuses
    return {"published": c["published"], "coordination_impossible": sub.get("coordination_impossible", 0),
            "individual_handling": c["individual_handling"], "not_vulnerability": c["not_vulnerability"],
            "in_handling": c["in_handling"], "unreachable_listed": sub.get("unreachable_listed", 0),
            "not_accepted": c["not_accepted"]}


def _website_status(partition: FlowPartition) -> dict[str, int]:
    c, sub = partition.categories, partition.sub_statuses
    return {"fixed": c["fixed"], "page_deleted": sub.get("page_deleted", 0), "workaround": sub.get("workaround", 0),
            "alert_closed": c["alert_closed"], "not_vulnerability": c["not_vulnerability"],
            "in_handling": c["in_handling"], "unable": c["unable"], "not_accepted": c["not_accepted"]}


def _status(quarter: Quarter, counts: Mapping[Head, int], received: int) -> dict[str, Any]:
    """S1, S3 and S4 at the quarter's end; the partitions must sum to the reports received by then (§5.3)."""
    heads: Counter[tuple[str, str, str]] = Counter()
    for (flow, _state, category, sub_status, _terminal), n in counts.items():
        heads[flow, category, sub_status] += n
    partition = partition_from(heads)
    product, website = partition[Flow.PRODUCT], partition[Flow.WEBSITE]
    if received != product.total + website.total:
        raise ReconciliationError(f"{quarter}: {received} reports received ≠ partition "
                                  f"{product.total + website.total}")
    return {"quarter": str(quarter),
            "reports": {"total": received, "product": product.total, "website": website.total},
            "product_status": _product_status(product), "website_status": _website_status(website)}


def _check(report: dict[str, Any]) -> None:
    """§5.3: every breakdown's base is total − 不受理; S6 is 公表済み; S7 and S13 measure every case they cover."""
    product, website = report["product_status"], report["website_status"]
    bases = report["breakdowns"]["base"]
    expected = {"product": report["reports"]["product"] - product["not_accepted"],
                "website": report["reports"]["website"] - website["not_accepted"]}
    problems = []
    if bases != expected:
        problems.append(f"breakdown bases {bases} ≠ total − 不受理 {expected}")
    publication, fix = report["days_to_publication"], report["days_to_fix"]
    if publication["base"] + publication["unmeasured"] != product["published"]:
        problems.append("days to publication do not cover every published report")
    if fix["base"] + fix["unmeasured"] != website["fixed"]:
        problems.append("days to fix do not cover every fixed report")
    if sum(b["count"] for b in report["prolonged"]["by_elapsed_days"]) != report["prolonged"]["count"]:
        problems.append("prolonged cases by elapsed days do not add up")
    if problems:
        raise ReconciliationError(f"{report['quarter']}: " + "; ".join(problems))


def quarterly_report(quarter: Quarter, *, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The report for ``quarter`` as JSON-ready data. ``progress`` hears one line per step."""
    say = progress or (lambda _line: None)
    earlier = quarter.year_earlier()
    quarters = series_quarters(quarter)
    say(f"cases as they stood at the end of {quarter} and of {earlier} (a year earlier), counted in one read")
    counts = tally(quarter.end, earlier.end, [q.end for q in quarters], breakdowns.trend_days(quarter),
                   products.UNREACHABLE_SINCE)
    series = _series(quarters, counts.series, say)
    say("status partitions (S1, S3, S4), now and a year earlier")
    now: Counter[Head] = Counter()
    for (head, _origin), n in counts.now.items():
        now[head] += n
    status = _status(quarter, now, series[-1]["total"])
    previous = _status(earlier, counts.earlier, series[-1 - 4]["total"])
    say("JVN publications and days to publication (S6, S7)")
    publication = products.days_to_publication(counts.publication_days)
    say("days to fix (S13)")
    fix = websites.days_to_fix(counts.fix_days)
    say("prolonged website cases, now and a year earlier (S17)")
    prolonged = websites.prolonged(counts.handling_now, counts.handling_earlier)
    say("unreachable developers (S12)")
    unreachable = products.unreachable(counts.trail, counts.trail_heads)
    say("priority information provision (S11)")
    priority = products.priority_provision(quarter)
    say("breakdowns and the small-company share (S9, S10, S14–S16, S18)")
    report = {
        "quarter": str(quarter),
        "reports": status["reports"],
        "business_days": series[-1]["business_days"],
        "per_business_day": series[-1]["per_business_day"],
        "series": series,
        "product_status": status["product_status"],
        "website_status": status["website_status"],
        "previous_year": previous,
        "jvn": products.jvn(counts.now, quarter),
        "days_to_publication": publication,
        "days_to_fix": fix,
        "prolonged": prolonged,
        "unreachable": unreachable,
        "priority_provision": priority,
        "breakdowns": breakdowns.breakdowns(counts.attributes),
        "quarterly_breakdowns": breakdowns.quarterly_breakdowns(counts.recent, quarter),
        "small_company_share": breakdowns.small_company_share(counts.attributes),
    }
    _check(report)
    return report
