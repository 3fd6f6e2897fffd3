"""Breakdowns of accepted reports (S9, S10, S14, S15, S16) and the small-company share (S18).

The base is every report not 不受理 at the cut-off (§3.7 "不受理分を除いた"; §5.3: base = total − 不受理), so a
report still awaiting its acceptance judgment is in the base, normally under ``unknown``. The threat breakdown
(S15) uses the same base [inferred, §3.7]. Each breakdown lists every category found, largest first then by name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from earlywarn.config.knobs import knob_list
from earlywarn.stats.measures import CategoryNames, percent, ranked, shares
from earlywarn.stats.quarter import Quarter
from earlywarn.stats.snapshot import CaseAt

TRENDS = 8  # S16: the quarterly trend covers the past two years
# (key in the report, the flow, the case attribute)
BREAKDOWNS = (("product_type", "product", "product_type"), ("cause", "product", "cause"),
              ("website_vulnerability_type", "website", "vulnerability_type"), ("threat", "website", "threat"),
              ("operator_type", "website", "operator_type"))


def _accepted(cases: list[CaseAt], flow: str) -> list[CaseAt]:
    return [case for case in cases if case.flow == flow and not case.not_accepted]


def breakdowns(cases: list[CaseAt]) -> dict[str, Any]:
    accepted = {"product": _accepted(cases, "product"), "website": _accepted(cases, "website")}
    result: dict[str, Any] = {}
    for key, flow, attribute in BREAKDOWNS:
        name = CategoryNames(attribute)
        result[key] = shares(name(getattr(case, attribute)) for case in accepted[flow])
    result["base"] = {flow: len(items) for flow, items in accepted.items()}
    return result


def small_company_types() -> list[str]:
    """Operator types counted as small companies (S18; the sources name none, docs/configuration.md)."""
    name = CategoryNames("operator_type")
    return list(dict.fromkeys(name(item) for item in knob_list("SMALL_COMPANY_OPERATOR_TYPES")))


def small_company_share(cases: list[CaseAt]) -> dict[str, Any]:
    """S18: accepted website reports whose operator type is a configured small-company type."""
    small = set(small_company_types())
    name = CategoryNames("operator_type")
    accepted = _accepted(cases, "website")
    count = sum(1 for case in accepted if name(case.operator_type) in small)
    return {"base": len(accepted), "count": count, "pct": percent(count, len(accepted)),
            "operator_types": sorted(small)}


def quarterly_breakdowns(cases: list[CaseAt], quarter: Quarter) -> dict[str, Any]:
    """S14–S16 per quarter over the past two years: the accepted website reports received in each quarter (as
    judged at the cut-off), by vulnerability type, threat and operator type; ``counts`` follow ``quarters``."""
    quarters = [quarter]
    while len(quarters) < TRENDS:
        quarters.insert(0, quarters[0].previous())
    index = {str(q): i for i, q in enumerate(quarters)}
    first = quarters[0].first_day()
    accepted = [c for c in _accepted(cases, "website") if c.received_on >= first]
    base = [0] * TRENDS
    tables: dict[str, dict[str, list[int]]] = {key: {} for key, flow, _a in BREAKDOWNS if flow == "website"}
    names = {key: CategoryNames(attribute) for key, flow, attribute in BREAKDOWNS if flow == "website"}
    attributes = {key: attribute for key, _flow, attribute in BREAKDOWNS}
    for case in accepted:
        i = index.get(str(Quarter.of(case.received_on)))
        if i is None:  # a receipt date outside the received-before-the-cut-off window (time zone changed)
            continue
        base[i] += 1
        for key, table in tables.items():
            row = table.setdefault(names[key](getattr(case, attributes[key])), [0] * TRENDS)
            row[i] += 1
    result: dict[str, Any] = {"quarters": [str(q) for q in quarters], "base": base}
    for key, table in tables.items():
        order = ranked(Counter({name: sum(counts) for name, counts in table.items()}))
        result[key] = [{"name": name, "counts": table[name],
                        "pcts": [percent(n, b) for n, b in zip(table[name], base, strict=True)]}
                       for name, _total in order]
    return result
