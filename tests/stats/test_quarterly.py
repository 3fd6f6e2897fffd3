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

    target = tmp_path / "q.csv"
    assert main(["stats", "quarterly", "2025q4", "--format", "csv", "--output", str(target)]) == 0
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["table", "row", "value"]
    assert ["website_status", "page_deleted", "1"] in rows
    assert ["reports", "per_business_day", "0.00"] in rows


@pytest.mark.parametrize("bad", ["2025Q5", "2025-4", "Q4", ""])
def test_a_malformed_quarter_is_refused(bad, capsys):
    assert main(["stats", "quarterly", bad]) == 2
    assert "not a quarter" in capsys.readouterr().err
