"""Every case as it stood at a cut-off: the one read that all quarterly statistics share.

A case counts in the flow and state it had at the cut-off, read from its audit trail (the last event before the
cut-off that set a state), so a quarter's figures do not move when cases move on later, and a reclassified
report counts in the flow it was in at the time. The state maps to the one published category its flow declares
(``earlywarn.cases.flows``) and to its published sub-status where it has one.

Dates (accepted, notified, published, closed) and the breakdown attributes (product type, cause, vulnerability
type, threat, operator type) are the case's own columns; each statistic compares the dates with the cut-off
itself. The attributes carry no history: a category corrected later counts as corrected in every quarter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, Subquery

from earlywarn.cases.flows import Flow, definition
from earlywarn.cases.models import Case, CaseEvent, Vulnerability

FETCH_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class CaseAt:
    """One case at the cut-off."""

    id: Any
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


COLUMNS = ("accepted_at", "notified_at", "published_at", "closed_at", "product_type", "cause", "threat",
           "operator_type", "received_on")


def _rows(until: datetime) -> Iterator[dict[str, Any]]:
    last = CaseEvent.objects.filter(case=OuterRef("pk"), created_at__lt=until).exclude(to_state="").order_by(
        "-created_at", "-id")
    first_type = Vulnerability.objects.filter(case=OuterRef("pk")).exclude(website_type="").order_by(
        "created_at", "id")
    query = (Case.objects.filter(report__received_at__lt=until).order_by()
             .annotate(flow_then=Subquery(last.values("to_flow")[:1]),
                       state_then=Subquery(last.values("to_state")[:1]),
                       first_website_type=Subquery(first_type.values("website_type")[:1]))
             .values("id", "flow_then", "state_then", "report__origin", "vulnerability_type", "first_website_type",
                     *COLUMNS))
    yield from query.iterator(chunk_size=FETCH_CHUNK)


def cases_at(until: datetime) -> list[CaseAt]:
    """Every case whose report was received before ``until``, as it stood then.

    Raises ValueError if a case has no state-setting event before ``until`` (a broken trail is never dropped
    silently).
    """
    mapping: dict[tuple[str, str], tuple[str, str, bool]] = {}
    result: list[CaseAt] = []
    broken = 0
    flows = {f.value for f in Flow}
    for row in _rows(until):
        key = (row["flow_then"] or "", row["state_then"] or "")
        if key not in mapping:
            if key[0] not in flows:
                broken += 1
                continue
            declared = definition(key[0]).state(key[1])
            mapping[key] = (declared.published_category(Flow(key[0])).code,
                            declared.sub_status.code if declared.sub_status else "", declared.terminal)
        category, sub_status, terminal = mapping[key]
        result.append(CaseAt(
            id=row["id"], flow=key[0], state=key[1], category=category, sub_status=sub_status, terminal=terminal,
            origin=row["report__origin"],
            vulnerability_type=row["vulnerability_type"] or row["first_website_type"] or "",
            **{name: row[name] for name in COLUMNS}))
    if broken:
        raise ValueError(f"{broken} case(s) without a state-setting event before {until.isoformat()}")
    return result

