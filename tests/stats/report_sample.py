"""A complete quarterly report in the engine's JSON shape, with the published 2025Q4 figures (partnership.md §5.2).

The renderers are tested on it so that every section, chart and table is drawn even before the engine computes
every statistic; where §5.2 gives no number, a plausible one stands in.
"""

from __future__ import annotations

import copy
from typing import Any

SERIES = [
    ("2023Q1", 18026, 4558, 3.95), ("2023Q2", 18191, 4620, 3.94), ("2023Q3", 18346, 4682, 3.92),
    ("2023Q4", 18651, 4743, 3.93), ("2024Q1", 18858, 4801, 3.93), ("2024Q2", 18970, 4863, 3.90),
    ("2024Q3", 19086, 4925, 3.88), ("2024Q4", 19249, 4987, 3.86), ("2025Q1", 19348, 5044, 3.84),
    ("2025Q2", 19448, 5106, 3.81), ("2025Q3", 19609, 5168, 3.79), ("2025Q4", 19859, 5228, 3.80),
]


def _bins(edges: list[tuple[int, int | None]], counts: list[int]) -> list[dict[str, Any]]:
    base = sum(counts)
    return [{"label": f"{low}-{high}" if high is not None else f"{low}-", "min": low, "max": high, "count": count,
             "pct": round(count / base * 100, 1)} for (low, high), count in zip(edges, counts, strict=True)]


def _shares(items: list[tuple[str, int]]) -> list[dict[str, Any]]:
    base = sum(count for _name, count in items)
    return [{"name": name, "count": count, "pct": round(count / base * 100, 1)} for name, count in items]


PUBLICATION_EDGES = [(0, 45), (46, 100), (101, 150), (151, 200), (201, 250), (251, 300), (301, None)]
FIX_EDGES = [(0, 3), (4, 10), (11, 30), (31, 50), (51, 90), (91, 300), (301, None)]

FULL_REPORT: dict[str, Any] = {
    "quarter": "2025Q4",
    "reports": {"total": 19859, "product": 6392, "website": 13467},
    "business_days": 5228,
    "per_business_day": 3.80,
    "series": [{"quarter": q, "total": t, "business_days": d, "per_business_day": r} for q, t, d, r in SERIES],
    "product_status": {"published": 3116, "coordination_impossible": 11, "individual_handling": 40,
                       "not_vulnerability": 150, "in_handling": 2465, "unreachable_listed": 160,
                       "not_accepted": 621},
    "website_status": {"fixed": 8891, "page_deleted": 1193, "workaround": 38, "alert_closed": 1130,
                       "not_vulnerability": 830, "in_handling": 2082, "unable": 238, "not_accepted": 296},
    "previous_year": {
        "quarter": "2024Q4",
        "reports": {"total": 19249, "product": 6101, "website": 13148},
        "product_status": {"published": 2950, "coordination_impossible": 11, "individual_handling": 40,
                           "not_vulnerability": 140, "in_handling": 2380, "unreachable_listed": 162,
                           "not_accepted": 591},
        "website_status": {"fixed": 8770, "page_deleted": 1180, "workaround": 37, "alert_closed": 1130,
                           "not_vulnerability": 810, "in_handling": 1920, "unable": 236, "not_accepted": 282},
    },
    "jvn": {"domestic_published": 3116, "overseas": None, "total": None},
    "days_to_publication": {"base": 3116, "within_45_days_pct": 28, "over_300_days_pct": 27,
                            "bins": _bins(PUBLICATION_EDGES, [872, 420, 310, 260, 230, 183, 841])},
    "days_to_fix": {
        "base": 8891, "within_30_days_pct": 52, "within_90_days_pct": 70,
        "bins": _bins(FIX_EDGES, [1620, 1350, 1653, 800, 801, 1667, 1000]),
        "by_type": [
            {"type": "xss", "base": 5100, "bins": [900, 800, 1000, 450, 450, 900, 600]},
            {"type": "sql_injection", "base": 1100, "bins": [250, 200, 200, 100, 100, 150, 100]},
            {"type": "dns_misconfiguration", "base": 1300, "bins": [200, 180, 250, 130, 130, 260, 150]},
            {"type": "other", "base": 1391, "bins": [270, 170, 203, 120, 121, 357, 150]},
        ],
    },
    "prolonged": {"threshold_days": 90, "count": 1050, "previous_year_count": 1045,
                  "by_elapsed_days": [{"label": "90-199", "min": 90, "max": 199, "count": 150},
                                      {"label": "200-299", "min": 200, "max": 299, "count": 120},
                                      {"label": "300-999", "min": 300, "max": 999, "count": 380},
                                      {"label": "1000-", "min": 1000, "max": None, "count": 400}],
                  "by_type": [{"type": "xss", "count": 610, "pct": 58.1},
                              {"type": "sql_injection", "count": 168, "pct": 16.0},
                              {"type": "dns_misconfiguration", "count": 92, "pct": 8.8},
                              {"type": "other", "count": 180, "pct": 17.1}]},
    "unreachable": {"since": "2011-09-29", "listed": 251, "resumed": 53, "completed": 33, "still_unreachable": 160},
    "priority_provision": {"since": "2018-04-01", "period": {"電力分野": 2, "政府機関": 1},
                           "cumulative": {"電力分野": 49, "政府機関": 38}},
    "breakdowns": {
        "base": {"product": 5771, "website": 13171},
        "product_type": _shares([("ウェブアプリケーションソフト", 2308), ("スマートフォン向けアプリ", 1000),
                                 ("ルータ", 800), ("その他", 1663)]),
        "cause": _shares([("ウェブアプリケーションの脆弱性", 3001), ("その他実装上の不備", 2770)]),
        "website_vulnerability_type": _shares([("xss", 7507), ("sql_injection", 1449),
                                               ("dns_misconfiguration", 1317), ("other", 2898)]),
        "threat": _shares([("false_information", 7244), ("domain_information_insertion", 1449),
                           ("data_tampering", 1449), ("personal_information_leak", 1200), ("other", 1829)]),
        "operator_type": _shares([("listed_company", 900), ("unlisted_company", 7000), ("other_company", 900),
                                  ("public_body", 1500), ("individual", 1000), ("other", 1871)]),
    },
    "small_company_share": {"base": 13171, "count": 9220, "pct": 70.0, "operator_types": ["unlisted_company"]},
}


def full_report() -> dict[str, Any]:
    return copy.deepcopy(FULL_REPORT)


def partial_report() -> dict[str, Any]:
    """Only what the engine computed in its first release (the other sections say "not yet available")."""
    keep = ("quarter", "reports", "business_days", "per_business_day", "series", "product_status", "website_status")
    return {key: copy.deepcopy(FULL_REPORT[key]) for key in keep}
