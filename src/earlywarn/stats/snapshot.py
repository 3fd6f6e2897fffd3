"""Every case as it stood at a cut-off: the one read that all quarterly statistics share.

A case counts in the flow and state it had at the cut-off, read from its audit trail (the last event before the
cut-off that set a state), so a quarter's figures do not move when cases move on later, and a reclassified
report counts in the flow it was in at the time. The state maps to the one published category its flow declares
(``earlywarn.cases.flows``) and to its published sub-status where it has one.

Dates (accepted, notified, published, closed) and the breakdown attributes (product type, cause, vulnerability
type, threat, operator type) are the case's own columns; each statistic compares the dates with the cut-off
itself. The attributes carry no history: a category corrected later counts as corrected in every quarter.

This is the per-case read: ``partition.status_partition`` and the tests' reference use it. The quarterly report
itself counts the same states in SQL (``stats.tally``, checked against this read by ``tests/stats/test_tally.py``).
Every cut-off asked is read in one pass — the cases once, their state-setting events once (ordered by case and
time), each row tagged in SQL with the first cut-off it falls before (its *slot*). Rows are read as plain tuples
(``raw_rows``): ids stay as the database returns them, the same in every query of one run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, overload

from django.db import connections
from django.db.models import Case as When_
from django.db.models import IntegerField, QuerySet, Value, When

from earlywarn.cases.flows import Flow, definition
from earlywarn.cases.models import Case, CaseEvent, Vulnerability

FETCH_CHUNK = 5000


class InconsistentData(Exception):
    """The stored data cannot give a consistent report (a broken audit trail, a failed §5.3 reconciliation).

    Pages and the command line show the reason instead of failing (``stats.views``, ``earlywarn stats``)."""


class BrokenTrail(InconsistentData, ValueError):
    """A case has no state-setting event before a cut-off."""


class CaseAt(NamedTuple):
    """One case at the cut-off."""

    id: Any  # as the database returns it (compare only with ids read by ``raw_rows``)
    flow: str  # at the cut-off
    state: str  # at the cut-off
    category: str  # the published category of ``state`` (§3.4, §3.5)
    sub_status: str  # the published sub-status of ``state``, "" when it has none
    terminal: bool
    origin: str  # the report's origin: finder or developer_self
    received_on: date  # the original receipt date (platform time zone)
    accepted_at: datetime | None
    notified_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None
    product_type: str
    cause: str
    vulnerability_type: str  # the case's, else its first vulnerability's website type
    threat: str
    operator_type: str

    @property
    def not_accepted(self) -> bool:
        return self.category == "not_accepted"


def raw_rows(query: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as the database driver returns them, without Django's per-value
    converters (the costliest part of a large read). Datetimes go through ``aware``."""
    sql, params = query.query.sql_with_params()
    yield from sql_rows(sql, params, query.db)


def sql_rows(sql: str, params: Any, using: str = "default") -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` as ``raw_rows`` returns them (plain driver values)."""
    for rows in sql_chunks(sql, params, using):
        yield from rows


def sql_chunks(sql: str, params: Any, using: str = "default") -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` (plain driver values) in lists of up to ``FETCH_CHUNK``, for counting in C."""
    with connections[using].cursor() as cursor:
        if connections[using].vendor == "postgresql":
            _plain_loaders(cursor.cursor)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            yield rows


def _plain_loaders(cursor: Any) -> None:
    """On this cursor only: psycopg's own (C) timestamptz loader instead of Django's per-value Python one (the
    same instant, aware, in the session's UTC), and uuids as text (no ``uuid.UUID`` per row)."""
    from psycopg.types.datetime import TimestamptzLoader
    from psycopg.types.string import TextLoader

    cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    cursor.adapters.register_loader("uuid", TextLoader)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A stored datetime as Django reads it: SQLite gives naive UTC, PostgreSQL an aware value."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def slot_of(field: str, cut_offs: Sequence[datetime]) -> When_:
    """The index of the first of ``cut_offs`` (ascending) that ``field`` is before; rows are filtered to the last."""
    return When_(*(When(**{f"{field}__lt": cut}, then=Value(i)) for i, cut in enumerate(cut_offs[:-1])),
                 default=Value(len(cut_offs) - 1), output_field=IntegerField())


def _states(cut_offs: list[datetime]) -> dict[Any, list[tuple[str, str] | None]]:
    """Each case's (flow, state) just before every cut-off, from its state-setting events read once."""
    events = (CaseEvent.objects.filter(created_at__lt=cut_offs[-1]).exclude(to_state="")
              .order_by("case_id", "created_at", "id").annotate(slot=slot_of("created_at", cut_offs))
              .values_list("case_id", "slot", "to_flow", "to_state"))
    found: dict[Any, list[tuple[str, str] | None]] = {}
    keys: dict[tuple[str, str], tuple[str, str]] = {}
    count = len(cut_offs)
    for case_id, slot, flow, state in raw_rows(events):
        key = keys.setdefault((flow, state), (flow, state))
        states = found.get(case_id)
        if states is None:
            states = found[case_id] = [None] * count
        for i in range(slot, count):  # events are in time order: a later one overrides from its slot on
            states[i] = key
    return found


def _first_website_types(until: datetime) -> dict[Any, str]:
    query = (Vulnerability.objects.exclude(website_type="").filter(case__report__received_at__lt=until)
             .order_by("case_id", "created_at", "id").values_list("case_id", "website_type"))
    first: dict[Any, str] = {}
    for case_id, website_type in raw_rows(query):
        first.setdefault(case_id, website_type)
    return first


class _Published:
    """(flow, state) → (flow, state, category, sub-status, terminal), the head of a ``CaseAt``; None for a flow
    that does not exist (a broken trail)."""

    def __init__(self) -> None:
        self.flows = {f.value for f in Flow}
        self.known: dict[tuple[str, str], tuple[str, str, str, str, bool] | None] = {}

    def __call__(self, key: tuple[str, str]) -> tuple[str, str, str, str, bool] | None:
        if key not in self.known:
            if key[0] not in self.flows:
                self.known[key] = None
            else:
                declared = definition(key[0]).state(key[1])
                self.known[key] = (*key, declared.published_category(Flow(key[0])).code,
                                   declared.sub_status.code if declared.sub_status else "", declared.terminal)
        return self.known[key]


def snapshots(cut_offs: Sequence[datetime]) -> list[list[CaseAt]]:
    """Every case whose report was received before each of ``cut_offs``, as it stood then (one list per cut-off,
    in the order given; each list in an unspecified but stable order).

    Raises ValueError if a case has no state-setting event before a cut-off (a broken trail is never dropped
    silently); the first such cut-off in the order given is named.
    """
    ordered = sorted(set(cut_offs))
    states, types = _states(ordered), _first_website_types(ordered[-1])
    rows = (Case.objects.filter(report__received_at__lt=ordered[-1]).order_by()
            .annotate(slot=slot_of("report__received_at", ordered))
            .values_list("id", "slot", "report__origin", "received_on", "accepted_at", "notified_at",
                         "published_at", "closed_at", "product_type", "cause", "vulnerability_type", "threat",
                         "operator_type"))
    published = _Published()
    result: list[list[CaseAt]] = [[] for _ in ordered]
    broken = [0] * len(ordered)
    none: list[tuple[str, str] | None] = [None] * len(ordered)
    new = tuple.__new__
    for (case_id, slot, origin, received_on, accepted, notified, published_at, closed, product_type, cause,
         vulnerability_type, threat, operator_type) in raw_rows(rows):
        case_states = states.get(case_id, none)
        tail = (origin, _date(received_on), aware(accepted), aware(notified), aware(published_at), aware(closed),
                product_type, cause, vulnerability_type or types.get(case_id) or "", threat, operator_type)
        for i in range(slot, len(ordered)):
            head = published(case_states[i] or ("", ""))
            if head is None:
                broken[i] += 1
                continue
            result[i].append(new(CaseAt, (case_id, *head, *tail)))  # CaseAt without its Python-level __new__
    for cut in cut_offs:
        if broken[ordered.index(cut)]:
            raise BrokenTrail(f"{broken[ordered.index(cut)]} case(s) without a state-setting event before "
                             f"{cut.isoformat()}")
    return [result[ordered.index(cut)] for cut in cut_offs]


def _date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def cases_at(until: datetime) -> list[CaseAt]:
    """Every case whose report was received before ``until``, as it stood then (``snapshots`` of one cut-off)."""
    return snapshots([until])[0]
