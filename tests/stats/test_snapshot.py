"""The one-pass per-case read (``tests/stats/reference.py``) against the correlated-subquery read it replaced.

The reference below is the former implementation (one correlated subquery per case and cut-off, read through the
ORM): the fast path must give exactly the same cases, states and values at every cut-off, on both databases.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import OuterRef, Subquery

from earlywarn.cases.flows import Flow, definition
from earlywarn.cases.models import Case, CaseEvent, Vulnerability
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge, case_reclassify, case_transition
from earlywarn.stats.calendar import quarter_bounds
from earlywarn.stats.quarterly import Quarter, ReconciliationError, quarterly_report
from earlywarn.stats.rows import BrokenTrail, InconsistentData
from tests import factories
from tests.stats.imported import load, product, website
from tests.stats.reference import cases_at, snapshots

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
CUT_OFFS = [quarter_bounds(2025, n)[1] for n in (4, 1, 2, 3)] + [datetime(2100, 1, 1, tzinfo=JST)]


def _reference(until: datetime) -> list[tuple[Any, ...]]:
    last = CaseEvent.objects.filter(case=OuterRef("pk"), created_at__lt=until).exclude(to_state="").order_by(
        "-created_at", "-id")
    first_type = Vulnerability.objects.filter(case=OuterRef("pk")).exclude(website_type="").order_by(
        "created_at", "id")
    rows = (Case.objects.filter(report__received_at__lt=until)
            .annotate(flow_then=Subquery(last.values("to_flow")[:1]), state_then=Subquery(last.values("to_state")[:1]),
                      first_website_type=Subquery(first_type.values("website_type")[:1])))
    result = []
    for case in rows:
        declared = definition(case.flow_then).state(case.state_then)
        result.append((str(case.id), case.flow_then, case.state_then,
                       declared.published_category(Flow(case.flow_then)).code,
                       declared.sub_status.code if declared.sub_status else "", declared.terminal,
                       case.report.origin, case.received_on, case.accepted_at, case.notified_at, case.published_at,
                       case.closed_at, case.product_type, case.cause,
                       case.vulnerability_type or case.first_website_type or "", case.threat, case.operator_type))
    return sorted(result)


def _fast(cases: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((str(uuid.UUID(str(c.id))), *c[1:]) for c in cases)


@pytest.fixture
def history(administrator):
    """Live cases moving across several quarters (one reclassified) and imported history with categories."""
    actor = Actor.for_user(administrator)

    def act(case: Case, action: str) -> Case:
        case.refresh_from_db()
        if action in {"accept", "reject"}:
            return case_judge(actor=actor, case=case, accept=action == "accept", reason_code="spam")
        if action == "reclassify":
            return case_reclassify(actor=actor, case=case, reason="ok")
        return case_transition(actor=actor, case=case, action=action, reason="ok")

    with time_machine.travel(datetime(2025, 1, 10, 12, tzinfo=JST), tick=False):
        moving = factories.submit("product").case
        rejected = factories.submit("website").case
        reclassified = factories.submit("product").case
    with time_machine.travel(datetime(2025, 3, 31, 23, 59, tzinfo=JST), tick=False):  # the last minute of 1Q
        act(moving, "accept")
        act(rejected, "reject")
        act(reclassified, "reclassify")
    with time_machine.travel(datetime(2025, 7, 1, 0, 0, tzinfo=JST), tick=False):  # the first instant of 3Q
        act(moving, "start_coordination")
        factories.submit("website")


def test_every_cut_off_read_in_one_pass_equals_the_per_case_reference(history, tmp_path):
    load(tmp_path, product("published", received_on="2024-05-01", accepted_on="2024-05-02",
                           published_on="2025-02-01", product_type="ルータ"),
         website("fixed", received_on="2024-11-01", accepted_on="2024-11-01", notified_on="2024-11-05",
                 closed_on="2025-05-20",
                 vulnerability_type="クロスサイト・スクリプティング", operator_type="個人"),
         website("in_handling", received_on="2025-08-01", accepted_on="2025-08-01", notified_on="2025-08-02",
                 threat="なりすまし"))
    results = snapshots(CUT_OFFS)
    assert len(results) == len(CUT_OFFS)
    for cut, cases in zip(CUT_OFFS, results, strict=True):
        assert _fast(cases) == _reference(cut), cut
        assert _fast(cases_at(cut)) == _reference(cut)
    # 2 imported before 2025 + 3 live from 1Q; at the first instant of 3Q a live report and in 3Q an imported one
    assert [len(cases) for cases in results] == [7, 5, 5, 7, 7]


def test_a_broken_trail_names_the_first_cut_off_asked_for(history):
    case = Case.objects.order_by("created_at").first()
    CaseEvent.objects.filter(case=case).update(to_state="")
    with pytest.raises(BrokenTrail, match=r"1 case\(s\) without a state-setting event before 2026-01-01"):
        snapshots(CUT_OFFS)
    with pytest.raises(ValueError, match="state-setting event"):  # still a ValueError for callers that catch that
        cases_at(CUT_OFFS[1])


def test_a_failed_reconciliation_is_an_inconsistent_data_error(history, monkeypatch):
    from earlywarn.stats import quarterly

    monkeypatch.setattr(quarterly, "partition_from", lambda counts: {
        flow: type("P", (), {"total": 0, "categories": {}, "sub_statuses": {}})() for flow in Flow})
    with pytest.raises(ReconciliationError, match="reports received") as raised:
        quarterly_report(Quarter(2025, 4))
    assert isinstance(raised.value, InconsistentData)
    assert isinstance(raised.value, AssertionError)
