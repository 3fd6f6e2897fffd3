"""Importing historical reports (``earlywarn import-history``): refusals, idempotence, and the statistics."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from earlywarn.cases.flows import Flow
from earlywarn.cases.models import Case, CaseEvent, PriorityProvision
from earlywarn.config.cli import main
from earlywarn.intake.models import Report
from earlywarn.stats.calendar import quarter_bounds
from earlywarn.stats.history import IMPORT_TAG, HistoryImportError, history_import
from earlywarn.stats.quarterly import Quarter, quarterly_report
from tests import factories
from tests.stats import history_data
from tests.stats.reference import status_partition

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")

PUBLISHED = {"tracking_id": "H-1", "kind": "product", "received_on": "2025-08-04", "status": "published",
             "accepted_on": "2025-08-06", "published_on": "2025-11-12"}
FIXED = {"tracking_id": "H-2", "kind": "website", "received_on": "2024-02-01", "status": "fixed",
         "accepted_on": "2024-02-02", "notified_on": "2024-02-05", "closed_on": "2024-05-01",
         "fix_kind": "page_deleted"}


def _write(path: Path, *lines: dict[str, Any] | str) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
                            for line in lines), encoding="utf-8")
    return path


def _counts() -> tuple[int, int, int, int]:
    return Report.objects.count(), Case.objects.count(), CaseEvent.objects.count(), PriorityProvision.objects.count()


def _end(year: int, quarter: int) -> datetime:
    return quarter_bounds(year, quarter)[1]


# --- refusals: each names its line and writes nothing ----------------------------------------------------------

def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {k: v for k, v in {**base, **changes}.items() if v is not ...}


REFUSALS = [
    (_with(PUBLISHED, colour="red"), "unknown field 'colour'"),
    (_with(PUBLISHED, received_on=20250804), "received_on must be a date written YYYY-MM-DD"),
    (_with(PUBLISHED, received_on="2025-02-30"), "is not a real date"),
    (_with(PUBLISHED, tracking_id=7), "tracking_id must be a string"),
    (_with(PUBLISHED, tracking_id=...), "tracking_id is required"),
    (_with(PUBLISHED, status="fixed"), "status 'fixed' is not one of"),
    (_with(PUBLISHED, kind="hardware"), "kind 'hardware' is not one of"),
    (_with(PUBLISHED, coordination_impossible="yes"), "coordination_impossible must be true or false"),
    (_with(PUBLISHED, accepted_on="2025-08-01"), "accepted_on 2025-08-01 is before received_on 2025-08-04"),
    (_with(PUBLISHED, published_on="2025-08-05"), "published_on 2025-08-05 is before accepted_on 2025-08-06"),
    (_with(PUBLISHED, published_on=None), "published_on is required for status published"),
    (_with(PUBLISHED, accepted_on=...), "accepted_on is required for status published"),
    (_with(PUBLISHED, received_on="2003-01-01"), "before the Partnership began"),
    (_with(PUBLISHED, received_on="2999-01-01"), "is in the future"),
    (_with(PUBLISHED, notified_on="2025-08-07"), "notified_on is not allowed for a product report"),
    (_with(PUBLISHED, status="individual_handling", published_on=...), "closed_on is required"),
    (_with(PUBLISHED, unreachable={"listed_on": "2025-09-01", "resumed_on": None}),
     "must have coordination_impossible true"),
    (_with(PUBLISHED, unreachable={"listed_on": "2025-09-01", "when": "x"}), "unknown field 'when' in unreachable"),
    (_with(PUBLISHED, priority_provisions=[{"sector": "電力分野", "provided_on": "2025-12-01"}]),
     "priority_provisions[1].provided_on"),
    (_with(FIXED, published_on="2024-05-01"), "published_on is not allowed for a website report"),
    (_with(FIXED, fix_kind="patched"), "fix_kind 'patched' is not one of"),
    (_with(FIXED, status="alert_closed"), "fix_kind is not allowed for status alert_closed"),
    (_with(FIXED, notified_on=None), "notified_on is required for status fixed"),
    (_with(FIXED, closed_on="2024-02-04"), "closed_on 2024-02-04 is before notified_on 2024-02-05"),
    (_with(FIXED, status="in_handling", fix_kind=...), "closed_on is not allowed for a report still in handling"),
    (_with(FIXED, status="unable", fix_kind=..., unable_reason="bored"), "unable_reason 'bored' is not one of"),
    (_with(FIXED, status="not_accepted", fix_kind=..., notified_on=...),
     "accepted_on is not allowed for a report that was not accepted"),
    (_with(FIXED, origin="developer_self"), "origin developer_self is only for product reports"),
    (_with(FIXED, tracking_id="H-1"), "tracking_id 'H-1' appears twice (first on line 1)"),
    ('{"tracking_id": "H-3",', "malformed JSON"),
    ('{"tracking_id": "H-3", "tracking_id": "H-4"}', "appears twice"),
    ("[1, 2]", "expected a JSON object, found an array"),
    ("", "empty line"),
]


@pytest.mark.parametrize(("bad", "reason"), REFUSALS, ids=[r for _, r in REFUSALS])
def test_a_bad_line_is_refused_with_its_number_and_nothing_is_written(tmp_path, bad, reason):
    factories.submit("product")  # live data that must stay as it is
    before = _counts()
    path = _write(tmp_path / "history.jsonl", PUBLISHED, bad, FIXED)
    with pytest.raises(HistoryImportError) as caught:
        history_import(path)
    assert caught.value.line == 2
    assert reason in str(caught.value)
    assert str(caught.value).startswith("line 2: ")
    assert _counts() == before


def test_non_utf8_empty_and_missing_files_are_refused(tmp_path):
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(json.dumps(PUBLISHED).encode() + b'\n{"tracking_id": "caf\xe9"}\n')
    with pytest.raises(HistoryImportError, match=r"^line 2: not valid UTF-8"):
        history_import(bad)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(HistoryImportError, match="is empty"):
        history_import(empty)
    with pytest.raises(HistoryImportError, match="cannot read"):
        history_import(tmp_path / "missing.jsonl")
    assert _counts() == (0, 0, 0, 0)


def test_the_command_exits_2_with_the_line_and_0_on_success(tmp_path, capsys):
    bad = _write(tmp_path / "bad.jsonl", PUBLISHED, _with(FIXED, colour="red"))
    assert main(["import-history", str(bad)]) == 2
    assert "line 2: unknown field 'colour'" in capsys.readouterr().err
    assert _counts() == (0, 0, 0, 0)
    good = _write(tmp_path / "good.jsonl", PUBLISHED, FIXED)
    assert main(["import-history", str(good)]) == 0
    err = capsys.readouterr().err
    assert "2 imported, 0 already present" in err
    assert "validating: 2/2 (100%)" in err


# --- idempotence -------------------------------------------------------------------------------------------------

def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = _write(tmp_path / "history.jsonl", PUBLISHED, FIXED)
    first = history_import(path)
    assert (first.imported, first.skipped) == (2, 0)
    after_first = _counts()
    second = history_import(path)
    assert (second.imported, second.skipped) == (0, 2)
    assert _counts() == after_first


def test_a_known_tracking_id_with_different_content_is_refused(tmp_path):
    history_import(_write(tmp_path / "a.jsonl", PUBLISHED))
    before = _counts()
    changed = _write(tmp_path / "b.jsonl", FIXED, _with(PUBLISHED, published_on="2025-11-13"))
    with pytest.raises(HistoryImportError, match=r"^line 2: tracking_id 'H-1' is already present with different"):
        history_import(changed)
    assert _counts() == before


def test_a_file_with_old_and_new_lines_imports_only_the_new(tmp_path):
    history_import(_write(tmp_path / "a.jsonl", PUBLISHED))
    summary = history_import(_write(tmp_path / "b.jsonl", PUBLISHED, FIXED))
    assert (summary.imported, summary.skipped) == (1, 1)
    assert Report.objects.count() == 2


# --- what is stored ----------------------------------------------------------------------------------------------

def test_an_imported_report_is_an_ordinary_case_with_a_dated_trail(tmp_path):
    line = _with(PUBLISHED, unreachable={"listed_on": "2025-09-01", "resumed_on": "2025-10-01",
                                         "completed_on": "2025-11-12"},
                 priority_provisions=[{"sector": "電力分野", "provided_on": "2025-11-10"}], product_type="ルータ")
    history_import(_write(tmp_path / "h.jsonl", line))
    report = Report.objects.get(tracking_id="H-1")
    assert report.submission == line
    assert report.language == "ja"
    assert report.idempotency_key is None
    assert report.finder_email == ""
    assert report.received_at == datetime(2025, 8, 4, tzinfo=JST)
    case = report.case
    assert (case.flow, case.state, case.product_type) == ("product", "published", "ルータ")
    assert case.published_at == case.closed_at == datetime(2025, 11, 12, tzinfo=JST)
    assert case.accepted_at == datetime(2025, 8, 6, tzinfo=JST)
    trail = [(e.tag, e.to_state, e.created_at.astimezone(JST).date()) for e in case.events.order_by("created_at", "id")]
    assert trail == [
        (IMPORT_TAG, "received", date(2025, 8, 4)),
        ("case:state:accept", "content_check", date(2025, 8, 6)),
        ("case:state:start_coordination", "coordinating", date(2025, 8, 6)),
        ("case:state:list_unreachable", "unreachable_listed", date(2025, 9, 1)),
        ("case:state:resume_coordination", "coordinating", date(2025, 10, 1)),
        ("case:history:coordination_completed", "", date(2025, 11, 12)),
        ("case:state:publish", "published", date(2025, 11, 12)),
    ]
    assert [(p.sector, p.provided_on) for p in case.priority_provisions.all()] == [("電力分野", date(2025, 11, 10))]


@pytest.mark.parametrize(("line", "state"), [
    (_with(PUBLISHED, status="in_handling", published_on=...), "coordinating"),
    (_with(PUBLISHED, status="in_handling", published_on=..., accepted_on=...), "received"),
    (_with(PUBLISHED, status="in_handling", published_on=..., unreachable={"listed_on": "2025-09-01"}),
     "unreachable_listed"),
    (_with(PUBLISHED, coordination_impossible=True, unreachable={"listed_on": "2025-09-01"}),
     "published_coordination_impossible"),
    (_with(PUBLISHED, status="not_accepted", accepted_on=..., published_on=..., closed_on="2025-08-05"),
     "not_accepted"),
    (_with(FIXED, fix_kind=...), "fixed"),
    (_with(FIXED, fix_kind="workaround"), "fixed_workaround"),
    (_with(FIXED, status="in_handling", fix_kind=..., closed_on=...), "operator_notified"),
    (_with(FIXED, status="in_handling", fix_kind=..., closed_on=..., notified_on=...), "content_check"),
    (_with(FIXED, status="unable", fix_kind=...), "unable_no_response"),
    (_with(FIXED, status="unable", fix_kind=..., notified_on=..., unable_reason="no_contact"), "unable_no_contact"),
    (_with(FIXED, status="alert_closed", fix_kind=..., notified_on=...), "alert_closed"),
])
def test_each_status_becomes_its_internal_state(tmp_path, line, state):
    history_import(_write(tmp_path / "h.jsonl", line))
    case = Case.objects.get()
    assert case.state == state
    last = case.events.exclude(to_state="").order_by("-created_at", "-id").first()
    assert last is not None
    assert last.to_state == state
    if state == "not_accepted":
        assert case.judgment == "not_accepted"


def test_a_case_counts_as_it_stood_in_each_past_quarter(tmp_path):
    history_import(_write(tmp_path / "h.jsonl", PUBLISHED, FIXED))
    q2_2025 = status_partition(_end(2025, 2))
    assert q2_2025[Flow.PRODUCT].total == 0  # not yet received
    q3 = status_partition(_end(2025, 3))
    assert q3[Flow.PRODUCT].categories["in_handling"] == 1
    assert q3[Flow.PRODUCT].categories["published"] == 0
    q4 = status_partition(_end(2025, 4))
    assert q4[Flow.PRODUCT].categories["published"] == 1
    assert q4[Flow.PRODUCT].categories["in_handling"] == 0
    q1_2024 = status_partition(_end(2024, 1))
    assert q1_2024[Flow.WEBSITE].categories["in_handling"] == 1
    q2_2024 = status_partition(_end(2024, 2))
    assert q2_2024[Flow.WEBSITE].categories["fixed"] == 1
    assert q2_2024[Flow.WEBSITE].sub_statuses == {"page_deleted": 1}


def test_live_and_imported_reports_count_together(tmp_path):
    factories.submit("website")
    history_import(_write(tmp_path / "h.jsonl", PUBLISHED, FIXED))
    now = status_partition(datetime(2100, 1, 1, tzinfo=JST))
    assert now[Flow.WEBSITE].total == 2
    assert now[Flow.PRODUCT].total == 1


# --- the published figures, reproduced end to end --------------------------------------------------------------

def _published(pct: float) -> int:
    """Our one-decimal share as the reports print it: a whole percent, rounded half up."""
    return int(Decimal(str(pct)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _share(items: list[dict[str, Any]], name: str, key: str = "name") -> int:
    return _published(next(item["pct"] for item in items if item[key] == name))


@pytest.mark.slow
def test_a_history_consistent_with_the_2025_report_reproduces_every_published_figure(tmp_path):
    path = tmp_path / "history.jsonl"
    assert history_data.write_history(path) == 19859
    summary = history_import(path)
    assert summary.imported == 19859
    report = quarterly_report(Quarter(2025, 4))
    # T1, T2
    assert [p["total"] for p in report["series"]] == list(history_data.CUMULATIVE)
    assert [p["per_business_day"] for p in report["series"]] == list(history_data.PER_BUSINESS_DAY)
    assert report["reports"] == {"total": 19859, "product": 6392, "website": 13467}
    # T3 (調整不能 is not published for 2025: 38 is T14's residual, see history_data), T4
    assert report["product_status"] == {"published": 3116, "coordination_impossible": 38, "individual_handling": 40,
                                        "not_vulnerability": 150, "in_handling": 2465, "unreachable_listed": 160,
                                        "not_accepted": 621}
    assert report["website_status"] == {"fixed": 8891, "page_deleted": 1193, "workaround": 38,
                                        "alert_closed": 1130, "not_vulnerability": 830, "in_handling": 2082,
                                        "unable": 238, "not_accepted": 296}
    assert report["previous_year"]["quarter"] == "2024Q4"
    assert report["previous_year"]["reports"]["total"] == 19249  # T2, 2024 4Q
    # T5: S6 is 公表済み
    assert report["jvn"]["domestic_published"] == 3116
    # T6: 28% within 45 days of 3,116 published
    publication = report["days_to_publication"]
    assert (publication["base"], _published(publication["within_45_days_pct"])) == (3116, 28)
    # T7: of 8,891 fixed, 52% within 30 days and 70% within 90
    fix = report["days_to_fix"]
    assert (fix["base"], _published(fix["within_30_days_pct"]), _published(fix["within_90_days_pct"])) == (8891, 52, 70)
    # T8: 40% web application software, 52% web application vulnerabilities, of 5,771 accepted
    breakdowns = report["breakdowns"]
    assert breakdowns["base"] == {"product": 5771, "website": 13171}
    assert _share(breakdowns["product_type"], "ウェブアプリケーションソフト") == 40
    assert _share(breakdowns["cause"], "ウェブアプリケーションの脆弱性") == 52
    # T9: XSS 57%, SQL injection 11% (2nd), DNS 10% (3rd) of 13,171; imported Japanese names count as the codes
    types = breakdowns["website_vulnerability_type"]
    assert [t["name"] for t in types[:3]] == ["xss", "sql_injection", "dns_misconfiguration"]
    assert [_published(t["pct"]) for t in types[:3]] == [57, 11, 10]
    # T10: 55 / 11 / 11%
    threats = {t["name"]: _published(t["pct"]) for t in breakdowns["threat"]}
    assert (threats["false_information"], threats["domain_information_insertion"],
            threats["data_tampering"]) == (55, 11, 11)
    # T12: 1,050 prolonged, 1,045 a year earlier, about 16% SQL injection
    prolonged = report["prolonged"]
    assert (prolonged["count"], prolonged["previous_year_count"]) == (1050, 1045)
    assert _share(prolonged["by_type"], "sql_injection", key="type") == 16
    # T13: 87 = electric power 49 + government agencies 38
    assert report["priority_provision"]["cumulative"] == {"電力分野": 49, "政府機関": 38}
    # T14
    assert report["unreachable"] == {"since": "2011-09-29", "listed": 251, "resumed": 53, "completed": 33,
                                     "still_unreachable": 160}
