"""The quarterly report flattened into (table, row, value) rows: the CSV export (``earlywarn stats quarterly
--format csv``). Every table of the JSON appears; null is an empty value; percentages have one decimal and reports
per business day two."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str]


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _flat(table: str, data: dict[str, Any], skip: tuple[str, ...] = ()) -> list[Row]:
    return [(table, key, _value(value)) for key, value in data.items()
            if key not in skip and not isinstance(value, dict | list)]


def _items(table: str, items: list[dict[str, Any]], key: str, fields: tuple[str, ...]) -> list[Row]:
    """One row per item and numeric field: table "<table> <field>", row the item's name."""
    return [(f"{table} {field}", str(item[key]), _value(item[field])) for field in fields for item in items]


def _status_rows(prefix: str, part: dict[str, Any]) -> list[Row]:
    rows = _flat(f"{prefix}reports", part["reports"])
    for table in ("product_status", "website_status"):
        rows += _flat(f"{prefix}{table}", part[table])
    return rows


def _series_rows(report: dict[str, Any]) -> list[Row]:
    rows: list[Row] = [("reports", "business_days", str(report["business_days"])),
                       ("reports", "per_business_day", f"{report['per_business_day']:.2f}")]
    for point in report["series"]:
        table = f"series {point['quarter']}"
        rows += [(table, "total", str(point["total"])), (table, "business_days", str(point["business_days"])),
                 (table, "per_business_day", f"{point['per_business_day']:.2f}")]
    return rows


def _days_rows(report: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name in ("days_to_publication", "days_to_fix"):
        data = report.get(name)
        if data is None:
            continue
        rows += _flat(name, data)
        rows += _items(f"{name} bins", data["bins"], "label", ("count", "pct"))
        labels = [b["label"] for b in data["bins"]]
        for item in data.get("by_type", []):
            table = f"{name} by_type {item['type']}"
            rows += [(table, "base", str(item["base"]))]
            rows += [(table, label, str(n)) for label, n in zip(labels, item["bins"], strict=True)]
    return rows


def _website_rows(report: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if (prolonged := report.get("prolonged")) is not None:
        rows += _flat("prolonged", prolonged)
        rows += _items("prolonged by_elapsed_days", prolonged["by_elapsed_days"], "label", ("count",))
        rows += _items("prolonged by_type", prolonged["by_type"], "type", ("count", "pct"))
    if (small := report.get("small_company_share")) is not None:
        rows += _flat("small_company_share", small)
        rows += [("small_company_share", "operator_types", " ".join(small["operator_types"]))]
    return rows


def _product_rows(report: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name in ("jvn", "unreachable"):
        if (data := report.get(name)) is not None:
            rows += _flat(name, data)
    if (priority := report.get("priority_provision")) is not None:
        rows += [("priority_provision", "since", priority["since"])]
        for span in ("period", "cumulative"):
            rows += [(f"priority_provision {span}", sector, str(n)) for sector, n in priority[span].items()]
    return rows


def _breakdown_rows(report: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if (data := report.get("breakdowns")) is not None:
        rows += _flat("breakdowns base", data["base"])
        for key, items in data.items():
            if key != "base":
                rows += _items(f"breakdowns {key}", items, "name", ("count", "pct"))
    if (trend := report.get("quarterly_breakdowns")) is not None:
        quarters = trend["quarters"]
        rows += [("quarterly_breakdowns base", q, str(n)) for q, n in zip(quarters, trend["base"], strict=True)]
        for key, items in trend.items():
            if key in {"quarters", "base"}:
                continue
            for item in items:
                rows += [(f"quarterly_breakdowns {key} {item['name']}", q, str(n))
                         for q, n in zip(quarters, item["counts"], strict=True)]
    return rows


def report_rows(report: dict[str, Any]) -> list[Row]:
    """Every table of the report as (table, row, value) rows, for the CSV export."""
    rows: list[Row] = [("quarter", "quarter", report["quarter"])]
    rows += _flat("reports", report["reports"])
    rows += _series_rows(report)
    for table in ("product_status", "website_status"):
        rows += _flat(table, report[table])
    if (previous := report.get("previous_year")) is not None:
        rows += [("previous_year", "quarter", previous["quarter"])]
        rows += _status_rows("previous_year ", previous)
    return rows + _product_rows(report) + _days_rows(report) + _website_rows(report) + _breakdown_rows(report)
