"""The status partition of both flows as it stood at a cut-off (partnership.md §3.4, §3.5, §3.7; S1, S3, S4).

Each case counts in the published category of the state it had at the cut-off (``stats.tally``), and in its
published sub-status where it has one: 公表済み ⊇ 調整不能, 取扱い中 ⊇ 連絡不能開発者, 修正完了 ⊇ 当該ページを削除 ∪
運用で回避.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from earlywarn.cases.flows import PRODUCT_CATEGORIES, WEBSITE_CATEGORIES, Flow


@dataclass(frozen=True)
class FlowPartition:
    """One flow's published status breakdown: every category (zeros included) and its sub-statuses."""

    flow: Flow
    total: int
    categories: dict[str, int]
    sub_statuses: dict[str, int]

    @property
    def accepted(self) -> int:
        """The base of the breakdowns that exclude 不受理 (§3.7, §5.3: total − 不受理)."""
        return self.total - self.categories["not_accepted"]


def partition_from(counts: Mapping[tuple[str, str, str], int]) -> dict[Flow, FlowPartition]:
    """Both flows' partitions from case counts by (flow, published category, published sub-status or "")."""
    by_category: dict[Flow, Counter[str]] = {Flow.PRODUCT: Counter(), Flow.WEBSITE: Counter()}
    by_sub: dict[Flow, Counter[str]] = {Flow.PRODUCT: Counter(), Flow.WEBSITE: Counter()}
    flows = {f.value: f for f in Flow}
    for (flow_code, category, sub_status), n in counts.items():
        flow = flows[flow_code]
        by_category[flow][category] += n
        if sub_status:
            by_sub[flow][sub_status] += n
    result = {}
    for flow, declared in ((Flow.PRODUCT, PRODUCT_CATEGORIES), (Flow.WEBSITE, WEBSITE_CATEGORIES)):
        categories = {c.code: by_category[flow][c.code] for c in declared}
        result[flow] = FlowPartition(flow=flow, total=sum(categories.values()), categories=categories,
                                     sub_statuses=dict(by_sub[flow]))
    return result

