"""A synthetic history consistent with every 2025 figure of partnership.md §5.2 it can determine, as JSON Lines.

``write_history(path)`` writes 19,859 reports whose received dates give the 12 published quarterly cumulative
totals of T2 and whose statuses at 2025-12-31 give the T3 (products) and T4 (websites) partitions. Dates and
categories are then shaped so that the 2025Q4 report also gives T6 (28% published within 45 days), T7 (52% / 70%
fixed within 30 / 90 days of 8,891), T8 (40% / 52% of 5,771), T9 (57 / 11 / 10% of 13,171), T10 (55 / 11 / 11%),
T12 (1,050 prolonged, 1,045 a year earlier, 16% SQL injection), T13 (49 + 38 priority provisions) and T14 (251 /
53 / 33 / 160). T14's residual (251 − 53 − 160 = 38) is taken to be 38 publications after the committee
(調整不能), as the 2019 residual equalled the 11 committee publications of that year (§5.3). Every date is on or
before 2025-12-31, so the 2025Q4 report sees the final state. Deterministic (seeded).
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
YEAR_BEFORE = date(2024, 12, 31)
UNREACHABLE_SINCE = date(2011, 9, 29)
PRIORITY_SINCE = date(2018, 4, 1)
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
# T14: listed 251 = 160 still listed + 53 resumed (33 completed and published, 20 still in handling) + 38 (T3: 調整不能)
UNREACHABLE_LISTED, RESUMED_OPEN, RESUMED_COMPLETED, COORDINATION_IMPOSSIBLE = 160, 20, 33, 38
# T6: days from acceptance to publication, as (count, fewest days, most days); 873 / 3,116 = 28.0%.
PUBLISHED_WITHIN_45 = 873
PUBLICATION_SPREAD = ((560, 46, 100), (530, 101, 200), (340, 201, 300))  # the rest: 301 days or more
# T7: days from notification to the fix; 4,623 / 8,891 = 52.0% within 30, 6,224 = 70.0% within 90.
FIX_CLASSES = ((2500, 0, 10), (2123, 11, 30), (900, 31, 60), (701, 61, 90), (1300, 91, 180), (800, 181, 300),
               (567, 301, 900))
# T12: 1,050 prolonged at 2025-12-31 (168 = 16.0% SQL injection), 1,045 at 2024-12-31.
PROLONGED, PROLONGED_YEAR_BEFORE, PROLONGED_SQLI = 1050, 1045, 168
# T8, T9, T10: exact counts of the named categories; the rest share the remainder.
PRODUCT_TYPES = ({"ウェブアプリケーションソフト": 2308},
                 ["スマートフォン向けアプリ", "ルータ", "グループウェア", "その他"])
CAUSES = ({"ウェブアプリケーションの脆弱性": 3001}, ["その他実装上の不備", "仕様上の不備", "設定上の不備"])
SQLI = "SQL インジェクション"
WEBSITE_TYPES = ({"クロスサイト・スクリプティング": 7507, SQLI: 1449, "DNS 情報の設定不備": 1317},
                 ["ディレクトリ・トラバーサル", "HTTP ヘッダ・インジェクション", "ファイルの誤った公開", "その他"])
THREATS = ({"本物サイト上への偽情報の表示": 7244, "ドメイン情報の挿入": 1449, "データの改ざん、消去": 1449},
           ["個人情報の漏洩", "なりすまし", "その他"])
OPERATOR_TYPES = (["株式企業（非上場）", "株式企業（上場）", "その他企業", "政府機関・地方公共団体", "個人", ""],
                  [55, 8, 8, 14, 8, 7])
# T13: priority information provided, by sector, since 2018-04.
PROVISIONS = {"電力分野": 49, "政府機関": 38}


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
    """(kind, status, detail) for every report; detail picks a sub-status or a role."""
    special = (["impossible"] * COORDINATION_IMPOSSIBLE + ["resumed_completed"] * RESUMED_COMPLETED,
               ["listed"] * UNREACHABLE_LISTED + ["resumed"] * RESUMED_OPEN)
    labels: list[tuple[str, str, str]] = []
    for status, n in PRODUCT_STATUS.items():
        for i in range(n):
            detail = ""
            if status == "published" and i < len(special[0]):
                detail = special[0][i]
            elif status == "in_handling":
                detail = special[1][i] if i < len(special[1]) else ("unjudged" if i % 10 == 0 else "")
            labels.append(("product", status, detail))
    for status, n in WEBSITE_STATUS.items():
        for i in range(n):
            detail = ""
            if status == "fixed":
                detail = ("workaround" if i < WEBSITE_FIX_KINDS["workaround"]
                          else "page_deleted" if i < sum(WEBSITE_FIX_KINDS.values()) else "")
            elif status == "unable":
                detail = ("no_response", "operator_declined", "no_contact", "")[i % 4]
            elif status == "in_handling" and i % 3 == 2:
                detail = "unjudged"
            labels.append(("website", status, detail))
    return labels


def _later(rng: random.Random, day: date, most: int, least: int = 0) -> date:
    return min(day + timedelta(days=rng.randint(least, max(least, most))), CUT_OFF)


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _record(rng: random.Random, line: dict[str, Any], kind: str, status: str, detail: str) -> None:
    """The dates each status needs; publication, fix and notification dates are shaped afterwards."""
    received = line["received_on"]
    if status == "not_accepted":
        line["closed_on"] = _later(rng, received, 20)
        return
    if detail == "unjudged":
        return
    accepted = line["accepted_on"] = _later(rng, received, 10)
    if kind == "product":
        if detail:
            listed = max(_later(rng, accepted, 60), UNREACHABLE_SINCE)
            line["unreachable"] = {"listed_on": listed, "resumed_on": None, "completed_on": None}
            if detail.startswith("resumed"):
                line["unreachable"]["resumed_on"] = _later(rng, listed, 30)
            if detail == "resumed_completed":
                line["unreachable"]["completed_on"] = _later(rng, line["unreachable"]["resumed_on"], 30)
                line["published_on"] = line["unreachable"]["completed_on"]
            elif detail == "impossible":
                line["published_on"], line["coordination_impossible"] = _later(rng, listed, 200, 60), True
        elif status in {"individual_handling", "not_vulnerability"}:
            line["closed_on"] = _later(rng, accepted, 400)
        return
    if status in {"fixed", "in_handling"}:
        return
    notify = (status == "unable" and detail != "no_contact") or line["number"] % 2 == 0
    notified = _later(rng, accepted, 5) if notify else accepted
    if notify:
        line["notified_on"] = notified
    line["closed_on"] = _later(rng, notified, 200)
    if status == "unable" and detail:
        line["unable_reason"] = detail


def _durations(rng: random.Random, lines: list[dict[str, Any]], start: str, classes: list[tuple[int, int, int]]
               ) -> list[int]:
    """Draw one duration per line, ``classes`` (count, fewest, most days) exactly, each within the line's room
    before the cut-off: the tightest lines choose first, among the classes that fit them."""
    left = [count for count, _low, _high in classes]
    assert sum(left) == len(lines)
    result = [0] * len(lines)
    for index in sorted(range(len(lines)), key=lambda i: lines[i][start], reverse=True):
        room = (CUT_OFF - lines[index][start]).days
        fits = [k for k, (_n, low, _high) in enumerate(classes) if left[k] and low <= room]
        k = rng.choices(fits, weights=[left[k] for k in fits])[0]
        left[k] -= 1
        result[index] = rng.randint(classes[k][1], min(classes[k][2], room))
    return result


def _shape_dates(rng: random.Random, lines: list[dict[str, Any]]) -> None:
    """T6 and T7: publication and fix dates."""
    published = [ln for ln in lines if ln["kind"] == "product" and ln["status"] == "published"]
    plain = [ln for ln in published if "unreachable" not in ln]
    fast = sum((ln["published_on"] - ln["accepted_on"]).days <= 45 for ln in published if "unreachable" in ln)
    spread = [(PUBLISHED_WITHIN_45 - fast, 0, 45), *PUBLICATION_SPREAD]
    spread.append((len(plain) - sum(n for n, _l, _h in spread), 301, 1500))
    for line, days in zip(plain, _durations(rng, plain, "accepted_on", spread), strict=True):
        line["published_on"] = line["accepted_on"] + timedelta(days=days)
    fixed = [ln for ln in lines if ln["kind"] == "website" and ln["status"] == "fixed"]
    for line in fixed:
        line["notified_on"] = _later(rng, line["accepted_on"], 5)
    for line, days in zip(fixed, _durations(rng, fixed, "notified_on", list(FIX_CLASSES)), strict=True):
        line["closed_on"] = line["notified_on"] + timedelta(days=days)
        if line["detail"]:
            line["fix_kind"] = line["detail"]
        elif line["number"] % 2:
            line["fix_kind"] = "fixed"


def _shape_prolonged(rng: random.Random, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """T12: notification dates of the website cases still in handling; returns the prolonged ones."""
    old, window = YEAR_BEFORE - timedelta(days=90), CUT_OFF - timedelta(days=90)  # notified by then: prolonged
    websites = [ln for ln in lines if ln["kind"] == "website"]
    # Closed in 2025 but prolonged at 2024-12-31: they count in the year-earlier figure.
    closed_later = sum(1 for ln in websites if ln.get("notified_on") and ln["status"] != "in_handling"
                       and ln["notified_on"] <= old and ln["closed_on"] > YEAR_BEFORE)
    open_ = [ln for ln in websites if ln["status"] == "in_handling" and ln.get("accepted_on")]
    then = rng.sample([ln for ln in open_ if ln["accepted_on"] <= old], PROLONGED_YEAR_BEFORE - closed_later)
    for line in then:
        line["notified_on"] = _between(rng, line["accepted_on"], old)
    rest = [ln for ln in open_ if "notified_on" not in ln]
    since = rng.sample([ln for ln in rest if ln["accepted_on"] <= window], PROLONGED - len(then))
    for line in since:
        line["notified_on"] = _between(rng, max(line["accepted_on"], old + timedelta(days=1)), window)
    for line in rest[::2]:
        if "notified_on" not in line:  # notified less than 90 days before the cut-off: not prolonged
            line["notified_on"] = _between(rng, max(line["accepted_on"], window + timedelta(days=1)), CUT_OFF)
    return then + since


def _pool(rng: random.Random, exact: dict[str, int], others: list[str], size: int) -> list[str]:
    names = [name for name, n in exact.items() for _ in range(n)]
    names += [others[i % len(others)] for i in range(size - len(names))]
    rng.shuffle(names)
    return names


def _categories(rng: random.Random, lines: list[dict[str, Any]], prolonged: list[dict[str, Any]]) -> None:
    """T8, T9, T10 (exact counts of the named categories over accepted reports) and T12's SQL-injection share."""
    products = [ln for ln in lines if ln["kind"] == "product" and ln.get("accepted_on")]
    for field, (exact, others) in (("product_type", PRODUCT_TYPES), ("cause", CAUSES)):
        for line, name in zip(products, _pool(rng, exact, others, len(products)), strict=True):
            line[field] = name
    websites = [ln for ln in lines if ln["kind"] == "website" and ln.get("accepted_on")]
    types = _pool(rng, *WEBSITE_TYPES, len(websites))
    sqli = [i for i, name in enumerate(types) if name == SQLI][:PROLONGED_SQLI]
    other = [i for i, name in enumerate(types) if name != SQLI][:PROLONGED - PROLONGED_SQLI]
    chosen = {id(ln) for ln in prolonged}
    first = [types[i] for i in sqli + other]
    taken = set(sqli + other)
    rest = iter(name for i, name in enumerate(types) if i not in taken)
    prolonged_types = iter(first)
    for line in websites:
        line["vulnerability_type"] = next(prolonged_types) if id(line) in chosen else next(rest)
    for line, name in zip(websites, _pool(rng, *THREATS, len(websites)), strict=True):
        line["threat"] = name
        operator = rng.choices(*OPERATOR_TYPES)[0]
        if operator:
            line["operator_type"] = operator


def _provisions(rng: random.Random, lines: list[dict[str, Any]]) -> None:
    """T13: one provision per chosen publication since 2018-04, before or on the publication day."""
    eligible = [ln for ln in lines if ln["kind"] == "product" and ln["status"] == "published"
                and "unreachable" not in ln and ln["published_on"] >= PRIORITY_SINCE]
    chosen = rng.sample(eligible, sum(PROVISIONS.values()))
    sectors = [sector for sector, n in PROVISIONS.items() for _ in range(n)]
    for line, sector in zip(chosen, sectors, strict=True):
        day = max(line["accepted_on"], PRIORITY_SINCE, line["published_on"] - timedelta(days=rng.randint(0, 5)))
        line["priority_provisions"] = [{"sector": sector, "provided_on": day}]


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


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
    lines = []
    for number, (day, (kind, status, detail)) in enumerate(zip(received, labels, strict=True), start=1):
        line = {"number": number, "kind": kind, "status": status, "detail": detail, "received_on": day}
        _record(rng, line, kind, status, detail)
        lines.append(line)
    _shape_dates(rng, lines)
    prolonged = _shape_prolonged(rng, lines)
    _categories(rng, lines, prolonged)
    _provisions(rng, lines)
    order = ("kind", "received_on", "status", "accepted_on", "notified_on", "published_on", "closed_on")
    result = []
    for line in lines:
        out = {"tracking_id": f"JVNH-{line['number']:06d}"}
        out |= {key: line[key] for key in order if line.get(key) is not None}
        out |= {k: v for k, v in line.items() if k not in {"number", "detail", *order}}
        result.append(_json(out))
    return result


def write_history(path: Path, seed: int = 2025) -> int:
    lines = history_lines(seed)
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(lines)
