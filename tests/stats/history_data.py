"""A synthetic history consistent with partnership.md §5.2 T2, T3 and T4 (2023–2025), as JSON Lines.

``write_history(path)`` writes 19,859 reports whose received dates give the 12 published quarterly cumulative
totals of T2 and whose statuses at 2025-12-31 give the T3 (products) and T4 (websites) partitions. Every date is
on or before 2025-12-31, so the 2025Q4 report sees the final state. Deterministic (seeded).
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

START = date(2004, 7, 8)
PRE_2023_END = date(2022, 12, 31)
CUT_OFF = date(2025, 12, 31)
# T2: cumulative totals at the end of 2023Q1 … 2025Q4, and the published reports per business day.
CUMULATIVE = (18026, 18191, 18346, 18651, 18858, 18970, 19086, 19249, 19348, 19448, 19609, 19859)
PER_BUSINESS_DAY = (3.95, 3.94, 3.92, 3.93, 3.93, 3.90, 3.88, 3.86, 3.84, 3.81, 3.79, 3.80)
IN_2023Q1 = 200  # T2 does not say how many of 18,026 came in 2023Q1; any split works
# T3 and T4 at 2025-12: the published partitions.
PRODUCT_STATUS = {"published": 3116, "individual_handling": 40, "not_vulnerability": 150, "in_handling": 2465,
                  "not_accepted": 621}
WEBSITE_STATUS = {"fixed": 8891, "alert_closed": 1130, "not_vulnerability": 830, "in_handling": 2082,
                  "unable": 238, "not_accepted": 296}
WEBSITE_FIX_KINDS = {"workaround": 38, "page_deleted": 1193}
COORDINATION_IMPOSSIBLE = 11
UNREACHABLE_LISTED = 160


def _quarters() -> list[tuple[date, date, int]]:
    """(first day, last day, how many reports) for the pre-2023 span and each quarter of 2023–2025."""
    spans = [(START, PRE_2023_END, CUMULATIVE[0] - IN_2023Q1), (date(2023, 1, 1), date(2023, 3, 31), IN_2023Q1)]
    for index in range(1, len(CUMULATIVE)):
        year, quarter = 2023 + index // 4, index % 4 + 1
        first = date(year, 3 * quarter - 2, 1)
        last = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
        spans.append((first, last, CUMULATIVE[index] - CUMULATIVE[index - 1]))
    return spans


def _labels() -> list[tuple[str, str, str]]:
    """(kind, status, detail) for every report; detail picks a sub-status."""
    labels: list[tuple[str, str, str]] = []
    for status, n in PRODUCT_STATUS.items():
        for i in range(n):
            detail = ""
            if status == "published" and i < COORDINATION_IMPOSSIBLE:
                detail = "impossible"
            elif status == "published" and i < COORDINATION_IMPOSSIBLE + 30:
                detail = "resumed"
            elif status == "in_handling":
                detail = "listed" if i < UNREACHABLE_LISTED else ("unjudged" if i % 10 == 0 else "")
            labels.append(("product", status, detail))
    for status, n in WEBSITE_STATUS.items():
        for i in range(n):
            detail = ""
            if status == "fixed":
                detail = ("workaround" if i < WEBSITE_FIX_KINDS["workaround"]
                          else "page_deleted" if i < sum(WEBSITE_FIX_KINDS.values()) else "")
            elif status == "unable":
                detail = ("no_response", "operator_declined", "no_contact", "")[i % 4]
            elif status == "in_handling":
                detail = ("notified", "accepted", "unjudged")[i % 3]
            labels.append(("website", status, detail))
    return labels


def _later(rng: random.Random, day: date, most: int) -> date:
    return min(day + timedelta(days=rng.randint(0, most)), CUT_OFF)


def _record(rng: random.Random, number: int, received: date, kind: str, status: str, detail: str) -> dict[str, Any]:
    line: dict[str, Any] = {"tracking_id": f"JVNH-{number:06d}", "kind": kind, "received_on": received.isoformat(),
                            "status": status}
    if status == "not_accepted":
        line["closed_on"] = _later(rng, received, 20).isoformat()
        return line
    if detail == "unjudged":
        return line
    accepted = _later(rng, received, 10)
    line["accepted_on"] = accepted.isoformat()
    if kind == "product":
        line["product_type"] = rng.choice(["ウェブアプリケーションソフト", "スマートフォン向けアプリ", "ルータ"])
        line["cause"] = rng.choice(["ウェブアプリケーションの脆弱性", "その他実装上の不備"])
        closed = _later(rng, accepted, 400)
        if detail in {"listed", "impossible", "resumed"}:
            listed = _later(rng, accepted, 60)
            unreachable: dict[str, Any] = {"listed_on": listed.isoformat(), "resumed_on": None, "completed_on": None}
            if detail == "resumed":
                unreachable["resumed_on"] = _later(rng, listed, 30).isoformat()
                unreachable["completed_on"] = unreachable["resumed_on"]
            line["unreachable"] = unreachable
            closed = max(closed, _later(rng, date.fromisoformat(unreachable["resumed_on"] or listed.isoformat()), 60))
        if status == "published":
            line["published_on"] = closed.isoformat()
            line["coordination_impossible"] = detail == "impossible"
            if number % 40 == 0:
                line["priority_provisions"] = [{"sector": "電力分野", "provided_on": closed.isoformat()}]
        elif status != "in_handling":
            line["closed_on"] = closed.isoformat()
        return line
    line["vulnerability_type"] = rng.choice(["クロスサイト・スクリプティング", "DNS 情報の設定不備",
                                             "SQL インジェクション"])
    if status == "in_handling" and detail != "notified":
        return line
    notify = status in {"fixed", "in_handling"} or (status == "unable" and detail != "no_contact") or number % 2 == 0
    notified = _later(rng, accepted, 5) if notify else accepted
    if notify:
        line["notified_on"] = notified.isoformat()
    if status != "in_handling":
        line["closed_on"] = _later(rng, notified, 200).isoformat()
    if status == "fixed" and detail:
        line["fix_kind"] = detail
    elif status == "fixed" and number % 2:
        line["fix_kind"] = "fixed"
    if status == "unable" and detail:
        line["unable_reason"] = detail
    return line


def history_lines(seed: int = 2025) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    received: list[date] = []
    for first, last, count in _quarters():
        span = (last - first).days
        received += [first + timedelta(days=rng.randint(0, span)) for _ in range(count)]
    received.sort()
    labels = _labels()
    assert len(labels) == len(received) == CUMULATIVE[-1]
    rng.shuffle(labels)
    pairs = enumerate(zip(received, labels, strict=True), start=1)
    return [_record(rng, number, day, *label) for number, (day, label) in pairs]


def write_history(path: Path, seed: int = 2025) -> int:
    lines = history_lines(seed)
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(lines)
