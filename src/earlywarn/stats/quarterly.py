"""The quarterly report (届出状況): every statistic of partnership.md §5.1, as it stood at the quarter's end.

Each case counts as it stood at the cut-off (``stats.snapshot``): a case closed after the quarter is in handling
in that quarter's report, and an event after the cut-off does not count. The modules beside this one compute the
statistics; this one runs them in order, reports progress, checks the reconciliations of §5.3, and assembles the
JSON documented in docs/statistics.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q

from earlywarn.cases.flows import Flow
from earlywarn.intake.models import Report
from earlywarn.stats import breakdowns, products, websites
from earlywarn.stats.calendar import PARTNERSHIP_START, business_days_between, per_business_day
from earlywarn.stats.partition import FlowPartition, partition_of
from earlywarn.stats.quarter import Quarter
from earlywarn.stats.snapshot import CaseAt, InconsistentData, snapshots
from earlywarn.stats.tables import report_rows

__all__ = ["InconsistentData", "Quarter", "ReconciliationError", "quarterly_report", "report_rows"]
SERIES_LENGTH = 12


class ReconciliationError(InconsistentData, AssertionError):
    """A §5.3 reconciliation does not hold: the figures would contradict each other, so none are published."""


def _series(quarter: Quarter, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """S2 for the 12 quarters ending with ``quarter``: cumulative reports and reports per business day."""
    quarters = [quarter]
    while len(quarters) < SERIES_LENGTH:
        quarters.insert(0, quarters[0].previous())
    totals = Report.objects.aggregate(**{str(q): Count("pk", filter=Q(received_at__lt=q.end)) for q in quarters})
    series = []
    for index, point in enumerate(quarters, start=1):
        say(f"series {index}/{SERIES_LENGTH}: {point}")
        last_day = point.last_day()
        series.append({"quarter": str(point), "total": totals[str(point)],
                       "business_days": business_days_between(PARTNERSHIP_START, last_day),
                       "per_business_day": float(per_business_day(totals[str(point)], last_day))})
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


def _status(quarter: Quarter, cases: list[CaseAt], received: int) -> dict[str, Any]:
    """S1, S3 and S4 at the quarter's end; the partitions must sum to the reports received by then (§5.3)."""
    partition = partition_of(cases)
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
    series = _series(quarter, say)
    say(f"cases as they stood at the end of {quarter} and of {earlier} (a year earlier)")
    cases, cases_earlier = snapshots([quarter.end, earlier.end])
    say("status partitions (S1, S3, S4), now and a year earlier")
    status = _status(quarter, cases, series[-1]["total"])
    previous = _status(earlier, cases_earlier, series[-1 - 4]["total"])
    say("JVN publications and days to publication (S6, S7)")
    publication = products.days_to_publication(cases)
    say("days to fix (S13)")
    fix = websites.days_to_fix(cases)
    say("prolonged website cases, now and a year earlier (S17)")
    prolonged = websites.prolonged(cases, quarter.end, cases_earlier, earlier.end)
    say("unreachable developers (S12)")
    unreachable = products.unreachable(cases, quarter.end)
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
        "jvn": products.jvn(cases),
        "days_to_publication": publication,
        "days_to_fix": fix,
        "prolonged": prolonged,
        "unreachable": unreachable,
        "priority_provision": priority,
        "breakdowns": breakdowns.breakdowns(cases),
        "quarterly_breakdowns": breakdowns.quarterly_breakdowns(cases, quarter),
        "small_company_share": breakdowns.small_company_share(cases),
    }
    _check(report)
    return report
