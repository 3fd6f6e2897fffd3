"""The quarterly report (届出状況), computed from live data as it stood at the quarter's end.

This release computes the cumulative report counts (S1), reports per business day with the 12-quarter series
(S2) and both status partitions (S3, S4). The other statistics of partnership.md §5.1 are to follow
(docs/statistics.md lists them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from earlywarn.cases.flows import Flow
from earlywarn.intake.models import Report
from earlywarn.stats.calendar import PARTNERSHIP_START, business_days_between, per_business_day, quarter_bounds
from earlywarn.stats.partition import FlowPartition, status_partition

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
SERIES_LENGTH = 12


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = QUARTER_RE.match(text.strip().upper())
        if not match:
            raise ValueError(f"{text!r} is not a quarter such as 2025Q4")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def last_day(self) -> date:
        return timezone.localdate(quarter_bounds(self.year, self.number)[1] - timedelta(microseconds=1))


def _series_point(quarter: Quarter) -> dict[str, Any]:
    end = quarter_bounds(quarter.year, quarter.number)[1]
    total = Report.objects.filter(received_at__lt=end).count()
    last_day = quarter.last_day()
    days = business_days_between(PARTNERSHIP_START, last_day)
    return {"quarter": str(quarter), "total": total, "business_days": days,
            "per_business_day": float(per_business_day(total, last_day))}


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


def quarterly_report(quarter: Quarter, *, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The report for ``quarter`` as JSON-ready data. ``progress`` hears one line per step."""
    say = progress or (lambda _line: None)
    end = quarter_bounds(quarter.year, quarter.number)[1]
    say(f"status partition at the end of {quarter}")
    partition = status_partition(end)
    product, website = partition[Flow.PRODUCT], partition[Flow.WEBSITE]
    quarters = [quarter]
    while len(quarters) < SERIES_LENGTH:
        quarters.insert(0, quarters[0].previous())
    series = []
    for index, point in enumerate(quarters, start=1):
        say(f"series {index}/{SERIES_LENGTH}: {point}")
        series.append(_series_point(point))
    current = series[-1]
    if current["total"] != product.total + website.total:  # §5.3: the last cumulative equals the report total
        raise AssertionError(f"{quarter}: cumulative {current['total']} ≠ partition {product.total + website.total}")
    return {
        "quarter": str(quarter),
        "reports": {"total": current["total"], "product": product.total, "website": website.total},
        "business_days": current["business_days"],
        "per_business_day": current["per_business_day"],
        "series": series,
        "product_status": _product_status(product),
        "website_status": _website_status(website),
    }


def report_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every table of the report as (table, row, value) rows, for the CSV export."""
    rows: list[tuple[str, str, str]] = [("quarter", "quarter", report["quarter"])]
    rows += [("reports", key, str(value)) for key, value in report["reports"].items()]
    rows += [("reports", "business_days", str(report["business_days"])),
             ("reports", "per_business_day", f"{report['per_business_day']:.2f}")]
    for point in report["series"]:
        rows += [(f"series {point['quarter']}", "total", str(point["total"])),
                 (f"series {point['quarter']}", "business_days", str(point["business_days"])),
                 (f"series {point['quarter']}", "per_business_day", f"{point['per_business_day']:.2f}")]
    for table in ("product_status", "website_status"):
        rows += [(table, key, str(value)) for key, value in report[table].items()]
    return rows
