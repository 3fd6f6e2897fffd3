"""Data that do not reconcile (a broken audit trail, a failed §5.3 check): /stats/ and its downloads show a
translated page with the reason (503, never a 500), the command exits 2 with the reason, and both log it."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache

from earlywarn.cases.models import Case, CaseEvent
from earlywarn.config.cli import main
from earlywarn.stats import views
from earlywarn.stats.quarterly import ReconciliationError
from tests import factories

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def broken(db):
    """One report in 2025Q2 whose trail has lost its state (and the case its time); the clock in 2025Q4 (latest
    completed: 2025Q3)."""
    cache.clear()
    with time_machine.travel(datetime(2025, 5, 12, 10, 0, tzinfo=JST), tick=False):
        case = factories.submit("product").case
    CaseEvent.objects.filter(case=case).update(to_state="")
    # as the migration leaves a case whose trail has no state-setting event: the time of its state unknown (a case
    # that knows it is counted in its own state without reading the trail, stats.tally)
    Case.objects.filter(pk=case.pk).update(state_changed_at=None)
    with time_machine.travel(datetime(2025, 11, 20, 12, 0, tzinfo=JST), tick=False):
        yield
    cache.clear()


def test_the_page_explains_in_japanese_and_logs(client, broken, caplog):
    with caplog.at_level(logging.ERROR, logger="earlywarn.stats.views"):
        response = client.get("/stats/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "統計を表示できません" in text
    assert "2025Q3 の統計は公表できません" in text
    assert "1 case(s) without a state-setting event" in text  # the reason
    assert any("statistics for 2025Q3 are unavailable" in r.getMessage() for r in caplog.records)


def test_the_page_and_downloads_explain_in_english(client, broken):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for path in ("/stats/2025Q3/", "/stats/2025Q3.json", "/stats/2025Q3.pdf"):
        response = client.get(path)
        assert response.status_code == 503, path
        text = response.content.decode()
        assert "Statistics unavailable" in text
        assert "The statistics for 2025Q3 cannot be published: the stored data do not reconcile" in text


def test_a_failed_reconciliation_is_shown_not_raised(client, broken, monkeypatch):
    def failing(quarter, **_kwargs):
        raise ReconciliationError(f"{quarter}: breakdown bases differ")

    monkeypatch.setattr(views, "quarterly_report", failing)
    response = client.get("/stats/2025Q2/")
    assert response.status_code == 503
    assert "breakdown bases differ" in response.content.decode()


def test_the_command_exits_2_with_the_reason(broken, capsys):
    assert main(["stats", "quarterly", "2025Q3"]) == 2  # main() reconfigures logging: the log is not captured
    out, err = capsys.readouterr()
    assert out == ""
    assert "the data do not reconcile, no report for 2025Q3" in err
    assert "state-setting event" in err
