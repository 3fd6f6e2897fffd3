"""`earlywarn stats quarterly`: cumulative counts, the per-business-day series and both partitions."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge, case_transition
from earlywarn.config.cli import main
from earlywarn.stats.calendar import PARTNERSHIP_START, business_days_between, per_business_day
from earlywarn.stats.quarterly import Quarter, quarterly_report
from tests import factories
from tests.stats.imported import load, product, website

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")


def at(*args: int) -> time_machine.travel:
    return time_machine.travel(datetime(*args, 10, 0, tzinfo=JST), tick=False)


@pytest.fixture
def history(administrator):
    """Five reports over 2025; one website case fixed (page deleted) after 2025Q3 ended."""
    actor = Actor.for_user(administrator)
    with at(2025, 2, 14):
        factories.submit("product")
        factories.submit("product", finder_email="")
    with at(2025, 5, 1):
        website = factories.submit("website").case
        case_judge(actor=actor, case=website, accept=True)
    with at(2025, 9, 30):
        website.refresh_from_db()
        case_transition(actor=actor, case=website, action="notify_operator")
        factories.submit("website")
    with at(2025, 10, 1):  # the first day of 4Q, JST
        website.refresh_from_db()
        case_transition(actor=actor, case=website, action="close_page_deleted")
        factories.submit("product")


def test_the_report_counts_as_of_the_quarter_end(history):
    q3 = quarterly_report(Quarter(2025, 3))
    assert q3["reports"] == {"total": 4, "product": 2, "website": 2}
    assert q3["website_status"]["in_handling"] == 2  # fixed only in 4Q
    assert q3["website_status"]["fixed"] == 0
    q4 = quarterly_report(Quarter(2025, 4))
    assert q4["reports"] == {"total": 5, "product": 3, "website": 2}
    assert q4["website_status"] == {"fixed": 1, "page_deleted": 1, "workaround": 0, "alert_closed": 0,
                                    "not_vulnerability": 0, "in_handling": 1, "unable": 0, "not_accepted": 0}
    assert q4["product_status"]["in_handling"] == 3
    assert sum(v for k, v in q4["product_status"].items()
               if k not in {"coordination_impossible", "unreachable_listed"}) == q4["reports"]["product"]


def test_the_series_is_twelve_quarters_with_business_day_rates(history):
    report = quarterly_report(Quarter(2025, 4))
    series = report["series"]
    assert [p["quarter"] for p in series][:2] == ["2023Q1", "2023Q2"]
    assert series[-1]["quarter"] == "2025Q4"
    assert [p["total"] for p in series[-4:]] == [2, 3, 4, 5]
    assert series[-1]["business_days"] == 5228  # §5.2 T2, 2025 4Q
    assert report["per_business_day"] == float(per_business_day(5, date(2025, 12, 31)))
    assert series[0]["business_days"] == business_days_between(PARTNERSHIP_START, date(2023, 3, 31))


def test_the_command_writes_json_and_csv_and_shows_progress(history, capsys, tmp_path):
    assert main(["stats", "quarterly", "2025Q4"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["reports"]["total"] == 5
    assert "series 12/12" in err
    assert "prolonged website cases, now and a year earlier (S17)" in err
    assert len(err.splitlines()) == len(set(err.splitlines())) >= 20  # one line per step

    target = tmp_path / "q.csv"
    assert main(["stats", "quarterly", "2025q4", "--format", "csv", "--output", str(target)]) == 0
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["table", "row", "value"]
    assert ["website_status", "page_deleted", "1"] in rows
    assert ["reports", "per_business_day", "0.00"] in rows
    tables = {row[0] for row in rows[1:]}
    for table in ("previous_year product_status", "jvn", "days_to_publication", "days_to_publication bins count",
                  "days_to_fix bins pct", "prolonged", "prolonged by_elapsed_days count", "unreachable",
                  "priority_provision", "breakdowns base", "breakdowns website_vulnerability_type count",
                  "breakdowns website_vulnerability_type pct", "quarterly_breakdowns base", "small_company_share"):
        assert table in tables, table
    assert ["days_to_fix", "base", "1"] in rows
    assert ["days_to_fix bins count", "0–10", "1"] in rows
    assert ["jvn", "overseas", "0"] in rows  # no advisory published yet
    assert ["breakdowns base", "website", "2"] in rows


def test_the_report_has_every_statistic_of_section_5_1(history):
    report = quarterly_report(Quarter(2025, 4))
    assert list(report) == ["quarter", "reports", "business_days", "per_business_day", "series", "product_status",
                            "website_status", "previous_year", "jvn", "days_to_publication", "days_to_fix",
                            "prolonged", "unreachable", "priority_provision", "breakdowns", "quarterly_breakdowns",
                            "small_company_share"]
    assert report["previous_year"] == {
        "quarter": "2024Q4", "reports": {"total": 0, "product": 0, "website": 0},
        "product_status": dict.fromkeys(report["product_status"], 0),
        "website_status": dict.fromkeys(report["website_status"], 0)}
    assert report["jvn"] == {"domestic_published": 0, "developer_self": 0, "overseas": 0, "overseas_in_quarter": 0,
                             "total": 0}
    assert report["days_to_fix"]["base"] == 1  # notified on 2025-09-30, page deleted on 2025-10-01
    assert report["days_to_fix"]["bins"][0] == {"label": "0–10", "min": 0, "max": 10, "count": 1, "pct": 100.0}
    assert report["days_to_fix"]["by_type"] == [{"type": "sql_injection", "base": 1, "bins": [1, 0, 0, 0, 0, 0, 0]}]
    assert report["breakdowns"]["base"] == {"product": 3, "website": 2}
    q3 = quarterly_report(Quarter(2025, 3))
    assert q3["days_to_fix"]["base"] == 0  # fixed only in 4Q
    assert q3["days_to_fix"]["within_30_days_pct"] == 0.0


@pytest.mark.parametrize("bad", ["2025Q5", "2025-4", "Q4", ""])
def test_a_malformed_quarter_is_refused(bad, capsys):
    assert main(["stats", "quarterly", bad]) == 2
    assert "not a quarter" in capsys.readouterr().err


def test_a_future_quarter_is_refused_and_the_current_one_is_computed(db, capsys):
    with at(2025, 11, 10):
        assert main(["stats", "quarterly", "2026Q1"]) == 2
        err = capsys.readouterr().err
        assert "2026Q1 has not begun yet" in err
        assert "up to 2025Q4" in err
        assert main(["stats", "quarterly", "2025Q4"]) == 0  # in progress: as it stands now
        assert json.loads(capsys.readouterr().out)["quarter"] == "2025Q4"


def test_the_first_quarter_reports_with_an_empty_year_before(db):
    report = quarterly_report(Quarter(2004, 3))
    assert report["series"][0]["quarter"] == "2001Q4"
    assert report["series"][0]["per_business_day"] == 0.0
    assert report["previous_year"]["reports"] == {"total": 0, "product": 0, "website": 0}
    assert report["days_to_publication"]["bins"][0]["pct"] == 0.0
    assert report["prolonged"]["count"] == report["prolonged"]["previous_year_count"] == 0
    assert report["small_company_share"] == {"base": 0, "count": 0, "pct": 0.0,
                                             "operator_types": ["other_company", "unlisted_company"]}


def test_the_previous_year_is_the_same_quarter_as_it_stood_a_year_earlier(tmp_path):
    load(tmp_path, product("published", received_on="2024-11-01", accepted_on="2024-11-05", published_on="2025-02-03"),
         website("fixed", received_on="2024-12-02", notified_on="2024-12-03", closed_on="2024-12-20",
                 accepted_on="2024-12-02", fix_kind="workaround"))
    previous = quarterly_report(Quarter(2025, 4))["previous_year"]
    assert previous["quarter"] == "2024Q4"
    assert previous["reports"] == {"total": 2, "product": 1, "website": 1}
    assert (previous["product_status"]["in_handling"], previous["product_status"]["published"]) == (1, 0)
    assert (previous["website_status"]["fixed"], previous["website_status"]["workaround"]) == (1, 1)
