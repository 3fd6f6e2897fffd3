"""The status partition at a cut-off, read from the audit trail (S1, S3, S4; partnership.md §3.7)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from earlywarn.cases.flows import Flow
from earlywarn.cases.models import CaseEvent
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge, case_reclassify, case_transition
from earlywarn.stats.calendar import quarter_bounds
from tests import factories
from tests.stats.reference import status_partition

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")


def at(*args: int) -> time_machine.travel:
    return time_machine.travel(datetime(*args, 12, 0, tzinfo=JST), tick=False)


@pytest.fixture
def admin_actor(administrator) -> Actor:
    return Actor.for_user(administrator)


def _act(actor, receipt, *actions: str, reason: str = "ok"):
    case = receipt.case
    for action in actions:
        case.refresh_from_db()
        if action in {"accept", "reject"}:
            case = case_judge(actor=actor, case=case, accept=action == "accept", reason_code="spam")
        elif action == "reclassify":
            case = case_reclassify(actor=actor, case=case, reason=reason)
        else:
            case = case_transition(actor=actor, case=case, action=action, reason=reason)
    return case


def test_a_quarter_counts_each_case_as_it_stood_at_the_quarter_end(admin_actor):
    with at(2025, 1, 10):
        published = factories.submit("product")
        rejected = factories.submit("product")
        factories.submit("website")  # still waiting for its judgment
    with at(2025, 2, 3):
        _act(admin_actor, published, "accept", "start_coordination")
        _act(admin_actor, rejected, "reject")
    with at(2025, 3, 31):
        _act(admin_actor, published, "list_unreachable")
    with at(2025, 4, 2):  # after 1Q ends: counts from 2Q on
        _act(admin_actor, published, "refer_to_committee", "committee_publish")
        factories.submit("website")

    q1 = status_partition(quarter_bounds(2025, 1)[1])
    product, website = q1[Flow.PRODUCT], q1[Flow.WEBSITE]
    assert product.total == 2
    assert product.categories == {"published": 0, "individual_handling": 0, "not_vulnerability": 0,
                                  "in_handling": 1, "not_accepted": 1}
    assert product.sub_statuses == {"unreachable_listed": 1}
    assert product.accepted == 1
    assert website.total == 1
    assert website.categories["in_handling"] == 1

    q2 = status_partition(quarter_bounds(2025, 2)[1])
    assert q2[Flow.PRODUCT].categories["published"] == 1
    assert q2[Flow.PRODUCT].sub_statuses == {"coordination_impossible": 1}
    assert q2[Flow.WEBSITE].total == 2


def test_a_reclassified_report_counts_in_the_flow_it_was_in_at_the_cut_off(admin_actor):
    with at(2025, 3, 1):
        receipt = factories.submit("website")
        _act(admin_actor, receipt, "accept")
    with at(2025, 4, 15):
        _act(admin_actor, receipt, "reclassify")
    before = status_partition(quarter_bounds(2025, 1)[1])
    after = status_partition(quarter_bounds(2025, 2)[1])
    assert (before[Flow.WEBSITE].total, before[Flow.PRODUCT].total) == (1, 0)
    assert (after[Flow.WEBSITE].total, after[Flow.PRODUCT].total) == (0, 1)


def test_partitions_always_sum_to_the_reports_received(admin_actor):
    closures = [("accept", "notify_operator", "close_fixed"), ("accept", "notify_operator", "close_page_deleted"),
                ("accept", "notify_operator", "close_workaround"), ("accept", "close_alert"),
                ("accept", "close_not_vulnerability"), ("accept", "notify_operator", "close_unable_no_response"),
                ("reject",), ()]
    with at(2025, 5, 1):
        for actions in closures:
            _act(admin_actor, factories.submit("website"), *actions)
    website = status_partition(quarter_bounds(2025, 2)[1])[Flow.WEBSITE]
    assert website.total == len(closures) == sum(website.categories.values())
    assert website.categories == {"fixed": 3, "alert_closed": 1, "not_vulnerability": 1, "in_handling": 1,
                                  "unable": 1, "not_accepted": 1}
    assert website.sub_statuses == {"page_deleted": 1, "workaround": 1}  # 修正完了 ⊇ both (§3.7)
    assert website.accepted == len(closures) - 1


def test_a_case_without_a_state_event_is_an_error_not_a_silent_miss():
    with at(2025, 5, 1):
        receipt = factories.submit("product")
    CaseEvent.objects.filter(case=receipt.case).update(to_state="")
    with pytest.raises(ValueError, match="state-setting event"):
        status_partition(quarter_bounds(2025, 2)[1])


def test_quarter_bounds_are_in_the_platform_time_zone():
    start, end = quarter_bounds(2025, 4)
    assert start == datetime(2025, 10, 1, tzinfo=JST)
    assert end == datetime(2026, 1, 1, tzinfo=JST)
    with pytest.raises(ValueError, match="quarter must be"):
        quarter_bounds(2025, 5)
