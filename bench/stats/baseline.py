"""The hand-written SQL baseline of ``bench/stats/run.py``: the figures computed directly in SQL.

* S1 and the S2 series: one scan of ``intake_report`` with a conditional count per cut-off;
* S3/S4 at the cut-off: each case's last state-setting event before it (a window function), counted by
  (flow, state); the state → published category mapping is code (``earlywarn.cases.flows``), applied to the
  handful of (flow, state) pairs found;
* S7 and S13: the same last-state read, the calendar days in the platform's time zone and the shares rounded half
  up to one decimal, all in one query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection

from earlywarn.cases.flows import Flow, definition
from earlywarn.stats.quarter import Quarter

AT_CUT = """
WITH last AS (
  SELECT e.case_id, e.to_flow, e.to_state,
         ROW_NUMBER() OVER (PARTITION BY e.case_id ORDER BY e.created_at DESC, e.id DESC) AS rn
  FROM cases_caseevent e WHERE e.created_at < %s AND e.to_state <> ''),
at_cut AS (
  SELECT l.to_flow, l.to_state, c.accepted_at, c.notified_at, c.published_at, c.closed_at
  FROM cases_case c JOIN intake_report r ON r.id = c.report_id JOIN last l ON l.case_id = c.id AND l.rn = 1
  WHERE r.received_at < %s)
"""


def _param(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _day(column: str) -> str:
    """The column's calendar date in the platform's time zone, as a day number."""
    if connection.vendor == "postgresql":
        return f"(({column} AT TIME ZONE '{settings.TIME_ZONE}')::date - DATE '2000-01-01')"
    assert settings.TIME_ZONE == "Asia/Tokyo", "the SQLite baseline knows Japan's fixed offset only"
    return f"julianday(date({column}, '+9 hours'))"


def _pct(count: str, base: str) -> str:
    """count / base as a percentage with one decimal, rounded half up, 0 for an empty base (integer arithmetic)."""
    return f"(CASE WHEN {base} = 0 THEN 0 ELSE (2000 * ({count}) + {base}) / (2 * {base}) END) / 10.0"


def _pairs(pairs: list[tuple[str, str]]) -> tuple[str, list[str]]:
    if not pairs:
        return "1 = 0", []
    return " OR ".join("(to_flow = %s AND to_state = %s)" for _ in pairs), [v for pair in pairs for v in pair]


def _meaning(flow: str, state: str) -> tuple[str, str]:
    declared = definition(flow).state(state)
    return declared.published_category(Flow(flow)).code, declared.sub_status.code if declared.sub_status else ""


def figures(quarter: Quarter) -> dict[str, Any]:
    quarters = [quarter]
    while len(quarters) < 12:
        quarters.insert(0, quarters[0].previous())
    cut = _param(quarter.end)
    with connection.cursor() as cursor:
        counts = ", ".join("SUM(CASE WHEN received_at < %s THEN 1 ELSE 0 END)" for _ in quarters)
        # Every SQL text here is built from constants; all values are parameters.
        cursor.execute(f"SELECT {counts} FROM intake_report", [_param(q.end) for q in quarters])  # noqa: S608
        series = [int(n or 0) for n in cursor.fetchone()]
        cursor.execute(AT_CUT + "SELECT to_flow, to_state, COUNT(*) FROM at_cut GROUP BY to_flow, to_state",  # noqa: S608
                       [cut, cut])
        by_state = {(flow, state): n for flow, state, n in cursor.fetchall()}
        meaning = {pair: _meaning(*pair) for pair in by_state}
        published, published_args = _pairs([p for p, m in meaning.items() if p[0] == "product" and m[0] == "published"])
        fixed, fixed_args = _pairs([p for p, m in meaning.items() if p[0] == "website" and m[0] == "fixed"])
        days7 = (f"CASE WHEN ({published}) AND accepted_at IS NOT NULL AND COALESCE(published_at, closed_at) IS NOT "
                 f"NULL THEN {_day('COALESCE(published_at, closed_at)')} - {_day('accepted_at')} END")
        days13 = (f"CASE WHEN ({fixed}) AND notified_at IS NOT NULL AND closed_at IS NOT NULL THEN "
                  f"{_day('closed_at')} - {_day('notified_at')} END")
        cursor.execute(
            AT_CUT + f"""SELECT b7, {_pct('w45', 'b7')}, {_pct('b7 - w300', 'b7')}, b13, {_pct('w30', 'b13')},
                {_pct('w90', 'b13')} FROM (
              SELECT COUNT(d7) AS b7, SUM(CASE WHEN d7 <= 45 THEN 1 ELSE 0 END) AS w45,
                     SUM(CASE WHEN d7 <= 300 THEN 1 ELSE 0 END) AS w300, COUNT(d13) AS b13,
                     SUM(CASE WHEN d13 <= 30 THEN 1 ELSE 0 END) AS w30,
                     SUM(CASE WHEN d13 <= 90 THEN 1 ELSE 0 END) AS w90
              FROM (SELECT {days7} AS d7, {days13} AS d13 FROM at_cut) measured) shares""",  # noqa: S608
            [cut, cut, *published_args, *fixed_args])
        b7, w45, o300, b13, w30, w90 = cursor.fetchone()
    status: dict[str, dict[str, int]] = {"product": {}, "website": {}}
    for (flow, _state), n in by_state.items():
        category, sub_status = meaning[(flow, _state)]
        for name in filter(None, (category, sub_status)):
            status[flow][name] = status[flow].get(name, 0) + n
    return {"series": series, "status": status,
            "days_to_publication": (int(b7), float(w45), float(o300)),
            "days_to_fix": (int(b13), float(w30), float(w90))}


def compare(report: dict[str, Any], sql: dict[str, Any]) -> list[str]:
    """The figures on which the engine's JSON and the baseline differ (empty when they agree)."""
    problems = []
    engine_series = [point["total"] for point in report["series"]]
    if engine_series != sql["series"]:
        problems.append(f"S2 series {engine_series} ≠ {sql['series']}")
    if report["reports"]["total"] != sql["series"][-1]:
        problems.append(f"S1 {report['reports']['total']} ≠ {sql['series'][-1]}")
    for flow in ("product", "website"):
        engine = {k: v for k, v in report[f"{flow}_status"].items() if v}
        if engine != sql["status"][flow]:
            problems.append(f"{flow} status {engine} ≠ {sql['status'][flow]}")
        if report["reports"][flow] != sum(v for k, v in sql["status"][flow].items() if k in _categories(flow)):
            problems.append(f"{flow} total {report['reports'][flow]} ≠ the baseline's partition")
    publication, fix = report["days_to_publication"], report["days_to_fix"]
    engine7 = (publication["base"], publication["within_45_days_pct"], publication["over_300_days_pct"])
    engine13 = (fix["base"], fix["within_30_days_pct"], fix["within_90_days_pct"])
    if engine7 != sql["days_to_publication"]:
        problems.append(f"S7 {engine7} ≠ {sql['days_to_publication']}")
    if engine13 != sql["days_to_fix"]:
        problems.append(f"S13 {engine13} ≠ {sql['days_to_fix']}")
    return problems


def _categories(flow: str) -> set[str]:
    from earlywarn.cases.flows import PRODUCT_CATEGORIES, WEBSITE_CATEGORIES

    return {c.code for c in (PRODUCT_CATEGORIES if flow == "product" else WEBSITE_CATEGORIES)}
