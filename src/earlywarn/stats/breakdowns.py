"""Breakdowns of accepted reports (S9, S10, S14, S15, S16) and the small-company share (S18).

The base is every report not 不受理 at the cut-off (§3.7 "不受理分を除いた"; §5.3: base = total − 不受理), so a
report still awaiting its acceptance judgment is in the base, normally under ``unknown``. The threat breakdown
(S15) uses the same base [inferred, §3.7]. Each breakdown lists every category found, largest first then by name.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from earlywarn.config.knobs import knob_list
from earlywarn.stats.measures import CategoryNames, percent, ranked, shares
from earlywarn.stats.quarter import Quarter

TRENDS = 8  # S16: the quarterly trend covers the past two years
# (key in the report, the flow, the case attribute)
BREAKDOWNS = (("product_type", "product", "product_type"), ("cause", "product", "cause"),
              ("website_vulnerability_type", "website", "vulnerability_type"), ("threat", "website", "threat"),
              ("operator_type", "website", "operator_type"))


Attributes = Counter[tuple[str, str, str, str, str, str]]  # accepted cases by (flow, *the attributes)
ATTRIBUTE_INDEX = {"product_type": 1, "cause": 2, "vulnerability_type": 3, "threat": 4, "operator_type": 5}


def _accepted(attributes: Attributes, flow: str) -> int:
    return sum(n for key, n in attributes.items() if key[0] == flow)


def breakdowns(attributes: Attributes) -> dict[str, Any]:
    """S9, S10, S14 (all quarters), S15 and S16 over ``attributes``: the cases not 不受理 at the cut-off."""
    result: dict[str, Any] = {}
    for key, flow, attribute in BREAKDOWNS:
        name, index = CategoryNames(attribute), ATTRIBUTE_INDEX[attribute]
        counter: Counter[str] = Counter()
        for values, n in attributes.items():
            if values[0] == flow:
                counter[name(values[index])] += n
        result[key] = shares(counter)
    result["base"] = {flow: _accepted(attributes, flow) for flow in ("product", "website")}
    return result


def small_company_types() -> list[str]:
    """Operator types counted as small companies (S18; the sources name none, docs/configuration.md)."""
    name = CategoryNames("operator_type")
    return list(dict.fromkeys(name(item) for item in knob_list("SMALL_COMPANY_OPERATOR_TYPES")))


def small_company_share(attributes: Attributes) -> dict[str, Any]:
    """S18: accepted website reports whose operator type is a configured small-company type."""
    small = set(small_company_types())
    name = CategoryNames("operator_type")
    base = _accepted(attributes, "website")
    count = sum(n for values, n in attributes.items()
                if values[0] == "website" and name(values[ATTRIBUTE_INDEX["operator_type"]]) in small)
    return {"base": base, "count": count, "pct": percent(count, base), "operator_types": sorted(small)}


def trend_days(quarter: Quarter) -> list[date]:
    """The first days of the ``TRENDS`` quarters ending with ``quarter``, and of the quarter after it."""
    quarters = [quarter]
    while len(quarters) < TRENDS:
        quarters.insert(0, quarters[0].previous())
    return [q.first_day() for q in quarters] + [quarter.last_day() + timedelta(days=1)]


def quarterly_breakdowns(recent: Counter[tuple[int, str, str, str]], quarter: Quarter) -> dict[str, Any]:
    """S14–S16 per quarter over the past two years: the accepted website reports received in each quarter (as
    judged at the cut-off), by vulnerability type, threat and operator type; ``counts`` follow ``quarters``.
    ``recent``: those reports by (quarter index, vulnerability type, threat, operator type)."""
    quarters = [quarter]
    while len(quarters) < TRENDS:
        quarters.insert(0, quarters[0].previous())
    base = [0] * TRENDS
    keys = [key for key, flow, _a in BREAKDOWNS if flow == "website"]
    tables: dict[str, dict[str, list[int]]] = {key: {} for key in keys}
    names = {key: CategoryNames(attribute) for key, flow, attribute in BREAKDOWNS if flow == "website"}
    for (i, *values), n in recent.items():
        base[i] += n
        for key, value in zip(keys, values, strict=True):
            row = tables[key].setdefault(names[key](value), [0] * TRENDS)
            row[i] += n
    result: dict[str, Any] = {"quarters": [str(q) for q in quarters], "base": base}
    for key, table in tables.items():
        order = ranked(Counter({name: sum(counts) for name, counts in table.items()}))
        result[key] = [{"name": name, "counts": table[name],
                        "pcts": [percent(n, b) for n, b in zip(table[name], base, strict=True)]}
                       for name, _total in order]
    return result
