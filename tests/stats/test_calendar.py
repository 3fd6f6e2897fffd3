"""The business-day calendar against the figures the Partnership published (partnership.md §5.2 T2)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from earlywarn.stats.calendar import (
    PARTNERSHIP_START,
    business_days_between,
    in_closure,
    is_business_day,
    per_business_day,
    shift_business_days,
)

# (quarter end, cumulative reports, published reports per business day, derived business days) — T2.
T2 = [
    (date(2023, 3, 31), 18026, "3.95", 4558),
    (date(2023, 6, 30), 18191, "3.94", 4620),
    (date(2023, 9, 30), 18346, "3.92", 4682),
    (date(2023, 12, 31), 18651, "3.93", 4743),
    (date(2024, 3, 31), 18858, "3.93", 4801),
    (date(2024, 6, 30), 18970, "3.90", 4863),
    (date(2024, 9, 30), 19086, "3.88", 4925),
    (date(2024, 12, 31), 19249, "3.86", 4987),
    (date(2025, 3, 31), 19348, "3.84", 5044),
    (date(2025, 6, 30), 19448, "3.81", 5106),
    (date(2025, 9, 30), 19609, "3.79", 5168),
    (date(2025, 12, 31), 19859, "3.80", 5228),
]


@pytest.mark.parametrize(("end", "cumulative", "published", "days"), T2, ids=[str(row[0]) for row in T2])
def test_published_rates_are_reproduced_exactly(end, cumulative, published, days):
    assert business_days_between(PARTNERSHIP_START, end) == days
    assert per_business_day(cumulative, end) == Decimal(published)


def test_2012_cut_off():
    assert business_days_between(PARTNERSHIP_START, date(2012, 9, 30)) == 2008
    assert per_business_day(7950, date(2012, 9, 30)) == Decimal("3.96")


def test_without_the_year_end_closure_the_published_figure_is_missed(settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "CLOSURE_DAYS": ""}
    assert per_business_day(19859, date(2025, 12, 31)) == Decimal("3.75")  # as §5.2 says it would be


@pytest.mark.parametrize(("day", "business"), [
    (date(2025, 12, 26), True),   # Friday
    (date(2025, 12, 29), False),  # Monday in the year-end closure
    (date(2026, 1, 2), False),    # Friday in the closure
    (date(2026, 1, 5), True),     # first business day of 2026
    (date(2026, 1, 12), False),   # Coming of Age Day (national holiday)
    (date(2025, 5, 6), False),    # substitute holiday
    (date(2019, 5, 1), False),    # the 2019 enthronement day (special holiday)
    (date(2025, 11, 22), False),  # Saturday
])
def test_business_days(day, business):
    assert is_business_day(day) is business


def test_closures_are_configurable_and_may_wrap_the_year(settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "CLOSURE_DAYS": "08-13..08-16, 12-30..01-02"}
    assert in_closure(date(2026, 8, 14))
    assert in_closure(date(2026, 12, 31))
    assert in_closure(date(2027, 1, 2))
    assert not in_closure(date(2026, 12, 29))
    assert not in_closure(date(2027, 1, 3))


@pytest.mark.parametrize("bad", ["12-29", "12-29..13-01", "a..b", "02-30..03-01"])
def test_a_malformed_closure_is_a_configuration_error(settings, bad):
    settings.EARLYWARN = {**settings.EARLYWARN, "CLOSURE_DAYS": bad}
    with pytest.raises(ImproperlyConfigured):
        in_closure(date(2026, 1, 1))


def test_ranges_and_edges():
    assert business_days_between(date(2026, 1, 5), date(2026, 1, 5)) == 1
    assert business_days_between(date(2026, 1, 6), date(2026, 1, 5)) == 0
    assert business_days_between(date(2026, 1, 5), date(2026, 1, 9)) == 5
    assert per_business_day(10, date(2004, 7, 7)) == Decimal("0.00")


@pytest.mark.parametrize(("day", "count", "expected"), [
    (date(2025, 12, 26), 1, date(2026, 1, 5)),  # Friday → over the weekend and the year-end closure
    (date(2026, 1, 5), -1, date(2025, 12, 26)),
    (date(2025, 5, 2), 1, date(2025, 5, 7)),  # Golden Week: 3rd–6th are holidays or the weekend
    (date(2025, 5, 3), 0, date(2025, 5, 3)),  # no shift: the day itself, even on a holiday
    (date(2025, 5, 7), -3, date(2025, 4, 30)),
])
def test_shifting_by_business_days(day, count, expected):
    assert shift_business_days(day, count) == expected


def test_shifting_agrees_with_counting():
    start = date(2024, 12, 20)  # a Friday before the year-end closure
    assert is_business_day(start)
    for count in range(1, 60):
        later = shift_business_days(start, count)
        assert is_business_day(later)
        assert business_days_between(start + timedelta(days=1), later) == count
        assert shift_business_days(later, -count) == start
