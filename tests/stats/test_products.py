"""Product statistics at a cut-off: JVN (S6), days to publication (S7), priority provision (S11), unreachable (S12)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge, case_transition
from tests import factories
from tests.stats.imported import load, product, report

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
ACCEPTED = date(2025, 1, 6)


def _after(days: int) -> str:
    return (ACCEPTED + timedelta(days=days)).isoformat()


def test_days_to_publication_counts_from_acceptance_with_exact_boundaries(tmp_path):
    load(tmp_path, *(product("published", published_on=_after(days)) for days in (0, 45, 46, 300, 301)))
    data = report()["days_to_publication"]
    assert (data["base"], data["unmeasured"]) == (5, 0)
    assert data["within_45_days_pct"] == 40.0  # 0 and 45 days
    assert data["over_300_days_pct"] == 20.0  # 301 days; 300 is not over
    assert [(b["label"], b["count"]) for b in data["bins"]] == [
        ("0–45", 2), ("46–100", 1), ("101–200", 0), ("201–300", 1), ("301+", 1)]
    assert [b["pct"] for b in data["bins"]] == [40.0, 20.0, 0.0, 20.0, 20.0]


def test_publications_count_as_of_the_cut_off_committee_ones_included(tmp_path):
    load(tmp_path,
         product("published", published_on=_after(10)),
         product("published", published_on=_after(100), coordination_impossible=True,
                 unreachable={"listed_on": _after(20)}),  # 調整不能 ⊆ 公表済み (§3.7)
         product("published", received_on="2025-12-01", accepted_on="2025-12-01", published_on="2026-01-05"))
    q4 = report("2025Q4")
    assert q4["days_to_publication"]["base"] == 2  # the third was still in handling at the cut-off
    assert q4["jvn"]["domestic_published"] == 2 == q4["product_status"]["published"]
    assert q4["product_status"]["coordination_impossible"] == 1
    q1 = report("2026Q1")
    assert q1["days_to_publication"]["base"] == 3
    assert q1["days_to_publication"]["bins"][0]["count"] == 2  # 10 and 35 days


def test_jvn_domestic_publications_include_developer_self_reports(tmp_path):
    load(tmp_path, product("published", published_on=_after(3)),
         product("published", published_on=_after(3), origin="developer_self"), product("in_handling"))
    assert report()["jvn"] == {"domestic_published": 2, "developer_self": 1, "overseas": 0,
                               "overseas_in_quarter": 0, "total": 0}


def test_jvn_total_and_overseas_count_advisories_by_first_publication():
    """S5: every advisory first published by the quarter's end; S8: those with an overseas CSIRT, cumulative and
    in the quarter. A revision does not count again; an advisory published after the cut-off does not count."""
    from earlywarn.advisories.models import Advisory, AdvisoryOrigin
    from tests.advisories.conftest import make_draft, publish, with_mfa

    author, approver = with_mfa(factories.coordinator()), with_mfa(factories.coordinator())
    plan = [(datetime(2025, 8, 1, 10, tzinfo=JST), AdvisoryOrigin.DOMESTIC),
            (datetime(2025, 9, 30, 23, 59, tzinfo=JST), AdvisoryOrigin.OVERSEAS_CSIRT),
            (datetime(2025, 10, 1, 0, 0, tzinfo=JST), AdvisoryOrigin.OVERSEAS_CSIRT),
            (datetime(2026, 1, 1, 0, 0, tzinfo=JST), AdvisoryOrigin.OVERSEAS_CSIRT)]
    first = None
    for when, origin in plan:
        with time_machine.travel(when, tick=False):
            advisory = make_draft(author)
            Advisory.objects.filter(pk=advisory.pk).update(origin=origin)
            publish(Advisory.objects.get(pk=advisory.pk), author, approver)
            first = first or advisory
    with time_machine.travel(datetime(2025, 11, 1, 10, tzinfo=JST), tick=False):  # a revision in 2025Q4
        from earlywarn.advisories import services

        revised = services.advisory_update(actor=Actor.for_user(author), advisory=Advisory.objects.get(pk=first.pk),
                                           fields={"title_ja": "改訂", "revision_summary_ja": "改訂"})
        publish(revised, author, approver)
    q4 = report("2025Q4")["jvn"]
    assert (q4["total"], q4["overseas"], q4["overseas_in_quarter"]) == (3, 2, 1)
    q3 = report("2025Q3")["jvn"]
    assert (q3["total"], q3["overseas"], q3["overseas_in_quarter"]) == (2, 1, 1)


def test_a_live_publication_is_dated_by_its_closure(administrator):
    actor = Actor.for_user(administrator)
    with time_machine.travel(datetime(2025, 10, 1, 10, 0, tzinfo=JST), tick=False):
        case = factories.submit("product").case
        case = case_judge(actor=actor, case=case, accept=True)
        case = case_transition(actor=actor, case=case, action="start_coordination")
    with time_machine.travel(datetime(2025, 11, 15, 23, 30, tzinfo=JST), tick=False):  # 45 days, late evening
        case_transition(actor=actor, case=case, action="publish")
    data = report()["days_to_publication"]
    assert (data["base"], data["within_45_days_pct"]) == (1, 100.0)


def test_priority_provision_by_sector_for_the_quarter_and_since_april_2018(tmp_path):
    def provided(sector: str, day: str) -> dict[str, str]:
        return {"sector": sector, "provided_on": day}

    load(tmp_path,
         product("published", received_on="2018-03-01", accepted_on="2018-03-01", published_on="2018-04-10",
                 priority_provisions=[provided("電力分野", "2018-03-31"), provided("政府機関", "2018-04-01")]),
         product("published", received_on="2025-09-01", accepted_on="2025-09-01", published_on="2025-10-03",
                 priority_provisions=[provided("電力分野", "2025-09-30"), provided("電力分野", "2025-10-01")]),
         product("in_handling", received_on="2025-12-01", accepted_on="2025-12-01",
                 priority_provisions=[provided("政府機関", "2025-12-31"), provided("電力分野", "2026-01-02")]))
    assert report()["priority_provision"] == {
        "since": "2018-04-01", "period": {"電力分野": 1, "政府機関": 1}, "cumulative": {"電力分野": 2, "政府機関": 2}}


def test_unreachable_developers_from_the_trail_as_of_the_cut_off(tmp_path):
    listed = {"listed_on": "2025-03-01"}
    resumed = {**listed, "resumed_on": "2025-04-01"}
    load(tmp_path,
         product(received_on="2010-01-05", accepted_on="2010-01-06", unreachable={"listed_on": "2011-09-28"}),
         product(unreachable=listed),  # still listed
         product("published", published_on="2025-06-01", unreachable={**resumed, "completed_on": "2025-05-01"}),
         product(unreachable=resumed),  # resumed, coordination still going on
         product("not_vulnerability", closed_on="2025-05-01", unreachable=resumed),  # resumed, then closed
         product("published", published_on="2025-05-01", coordination_impossible=True, unreachable=listed),
         product(unreachable={"listed_on": "2025-03-01", "resumed_on": "2026-02-01"}),  # resumed after the cut-off
         product(received_on="2025-12-01", accepted_on="2025-12-01", unreachable={"listed_on": "2026-01-15"}))
    q4 = report("2025Q4")
    assert q4["unreachable"] == {"since": "2011-09-29", "listed": 6, "resumed": 3, "completed": 2,
                                 "still_unreachable": 2}
    assert q4["product_status"]["unreachable_listed"] == 3  # the sub-status includes the 2011-09-28 listing
    q1 = report("2026Q1")
    assert q1["unreachable"] == {"since": "2011-09-29", "listed": 7, "resumed": 4, "completed": 2,
                                 "still_unreachable": 2}
