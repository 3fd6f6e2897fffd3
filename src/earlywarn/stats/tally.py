"""The quarterly report's one read: every case's state at the quarter's end and a year earlier, counted in SQL.

The database finds each case's state at both cut-offs from its audit trail (the last state-setting event before
the cut-off, ties broken by id, as the tests' per-case read does) and computes, only for the cases a
statistic measures, the calendar days of S7, S13 and S17 (``stats.sqldays``) and whether a fix was reported. One
statement returns one short row per report received by the quarter's end — no event rows, no datetimes; Python
counts identical rows (``Counter``), maps the few states found to their published categories
(``earlywarn.cases.flows``, the same code as the per-case read), and the statistics modules work on the counts.

A case whose state was last set before a cut-off (``Case.state_changed_at``, the very ``created_at`` of its last
state-setting event, written with it by ``cases.services``) is in its current state there: only the cases changed
since are looked up. How differs by database, not the result: SQLite looks up each such case's last event through
the (case, time) index; PostgreSQL sorts those cases' trails once and takes each event's successor (``lead``),
which serves both cut-offs. ``tests/stats/test_tally.py`` compares every count with the per-case read on both databases.
"""

# ruff: noqa: S608 — every SQL text here is built from constants (table names, fragments); all values are parameters
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from earlywarn.cases.flows import Flow, definition
from earlywarn.cases.models import Case, CaseEvent, Vulnerability
from earlywarn.intake.models import Report
from earlywarn.stats.rows import BrokenTrail, aware, sql_chunks, sql_rows
from earlywarn.stats.sqldays import SqlDays, local_day

Head = tuple[str, str, str, str, bool]  # flow, state, published category, published sub-status ("" if none), terminal
FIX_REPORTED = "case:operator:fix_reported"  # the operator reported a fix (websites/responses.py)
UNREACHABLE_TAGS = ("case:state:list_unreachable", "case:state:resume_coordination",
                    "case:history:coordination_completed")
EVENTS, CASES, REPORTS, VULNERABILITIES = (CaseEvent._meta.db_table, Case._meta.db_table, Report._meta.db_table,
                                           Vulnerability._meta.db_table)


@dataclass
class Cut:
    """One cut-off: the first instant not counted, and its last day (the platform's date just before it)."""

    end: datetime

    @property
    def last_day(self) -> date:
        return local_day(self.end - timedelta(microseconds=1))


@dataclass
class Tally:
    """Counts of the cases received before the quarter's end (``now``) and a year earlier (``earlier``)."""

    series: list[int]  # reports received before each of the series' cut-offs
    now: Counter[tuple[Head, str]] = field(default_factory=Counter)  # (state, origin)
    earlier: Counter[Head] = field(default_factory=Counter)
    publication_days: Counter[int | None] = field(default_factory=Counter)  # S7: published; None = unmeasured
    fix_days: Counter[tuple[str, int | None]] = field(default_factory=Counter)  # S13: (vulnerability type, days)
    handling_now: Counter[tuple[str, int, bool]] = field(default_factory=Counter)  # S17: (type, elapsed, fixed)
    handling_earlier: Counter[tuple[str, int, bool]] = field(default_factory=Counter)
    attributes: Counter[tuple[str, str, str, str, str, str]] = field(default_factory=Counter)  # accepted:
    # (flow, product type, cause, vulnerability type, threat, operator type)
    recent: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)  # accepted websites by quarter
    # index: (index, vulnerability type, threat, operator type)
    trail: dict[Any, list[tuple[datetime, str]]] = field(default_factory=dict)  # S12's events by case
    trail_heads: dict[Any, Head] = field(default_factory=dict)  # S12: those cases' states now


class Published:
    """(flow, state) → its ``Head``; None for a flow that does not exist (a broken trail). An unknown state of a
    known flow raises, as in the per-case read."""

    def __init__(self) -> None:
        self.flows = {f.value for f in Flow}
        self.known: dict[tuple[str, str], Head | None] = {}

    def __call__(self, key: tuple[str, str]) -> Head | None:
        if key not in self.known:
            if key[0] not in self.flows:
                self.known[key] = None
            else:
                declared = definition(key[0]).state(key[1])
                self.known[key] = (*key, declared.published_category(Flow(key[0])).code,
                                   declared.sub_status.code if declared.sub_status else "", declared.terminal)
        return self.known[key]

    def where(self, category: str, flow: str | None = None) -> list[str]:
        """Every declared state (as ``flow state``) counting in ``category``; a state whose category setting is
        wrong is left out (it raises when a case is found in it)."""
        found = []
        for each in Flow:
            if flow is not None and each.value != flow:
                continue
            for code in definition(each).states:
                try:
                    head = self((each.value, code))
                except ValueError:
                    continue
                if head is not None and head[2] == category:
                    found.append(f"{each.value} {code}")
        return found


LAST = ("(SELECT e.{column} FROM " + EVENTS + " e WHERE e.case_id = {case} AND e.created_at < %({cut})s "  # nosec B608
        "AND e.to_state <> '' ORDER BY e.created_at DESC, e.id DESC LIMIT 1)")
STATE = "to_flow || ' ' || e.to_state"  # in ``LAST``: the event's state as ``flow state``


@dataclass(frozen=True)
class Source:
    """Where one branch of ``StateAt`` takes the state from: a flow and a state column, or a ``flow state`` text
    expression (``text``)."""

    flow: str = ""
    state: str = ""
    text: str = ""


@dataclass(frozen=True)
class StateAt:
    """A case's state at one cut-off in SQL: the first branch whose condition holds gives it (None: no state)."""

    branches: tuple[tuple[str, Source | None], ...]
    otherwise: Source

    def value(self) -> str:
        """The state as ``flow state`` text (NULL for none)."""
        return self._case(_text)

    def among(self, codes: Sequence[str], name: str, params: dict[str, Any]) -> str:
        """A condition: the state is one of ``codes`` (``flow state``). Columns are compared as they are, without
        building the text, which matters when it is tested on every row."""
        by_flow: dict[str, list[str]] = defaultdict(list)
        for code in codes:
            flow, state = _key(code)
            by_flow[flow].append(state)

        def member(source: Source | None) -> str:
            if source is None or not codes:
                return "1 = 0"
            if source.text:
                return _in(name, codes, params).format(column=source.text)
            tests = []
            for i, (flow, states) in enumerate(by_flow.items()):
                params[f"{name}_{i}"] = flow
                tests.append(f"({source.flow} = %({name}_{i})s AND "
                             + _in(f"{name}_{i}_", states, params).format(column=source.state) + ")")
            return "(" + " OR ".join(tests) + ")"

        return self._case(member)

    def _case(self, render: Any) -> str:
        whens = " ".join(f"WHEN {condition} THEN {render(source)}" for condition, source in self.branches)
        return f"CASE {whens} ELSE {render(self.otherwise)} END"


def _text(source: Source | None) -> str:
    if source is None:
        return "NULL"
    return source.text or f"{source.flow} || ' ' || {source.state}"


CURRENT = Source("c.flow", "c.state")


def _state_sql(postgresql: bool) -> tuple[str, str, StateAt, StateAt]:
    """(a WITH clause or "", joins after report ``r`` and case ``c``, the state at A, the state at B).

    A case whose state was last set before a cut-off (``Case.state_changed_at``, the very ``created_at`` of its
    last state-setting event) is in its current state there: only the others are looked up in the trail."""
    if postgresql:  # one sort of the trail of the cases changed since B; each event's successor says at which
        # cut-offs it is the last
        trail = (f"WITH ev AS (SELECT case_id, created_at, to_flow, to_state, lead(created_at) OVER "  # nosec B608
                 f"(PARTITION BY case_id ORDER BY created_at, id) AS nxt FROM {EVENTS} "
                 f"WHERE to_state <> '' AND created_at < %(a)s AND case_id = ANY(ARRAY(SELECT id FROM {CASES} "
                 f"WHERE state_changed_at IS NULL OR state_changed_at >= %(b)s))), "
                 f"sa AS (SELECT case_id, to_flow, to_state FROM ev WHERE nxt IS NULL), "
                 f"sb AS (SELECT case_id, to_flow, to_state FROM ev "
                 f"WHERE created_at < %(b)s AND (nxt IS NULL OR nxt >= %(b)s)), "
                 f"fx AS (SELECT case_id, MIN(created_at) AS first FROM {EVENTS} WHERE tag = %(fix)s "
                 f"GROUP BY case_id) ")
        joins = ("LEFT JOIN sa ON sa.case_id = c.id LEFT JOIN sb ON sb.case_id = c.id "
                 "LEFT JOIN fx ON fx.case_id = c.id")
        return (trail, joins, StateAt((("c.state_changed_at < %(a)s", CURRENT),), Source("sa.to_flow", "sa.to_state")),
                StateAt((("r.received_at >= %(b)s", None), ("c.state_changed_at < %(b)s", CURRENT)),
                        Source("sb.to_flow", "sb.to_state")))
    # SQLite: a case changed since A: its last event before A through the (case, time) index; before B the same
    # event unless it is later than B, then a second look-up (as for a case changed between B and A)
    joins = (f"LEFT JOIN {EVENTS} ea ON ea.id = CASE WHEN c.state_changed_at < %(a)s THEN NULL "
             f"ELSE {LAST.format(column='id', cut='a', case='c.id')} END")
    event = Source("ea.to_flow", "ea.to_state")
    again = Source(text=LAST.format(column=STATE, cut="b", case="c.id"))
    return ("", joins, StateAt((("c.state_changed_at < %(a)s", CURRENT),), event),
            StateAt((("r.received_at >= %(b)s", None), ("c.state_changed_at < %(b)s", CURRENT),
                     ("ea.created_at < %(b)s", event)), again))


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value.isoformat() if isinstance(value, date) else value


def _in(name: str, values: Sequence[str], params: dict[str, Any]) -> str:
    if not values:
        return "1 = 0"
    for i, value in enumerate(values):
        params[f"{name}{i}"] = value
    return f"{{column}} IN ({', '.join(f'%({name}{i})s' for i in range(len(values)))})"


def _slot(column: str, name: str, bounds: Sequence[Any], params: dict[str, Any]) -> str:
    """The index of the first of ``bounds`` that ``column`` is before (NULL if none)."""
    for i, bound in enumerate(bounds):
        params[f"{name}{i}"] = bound
    return f"CASE {' '.join(f'WHEN {column} < %({name}{i})s THEN {i}' for i in range(len(bounds)))} END"


def _statement(now: Cut, earlier: Cut, series: Sequence[datetime], trend: Sequence[date],
               published: Published) -> tuple[str, dict[str, Any]]:
    postgresql = connection.vendor == "postgresql"
    days = SqlDays(connection.vendor)
    params: dict[str, Any] = {"a": now.end, "b": earlier.end, "last_a": now.last_day, "last_b": earlier.last_day,
                              "fix": FIX_REPORTED, "first": trend[0], **days.params()}
    bounds: list[Any] = list(series)
    days_from: list[Any] = list(trend)
    if not postgresql:  # SQLite compares the stored text
        params = {k: _sqlite(v) for k, v in params.items()}
        bounds, days_from = [_sqlite(v) for v in bounds], [_sqlite(v) for v in days_from]
    trail, joins, at_a, at_b = _state_sql(postgresql)
    state_a, state_b = at_a.value(), at_b.value()
    is_published = at_a.among(published.where("published"), "p", params)
    is_fixed = at_a.among(published.where("fixed"), "f", params)
    handling = published.where("in_handling", Flow.WEBSITE.value)
    handling_a = at_a.among(handling, "h", params) + " AND c.notified_at IS NOT NULL"
    first_type = (f"(SELECT v.website_type FROM {VULNERABILITIES} v WHERE v.case_id = c.id AND v.website_type <> '' "  # nosec B608
                  f"ORDER BY v.created_at, v.id LIMIT 1)")
    if postgresql:  # the fix reports read once (no index on the tag), the first per case
        fixed_before = "CASE WHEN fx.first < %({cut})s THEN 1 ELSE 0 END"
    else:  # a look-up through the (case, time) index, only for the cases in handling
        fixed_before = ("CASE WHEN EXISTS (SELECT 1 FROM " + EVENTS + " f WHERE f.case_id = c.id AND "  # nosec B608
                        "f.tag = %(fix)s AND f.created_at < %({cut})s) THEN 1 ELSE 0 END")
    handling_b = at_b.among(handling, "h", params) + " AND c.notified_at IS NOT NULL"
    sql = (f"{trail}SELECT {_slot('r.received_at', 's', bounds, params)}, "  # nosec B608
           f"CASE WHEN c.id IS NULL THEN 0 ELSE 1 END, r.origin, {state_a}, "
           f"CASE WHEN r.received_at < %(b)s THEN 1 ELSE 0 END, {state_b}, c.product_type, c.cause, "
           f"COALESCE(NULLIF(c.vulnerability_type, ''), {first_type}, ''), c.threat, c.operator_type, "
           f"CASE WHEN c.received_on >= %(first)s THEN {_slot('c.received_on', 'q', days_from[1:], params)} END, "
           f"CASE WHEN {is_published} AND c.accepted_at IS NOT NULL AND COALESCE(c.published_at, c.closed_at) IS "
           f"NOT NULL THEN {days.between('c.accepted_at', 'COALESCE(c.published_at, c.closed_at)')} END, "
           f"CASE WHEN {is_fixed} AND c.notified_at IS NOT NULL AND c.closed_at IS NOT NULL THEN "
           f"{days.between('c.notified_at', 'c.closed_at')} END, "
           f"CASE WHEN {handling_a} THEN {days.until_day('c.notified_at', 'last_a')} END, "
           f"CASE WHEN {handling_a} THEN {fixed_before.format(cut='a')} END, "
           f"CASE WHEN {handling_b} THEN {days.until_day('c.notified_at', 'last_b')} END, "
           f"CASE WHEN {handling_b} THEN {fixed_before.format(cut='b')} END "
           f"FROM {REPORTS} r LEFT JOIN {CASES} c ON c.report_id = r.id {joins} WHERE r.received_at < %(a)s")
    return sql, params


# PostgreSQL, for the counting statement only: every join in it is large, so a nested loop (chosen when the tables
# have no statistics yet, e.g. right after an import) would compare every case with every state — minutes instead
# of milliseconds; compiling it (JIT) costs more than it saves; the trail's sort fits in memory.
PLANNER = {"enable_nestloop": "off", "jit": "off", "work_mem": "64MB"}


@contextmanager
def _planner_settings() -> Iterator[None]:
    """``PLANNER`` on PostgreSQL for the statement run inside, then the values before it (an error rolls the
    settings back with the savepoint)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in PLANNER))
        before = dict(zip(PLANNER, cursor.fetchone(), strict=True))
        cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in PLANNER),
                       [item for pair in PLANNER.items() for item in pair])
        yield
        cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in before),
                       [item for pair in before.items() for item in pair])


def _key(value: str) -> tuple[str, str]:
    flow, _space, state = value.partition(" ")
    return flow, state


def tally(now_end: datetime, earlier_end: datetime, series: Sequence[datetime], trend: Sequence[date],
          unreachable_since: date) -> Tally:
    """The counts at ``now_end`` (the quarter's end) and ``earlier_end`` (a year earlier); ``series``: the
    ascending cut-offs of S2, the last being ``now_end``; ``trend``: the first days of the quarters of S14–S16
    and of the quarter after them. Raises ``BrokenTrail`` (at the quarter's end first) like the per-case read."""
    now, earlier = Cut(now_end), Cut(earlier_end)
    published = Published()
    sql, params = _statement(now, earlier, series, trend, published)
    rows: Counter[tuple[Any, ...]] = Counter()  # one row per report; the same rows counted once
    with _planner_settings():
        for chunk in sql_chunks(sql, params):
            rows.update(chunk)
    result = Tally(series=[0] * len(series))
    heads: dict[str | None, Head | None] = {}

    def head_of(state: str | None) -> Head | None:
        if state not in heads:
            heads[state] = published(_key(state or ""))
        return heads[state]

    broken = [0, 0]
    website = Flow.WEBSITE.value
    series_counts, now_counts, earlier_counts = result.series, result.now, result.earlier
    attributes, recent_counts = result.attributes, result.recent
    publication_days, fix_days = result.publication_days, result.fix_days
    handling_now, handling_earlier = result.handling_now, result.handling_earlier
    for row, n in rows.items():
        (slot, has_case, origin, sa, before_b, sb, product_type, cause, vulnerability_type, threat, operator_type,
         recent, publication, fix, elapsed, fixed, elapsed_earlier, fixed_earlier) = row
        series_counts[slot] += n
        if not has_case:
            continue
        head = heads[sa] if sa in heads else head_of(sa)
        if head is None:
            broken[0] += n
        else:
            now_counts[head, origin] += n
            category = head[2]
            if category != "not_accepted":
                attributes[head[0], product_type, cause, vulnerability_type, threat, operator_type] += n
                if recent is not None and head[0] == website:
                    recent_counts[recent, vulnerability_type, threat, operator_type] += n
            if category == "published":
                publication_days[publication] += n
            elif category == "fixed":
                fix_days[vulnerability_type, fix] += n
            if elapsed is not None:
                handling_now[vulnerability_type, elapsed, bool(fixed)] += n
        if before_b:
            head = heads[sb] if sb in heads else head_of(sb)
            if head is None:
                broken[1] += n
            else:
                earlier_counts[head] += n
            if elapsed_earlier is not None:
                handling_earlier[vulnerability_type, elapsed_earlier, bool(fixed_earlier)] += n
    for count, cut in zip(broken, (now, earlier), strict=True):
        if count:
            raise BrokenTrail(f"{count} case(s) without a state-setting event before {cut.end.isoformat()}")
    for i in range(1, len(series)):
        result.series[i] += result.series[i - 1]
    _unreachable(result, now, unreachable_since, published)
    return result


def _unreachable(result: Tally, now: Cut, since: date, published: Published) -> None:
    """S12's trail: listing, resumption and completion events from ``since`` to the cut-off, with the state of
    each of those cases at the cut-off (None for a case received after it)."""
    postgresql = connection.vendor == "postgresql"
    # a few hundred events through the tag index; each one's case, receipt and state by indexed look-ups (no
    # join: nothing for a planner without table statistics to get wrong)
    state_a = LAST.format(column=STATE, cut="a", case="u.case_id")
    received = (f"(SELECT r.received_at FROM {REPORTS} r WHERE r.id = "  # nosec B608
                f"(SELECT c.report_id FROM {CASES} c WHERE c.id = u.case_id))")
    start = timezone.make_aware(datetime.combine(since, time()))
    params: dict[str, Any] = {"a": now.end, "start": start}
    if not postgresql:
        params = {k: _sqlite(v) for k, v in params.items()}
    tags = _in("t", UNREACHABLE_TAGS, params).format(column="u.tag")
    sql = (f"SELECT u.case_id, u.created_at, u.tag, CASE WHEN {received} < %(a)s THEN {state_a} END "  # nosec B608
           f"FROM {EVENTS} u WHERE {tags} AND u.created_at >= %(start)s AND u.created_at < %(a)s")
    trail: dict[Any, list[tuple[datetime, str]]] = defaultdict(list)
    found = list(sql_rows(sql, params))
    for case_id, created_at, tag, state in found:
        trail[case_id].append((aware(created_at), tag))
        if state is not None:
            head = published(_key(state))
            if head is not None:
                result.trail_heads[case_id] = head
    result.trail = dict(trail)
