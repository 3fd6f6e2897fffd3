"""Website statistics at a cut-off: days to fix (S13) and prolonged cases (S17)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import event_record
from tests.stats.imported import load, report, website

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
NOTIFIED = date(2025, 1, 6)


def _after(days: int) -> str:
    return (NOTIFIED + timedelta(days=days)).isoformat()


def _fixed(days: int, **fields: str) -> dict[str, str]:
    return website("fixed", notified_on=NOTIFIED.isoformat(), closed_on=_after(days), **fields)


def test_days_to_fix_count_from_the_notification_with_exact_boundaries(tmp_path):
    load(tmp_path, _fixed(30, fix_kind="page_deleted", vulnerability_type="SQL インジェクション"),
         _fixed(31, fix_kind="workaround", vulnerability_type="sql_injection"),
         _fixed(90, vulnerability_type="xss"), _fixed(91))
    data = report()["days_to_fix"]
    assert (data["base"], data["unmeasured"]) == (4, 0)  # 修正完了 ⊇ page deleted, workaround (§3.7)
    assert data["within_30_days_pct"] == 25.0
    assert data["within_90_days_pct"] == 75.0
    assert [(b["label"], b["count"]) for b in data["bins"]] == [
        ("0–10", 0), ("11–30", 1), ("31–60", 1), ("61–90", 1), ("91–180", 1), ("181–300", 0), ("301+", 0)]
    assert data["by_type"] == [
        {"type": "sql_injection", "base": 2, "bins": [0, 1, 1, 0, 0, 0, 0]},
        {"type": "unknown", "base": 1, "bins": [0, 0, 0, 0, 1, 0, 0]},
        {"type": "xss", "base": 1, "bins": [0, 0, 0, 1, 0, 0, 0]}]


def test_a_fix_after_the_cut_off_is_not_in_the_quarter(tmp_path):
    load(tmp_path, _fixed(5), website("fixed", notified_on="2025-12-20", closed_on="2026-01-05"))
    q4 = report("2025Q4")
    assert q4["days_to_fix"]["base"] == 1 == q4["website_status"]["fixed"]
    assert report("2026Q1")["days_to_fix"]["base"] == 2


def test_prolonged_cases_at_the_cut_off_and_a_year_earlier(tmp_path):
    load(tmp_path,
         website(notified_on="2025-10-02", vulnerability_type="SQL インジェクション"),  # exactly 90 days
         website(notified_on="2025-10-03"),  # 89 days
         website("fixed", notified_on="2025-06-01", closed_on="2026-01-10"),  # open at the cut-off: 213 days
         website("fixed", notified_on="2025-06-01", closed_on="2025-12-15"),  # fixed before the cut-off
         website(received_on="2024-05-01", accepted_on="2024-05-01", notified_on="2024-06-01",
                 vulnerability_type="xss"),  # 578 days; 213 a year earlier
         website(received_on="2024-05-01", accepted_on="2024-05-01"),  # never notified
         website("not_accepted", received_on="2024-05-01", accepted_on=None, closed_on="2024-05-02"))
    data = report()["prolonged"]
    assert (data["threshold_days"], data["count"], data["previous_year_count"]) == (90, 3, 1)
    assert [(b["label"], b["count"]) for b in data["by_elapsed_days"]] == [
        ("90–179", 1), ("180–364", 1), ("365–729", 1), ("730–1094", 0), ("1095+", 0)]
    assert data["by_type"] == [{"type": "sql_injection", "count": 1, "pct": 33.3},
                               {"type": "unknown", "count": 1, "pct": 33.3},
                               {"type": "xss", "count": 1, "pct": 33.3}]


def test_a_fix_reported_before_the_cut_off_ends_the_prolonged_count(tmp_path):
    load(tmp_path, website(notified_on="2025-06-01"), website(notified_on="2025-06-02"))
    early, late = Case.objects.order_by("notified_at")
    for case, moment in ((early, datetime(2025, 12, 31, 23, 0, tzinfo=JST)), (late, datetime(2026, 1, 1, tzinfo=JST))):
        with time_machine.travel(moment, tick=False):
            event_record(case=case, actor=Actor.system(), tag="case:operator:fix_reported", data={"kind": "fixed"})
    assert report("2025Q4")["prolonged"]["count"] == 1  # the report after the cut-off does not count yet
    assert report("2026Q1")["prolonged"]["count"] == 0


def test_the_prolonged_threshold_and_groups_are_configurable(tmp_path, settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "PROLONGED_DAYS": 30, "PROLONGED_BUCKETS": ["60"]}
    load(tmp_path, website(notified_on="2025-12-01"), website(notified_on="2025-12-02"),
         website(notified_on="2025-10-01"))
    data = report()["prolonged"]
    assert (data["threshold_days"], data["count"]) == (30, 2)
    assert [(b["label"], b["count"]) for b in data["by_elapsed_days"]] == [("30–59", 1), ("60+", 1)]
    settings.EARLYWARN = {**settings.EARLYWARN, "PROLONGED_DAYS": 0}
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        report()
