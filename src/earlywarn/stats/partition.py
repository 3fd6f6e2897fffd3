"""The status partition of both flows as it stood at a cut-off (partnership.md §3.4, §3.5, §3.7; S1, S3, S4).

A case counts in the flow and state it had at the cut-off, read from its audit trail (the last event before the
cut-off that set a state), so a quarter's figures do not move when cases move on later, and a reclassified
report counts in the flow it was in at the time. Each state counts in the one published category its flow
declares (``earlywarn.cases.flows``), and in its published sub-status where it has one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery

from earlywarn.cases.flows import PRODUCT_CATEGORIES, WEBSITE_CATEGORIES, Flow, definition
from earlywarn.cases.models import Case, CaseEvent


@dataclass(frozen=True)
class FlowPartition:
    """One flow's published status breakdown: every category (zeros included) and its sub-statuses."""

    flow: Flow
    total: int
    categories: dict[str, int]
    sub_statuses: dict[str, int]

    @property
    def accepted(self) -> int:
        """The base of the breakdowns that exclude 不受理 (§3.7)."""
        return self.total - self.categories["not_accepted"]


def states_at(until: datetime) -> Counter[tuple[str, str]]:
    """How many cases were in each (flow, state) just before ``until`` (reports received before it)."""
    last = CaseEvent.objects.filter(case=OuterRef("pk"), created_at__lt=until).exclude(to_state="").order_by(
        "-created_at", "-id")
    rows = (Case.objects.filter(report__received_at__lt=until)
            .annotate(flow_then=Subquery(last.values("to_flow")[:1]), state_then=Subquery(last.values("to_state")[:1]))
            .values_list("flow_then", "state_then"))
    return Counter((flow or "", state or "") for flow, state in rows)


def status_partition(until: datetime) -> dict[Flow, FlowPartition]:
    """Both flows' partitions just before ``until``. Raises if a case has no state-setting event (a broken trail)."""
    counts = states_at(until)
    result = {}
    for flow, categories in ((Flow.PRODUCT, PRODUCT_CATEGORIES), (Flow.WEBSITE, WEBSITE_CATEGORIES)):
        by_category = dict.fromkeys((c.code for c in categories), 0)
        sub_statuses: Counter[str] = Counter()
        for (case_flow, state_code), n in counts.items():
            if case_flow != flow.value:
                continue
            state = definition(flow).state(state_code)
            by_category[state.published_category(flow).code] += n
            if state.sub_status is not None:
                sub_statuses[state.sub_status.code] += n
        result[flow] = FlowPartition(flow=flow, total=sum(by_category.values()), categories=by_category,
                                     sub_statuses=dict(sub_statuses))
    unknown = {key: n for key, n in counts.items() if key[0] not in {f.value for f in Flow}}
    if unknown:
        raise ValueError(f"cases without a state-setting event before {until.isoformat()}: {unknown}")
    return result
