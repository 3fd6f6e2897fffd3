"""The business-day calendar: every rule clock and published per-business-day figure counts days here.

A business day is Monday to Friday, not a Japanese national holiday (``jpholiday``: substitute and special
holidays included), and not inside a configured closure (default the year-end break, 29 December to 3 January).
With these rules the cumulative reports per business day of partnership.md §5.2 T2 are reproduced exactly
(S2: business days counted from 2004-07-08, the first day reports were accepted, to the quarter's last day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import jpholiday
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

# The Partnership started taking reports on this day (partnership.md §1, S1/S2).
PARTNERSHIP_START = date(2004, 7, 8)


def _closures() -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """Configured closures as ((month, day), (month, day)) pairs; a pair may wrap over the new year."""
    raw = settings.EARLYWARN["CLOSURE_DAYS"]
    if not isinstance(raw, str):
        raise ImproperlyConfigured("EARLYWARN['CLOSURE_DAYS'] must be text such as '12-29..01-03'")
    return _parse_closures(raw)


@lru_cache(maxsize=16)
def _parse_closures(raw: str) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    ranges = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            first, last = part.split("..")
            start = tuple(int(x) for x in first.split("-"))
            end = tuple(int(x) for x in last.split("-"))
            date(2000, *start)  # a leap year: 02-29 is a valid bound
            date(2000, *end)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"EARLYWARN_CLOSURE_DAYS: {part!r} is not a range such as 12-29..01-03") from exc
        ranges.append((start, end))
    return tuple(ranges)  # type: ignore[arg-type]


def in_closure(day: date) -> bool:
    key = (day.month, day.day)
    return any((start <= key <= end) if start <= end else (key >= start or key <= end)
               for start, end in _closures())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not jpholiday.is_holiday(day) and not in_closure(day)


def shift_business_days(day: date, count: int) -> date:
    """The business day ``count`` business days after ``day`` (before it when ``count`` is negative); ``day``
    itself is not counted and need not be a business day."""
    step = timedelta(days=1 if count >= 0 else -1)
    for _ in range(abs(count)):
        day += step
        while not is_business_day(day):
            day += step
    return day


def business_days_between(first: date, last: date) -> int:
    """Business days from ``first`` to ``last``, both included (0 when ``last`` is before ``first``)."""
    return sum(_business_days_of_year(year, first, last) for year in range(first.year, last.year + 1))


def _business_days_of_year(year: int, first: date, last: date) -> int:
    start, end = max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
    if start == date(year, 1, 1) and end == date(year, 12, 31):
        return _whole_year(year, settings.EARLYWARN["CLOSURE_DAYS"])
    return _part_of_year(start, end, settings.EARLYWARN["CLOSURE_DAYS"])


@lru_cache(maxsize=1024)
def _part_of_year(start: date, end: date, closures: str) -> int:  # ``closures`` is part of the cache key
    return sum(1 for n in range((end - start).days + 1) if is_business_day(start + timedelta(days=n)))


@lru_cache(maxsize=256)
def _whole_year(year: int, closures: str) -> int:  # ``closures`` is part of the cache key
    start = date(year, 1, 1)
    return sum(1 for n in range((date(year, 12, 31) - start).days + 1) if is_business_day(start + timedelta(days=n)))


def per_business_day(count: int, last: date, first: date = PARTNERSHIP_START) -> Decimal:
    """``count`` divided by the business days from ``first`` to ``last``, to 2 decimals, rounded half up (S2)."""
    days = business_days_between(first, last)
    if days == 0:
        return Decimal("0.00")
    return (Decimal(count) / Decimal(days)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def calendar_days(start: datetime, end: datetime) -> int:
    """Calendar days from ``start`` to ``end``, counted between their dates in the platform's time zone.

    The clocks of the published statistics (days to publication S7, days to fix S13, prolonged cases S17) count
    calendar days: an event on the same day is 0 days, the next day 1.
    """
    zone = timezone.get_default_timezone()  # the platform's (cached; nothing activates another)
    return (end.astimezone(zone).date() - start.astimezone(zone).date()).days


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    """A calendar quarter (1Q = Jan–Mar, §5 conventions) as [start, end) in the platform's time zone."""
    if quarter not in {1, 2, 3, 4}:
        raise ValueError("quarter must be 1, 2, 3 or 4")
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone) if quarter == 4 else datetime(year, 3 * quarter + 1, 1, tzinfo=zone)
    return start, end
