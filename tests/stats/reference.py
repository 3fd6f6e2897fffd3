"""The per-case read: every case as it stood at a cut-off, as a ``CaseAt`` — the reference the tests count against.

A case counts in the flow and state it had at the cut-off, read from its audit trail (the last event before the
cut-off that set a state), mapped to its published category and sub-status (``earlywarn.cases.flows``, through
``stats.tally.Published`` as the report does). Dates and attributes are the case's own columns. Every cut-off
asked is read in one pass — the cases once, their state-setting events once, each row tagged in SQL with the
first cut-off it falls before (its *slot*). The report itself counts the same states in SQL (``stats.tally``);
``test_tally.py`` compares every count with this read, and ``test_snapshot.py`` checks this read against the
original correlated-subquery read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When

from earlywarn.cases.flows import Flow
from earlywarn.cases.models import Case, CaseEvent, Vulnerability
from earlywarn.stats.partition import FlowPartition, partition_from
from earlywarn.stats.rows import BrokenTrail, aware, raw_rows
from earlywarn.stats.tally import Published


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
    published = Published()
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


def partition_of(cases: Iterable[CaseAt]) -> dict[Flow, FlowPartition]:
    """Both flows' partitions of ``cases`` (a snapshot at one cut-off)."""
    return partition_from(Counter((case.flow, case.category, case.sub_status) for case in cases))


def status_partition(until: datetime) -> dict[Flow, FlowPartition]:
    """Both flows' partitions just before ``until``. Raises if a case has no state-setting event (a broken trail)."""
    return partition_of(cases_at(until))
