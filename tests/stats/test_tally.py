"""The quarterly report's one aggregated read (``stats.tally``) against the per-case read it replaced.

The reference below counts the per-case snapshots (``tests/stats/reference.py``, itself checked against the
original correlated-subquery read in ``test_snapshot.py``) with the Python calendar (``calendar_days``), as the
statistics did before the counting moved into SQL. Every count must be the same, at several quarter ends, on a
hand-made history with awkward instants (a microsecond before local midnight, reclassification, cases moving
across both cut-offs), on a random one, and in a time zone with daylight saving time; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from earlywarn.cases.models import Case, CaseEvent, Vulnerability
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge, case_reclassify, case_transition
from earlywarn.intake.models import Report
from earlywarn.stats import sqldays
from earlywarn.stats.breakdowns import trend_days
from earlywarn.stats.calendar import calendar_days
from earlywarn.stats.products import UNREACHABLE_SINCE
from earlywarn.stats.quarter import Quarter
from earlywarn.stats.quarterly import series_quarters
from earlywarn.stats.rows import raw_rows, sql_rows
from earlywarn.stats.tally import CURRENT, FIX_REPORTED, UNREACHABLE_TAGS, Head, Published, StateAt, Tally, tally
from tests import factories
from tests.stats.imported import load, product, website
from tests.stats.reference import CaseAt, snapshots

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
QUARTERS = [Quarter(2024, 4), Quarter(2025, 1), Quarter(2025, 2), Quarter(2025, 3), Quarter(2025, 4),
            Quarter(2026, 1)]


def _head(case: CaseAt) -> Head:
    return case.flow, case.state, case.category, case.sub_status, case.terminal


def _fixed_before(cut: datetime) -> set[Any]:
    return {case_id for (case_id,) in raw_rows(CaseEvent.objects.filter(tag=FIX_REPORTED, created_at__lt=cut)
                                               .values_list("case_id"))}


def _handling(cases: list[CaseAt], cut: datetime) -> Counter[tuple[str, int, bool]]:
    fixed, last = _fixed_before(cut), cut - timedelta(microseconds=1)
    return Counter((c.vulnerability_type, calendar_days(c.notified_at, last), c.id in fixed) for c in cases
                   if c.flow == "website" and c.category == "in_handling" and c.notified_at is not None)


def reference(quarter: Quarter) -> Tally:
    """The counts from the per-case read and the Python calendar."""
    earlier = quarter.year_earlier()
    now, before = snapshots([quarter.end, earlier.end])
    result = Tally(series=[Report.objects.filter(received_at__lt=q.end).count() for q in series_quarters(quarter)])
    trend = trend_days(quarter)
    for case in now:
        result.now[_head(case), case.origin] += 1
        if case.category != "not_accepted":
            result.attributes[case.flow, case.product_type, case.cause, case.vulnerability_type, case.threat,
                              case.operator_type] += 1
            if case.flow == "website" and trend[0] <= case.received_on < trend[-1]:
                index = sum(1 for day in trend[1:] if case.received_on >= day)
                result.recent[index, case.vulnerability_type, case.threat, case.operator_type] += 1
        if case.category == "published":
            published = case.published_at or case.closed_at
            measured = case.accepted_at is not None and published is not None
            result.publication_days[calendar_days(case.accepted_at, published) if measured else None] += 1
        elif case.category == "fixed":
            measured = case.notified_at is not None and case.closed_at is not None
            result.fix_days[case.vulnerability_type,
                            calendar_days(case.notified_at, case.closed_at) if measured else None] += 1
    for case in before:
        result.earlier[_head(case)] += 1
    result.handling_now, result.handling_earlier = _handling(now, quarter.end), _handling(before, earlier.end)
    since = datetime.combine(UNREACHABLE_SINCE, datetime.min.time(), tzinfo=ZoneInfo(str(quarter.end.tzinfo)))
    events = CaseEvent.objects.filter(tag__in=UNREACHABLE_TAGS, created_at__gte=since, created_at__lt=quarter.end)
    heads = {case.id: _head(case) for case in now}
    for case_id, created_at, tag in raw_rows(events.values_list("case_id", "created_at", "tag")):
        at = created_at.replace(tzinfo=UTC) if created_at.tzinfo is None else created_at
        result.trail.setdefault(case_id, []).append((at, tag))
        if case_id in heads:
            result.trail_heads[case_id] = heads[case_id]
    return result


def _fast(quarter: Quarter) -> Tally:
    return tally(quarter.end, quarter.year_earlier().end, [q.end for q in series_quarters(quarter)],
                 trend_days(quarter), UNREACHABLE_SINCE)


def assert_same(quarter: Quarter) -> Tally:
    fast, slow = _fast(quarter), reference(quarter)
    for name in ("series", "now", "earlier", "publication_days", "fix_days", "handling_now", "handling_earlier",
                 "attributes", "recent", "trail_heads"):
        assert getattr(fast, name) == getattr(slow, name), (quarter, name)
    assert {k: sorted(v) for k, v in fast.trail.items()} == {k: sorted(v) for k, v in slow.trail.items()}, quarter
    return fast


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def awkward(administrator, tmp_path):
    """Live cases moving across both cut-offs at awkward instants, and imported history of every kind."""
    actor = Actor.for_user(administrator)

    def act(case: Case, action: str) -> Case:
        case.refresh_from_db()
        if action in {"accept", "reject"}:
            return case_judge(actor=actor, case=case, accept=action == "accept", reason_code="spam")
        if action == "reclassify":
            return case_reclassify(actor=actor, case=case, reason="ok")
        return case_transition(actor=actor, case=case, action=action, reason="ok")

    with _at(datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=JST)):  # the last instant before 2025Q1
        moving = factories.submit("product").case
        site = factories.submit("website").case
        reclassified = factories.submit("product").case
    with _at(datetime(2025, 1, 1, tzinfo=JST)):  # the first instant of 2025Q1: after the cut-off of 2024Q4
        act(moving, "accept")
        act(site, "accept")
        act(reclassified, "reclassify")
    with _at(datetime(2025, 3, 31, 23, 59, 59, tzinfo=JST)):
        act(moving, "start_coordination")
        act(site, "notify_operator")
    Vulnerability.objects.create(case=site, title="first", website_type="")
    Vulnerability.objects.create(case=site, title="second", website_type="SQL インジェクション")
    Case.objects.filter(pk=site.pk).update(vulnerability_type="")
    load(tmp_path,
         product("published", received_on="2023-05-01", accepted_on="2023-05-02", published_on="2025-02-01",
                 product_type="ルータ", cause="仕様上の不備", origin="developer_self"),
         product("published", received_on="2024-01-10", accepted_on="2024-01-10", published_on="2024-12-31",
                 coordination_impossible=True,
                 unreachable={"listed_on": "2024-03-01"}),
         product("in_handling", received_on="2024-02-01", accepted_on="2024-02-01",
                 unreachable={"listed_on": "2024-04-01", "resumed_on": "2025-01-15"}),
         product("in_handling", received_on="2025-11-30", accepted_on=None),
         product("not_accepted", received_on="2025-02-01", accepted_on=None, closed_on="2025-02-03"),
         website("fixed", received_on="2024-11-01", accepted_on="2024-11-01", notified_on="2024-11-05",
                 closed_on="2025-05-20", fix_kind="workaround",
                 vulnerability_type="クロスサイト・スクリプティング", operator_type="個人"),
         website("fixed", received_on="2023-06-01", accepted_on="2023-06-01", notified_on="2023-06-02",
                 closed_on="2023-06-02", threat="なりすまし"),
         website("in_handling", received_on="2023-01-05", accepted_on="2023-01-05", notified_on="2023-01-06",
                 vulnerability_type="DNS 情報の設定不備"),
         website("in_handling", received_on="2024-07-01", accepted_on="2024-07-01", notified_on="2024-07-02"),
         website("unable", received_on="2025-08-01", accepted_on="2025-08-01", closed_on="2025-09-01",
                 unable_reason="no_contact"),
         website("alert_closed", received_on="2025-10-01", accepted_on="2025-10-01", notified_on="2025-10-02",
                 closed_on="2025-12-31", threat="データの改ざん、消去", operator_type="株式企業（上場）"))
    handled = Case.objects.filter(received_on="2024-07-01").get()
    CaseEvent.objects.create(case=handled, tag=FIX_REPORTED, actor_label="operator",
                             created_at=datetime(2025, 3, 31, 23, 59, 59, 999999, tzinfo=JST))
    # days counted between local dates: an instant a microsecond before midnight is still the earlier day
    fixed = Case.objects.filter(received_on="2023-06-01").get()
    Case.objects.filter(pk=fixed.pk).update(notified_at=datetime(2023, 6, 1, 23, 59, 59, 999999, tzinfo=JST),
                                            closed_at=datetime(2023, 6, 2, 0, 0, tzinfo=JST))


def test_every_count_equals_the_per_case_read(awkward):
    counted = [assert_same(quarter) for quarter in QUARTERS]
    latest = counted[-2]  # 2025Q4
    assert sum(latest.fix_days.values()) == 2
    assert latest.fix_days["", 1] == 1  # notified 23:59:59.999999, fixed at 00:00 the next day: 1 day
    assert sum(latest.handling_now.values()) == 3
    assert any(fixed for _t, _d, fixed in latest.handling_now)
    assert latest.trail_heads
    assert latest.recent


def test_every_case_knows_when_its_state_was_set(awkward):
    """Live and imported: ``state_changed_at`` is the stored time of the last state-setting event, whose state is
    the case's — what lets the count skip the trail of a case not changed since a cut-off."""
    cases = list(Case.objects.all())
    assert len(cases) == 14
    for case in cases:
        last = CaseEvent.objects.filter(case=case).exclude(to_state="").order_by("-created_at", "-id").first()
        assert (case.state_changed_at, case.flow, case.state) == (last.created_at, last.to_flow, last.to_state)


def test_cases_whose_time_is_unknown_are_read_from_the_trail(awkward):
    for case_id in list(Case.objects.order_by("id").values_list("id", flat=True))[::2]:
        Case.objects.filter(pk=case_id).update(state_changed_at=None)  # as the migration leaves a mismatch
    for quarter in QUARTERS:
        assert_same(quarter)


@override_settings(TIME_ZONE="Europe/Berlin")  # daylight saving time: local dates move with the offset
def test_every_count_equals_the_per_case_read_in_a_zone_with_summer_time(awkward):
    for quarter in QUARTERS:
        assert_same(quarter)


def test_a_random_history_counts_the_same(tmp_path, administrator):
    rng = random.Random(20251231)

    def step(start: date) -> date:
        return start + timedelta(days=rng.choice([0, 0, 1, 29, 30, 31, 45, 46, 90, 91, 400]))

    lines = []
    for _n in range(400):
        received = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 1450))
        kind = rng.choice(["product", "website"])
        accepted = step(received)
        if kind == "website":
            types = {"vulnerability_type": rng.choice([None, "その他", "SQL インジェクション"]),
                     "operator_type": rng.choice([None, "個人", "その他企業"])}
        else:
            types = {"product_type": rng.choice([None, "ルータ", "その他"]),
                     "origin": rng.choice(["finder", "developer_self"])}
        if kind == "product":
            status = rng.choice(["in_handling", "published", "not_vulnerability", "not_accepted"])
            line = product(status, received_on=str(received), accepted_on=str(accepted), **types)
            if status == "published":
                line["published_on"] = str(step(accepted))
            elif status == "not_vulnerability":
                line["closed_on"] = str(step(accepted))
        else:
            status = rng.choice(["in_handling", "fixed", "alert_closed", "not_accepted"])
            notified = step(accepted)
            line = website(status, received_on=str(received), accepted_on=str(accepted), **types)
            if status in {"in_handling", "fixed", "alert_closed"}:
                line["notified_on"] = str(notified)
            if status in {"fixed", "alert_closed"}:
                line["closed_on"] = str(step(notified))
        if status == "not_accepted":
            line.pop("accepted_on")
            line["closed_on"] = str(received)
        if all(value <= "2026-11-01" for key, value in line.items() if key.endswith("_on")):
            lines.append(line)
    assert len(lines) > 300
    load(tmp_path, *lines)
    for quarter in (Quarter(2023, 3), Quarter(2024, 2), Quarter(2025, 4), Quarter(2026, 1)):
        assert_same(quarter)


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Europe/Berlin", "America/New_York"])
def test_calendar_days_in_sql_equal_the_python_calendar(zone):
    instants = [datetime(2025, 3, 30, 0, 59, 59, 999999, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
                datetime(2025, 10, 26, 0, 59, 59, tzinfo=UTC), datetime(2025, 11, 2, 4, 30, tzinfo=UTC),
                datetime(2025, 12, 31, 14, 59, 59, 999999, tzinfo=UTC), datetime(2025, 12, 31, 15, 0, tzinfo=UTC),
                datetime(1951, 5, 5, 15, 0, tzinfo=UTC), datetime(2004, 7, 7, 23, 0, tzinfo=UTC)]
    with override_settings(TIME_ZONE=zone):
        days = sqldays.SqlDays(connection.vendor)
        adapt = connection.ops.adapt_datetimefield_value if connection.vendor != "postgresql" else (lambda v: v)
        for start in instants:
            for end in instants:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {days.between('%(s)s', '%(e)s')}",
                                   {"s": adapt(start), "e": adapt(end), **days.params()})
                    assert cursor.fetchone()[0] == calendar_days(start, end), (zone, start, end)


def test_the_offsets_of_a_zone_are_found_to_the_second():
    changes = sqldays.offset_changes("Asia/Tokyo")
    assert changes[0] == ("", 32400)
    assert changes[-1] == ("1951-09-08 15:00:00", 32400)
    assert len(sqldays.offset_changes("Europe/Berlin")) > 300  # summer time every year


def test_the_planner_settings_hold_for_the_counting_statement_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_nestloop")
        before = cursor.fetchone()[0]
        assert_same(Quarter(2025, 4))  # inside the test's transaction, as inside a request's
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone()[0] == before == "on"


def test_a_state_membership_compares_flow_and_state_columns_across_both_flows(awkward):
    """``StateAt.among`` tests columns instead of building ``flow state`` text; "not accepted" spans both flows."""
    codes = Published().where("not_accepted")
    assert {code.split()[0] for code in codes} == {"product", "website"}
    params: dict[str, Any] = {}
    condition = StateAt((("1 = 1", CURRENT),), CURRENT).among(codes, "x", params)
    select = f"SELECT c.id FROM {Case._meta.db_table} c WHERE "  # noqa: S608 — constants; values are parameters
    found = {UUID(str(row[0])) for row in sql_rows(select + condition, params)}
    expected = {case.id for case in Case.objects.all() if f"{case.flow} {case.state}" in codes}
    assert expected
    assert found == expected
    nothing = StateAt((("1 = 1", CURRENT),), CURRENT).among([], "y", {})
    assert not list(sql_rows(select + nothing, {}))
