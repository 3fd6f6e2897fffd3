"""Calendar days in SQL, counted as ``stats.calendar.calendar_days`` counts them: between the dates of two
instants in the platform's time zone.

PostgreSQL converts with ``AT TIME ZONE`` (its own zone database). SQLite stores naive UTC text
(``YYYY-MM-DD HH:MM:SS[.ffffff]``) and knows no zones, so the zone's UTC offsets are read from ``zoneinfo`` once
and written into the SQL: the current offset first (Asia/Tokyo's since 1951), then a balanced ``CASE`` over the
earlier offset changes. Offsets are sampled daily from 1900 to 2200 and each change is located to the
second; outside that span the nearest offset applies. Fractions of a second are dropped before converting, which
never moves a date (offsets are whole seconds) and avoids SQLite rounding 23:59:59.9995 up to the next day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

SCAN_FROM, SCAN_TO = datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _offset(zone: ZoneInfo, at: datetime) -> int:
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=8)
def offset_changes(zone_name: str) -> tuple[tuple[str, int], ...]:
    """The zone's UTC offsets as (first UTC instant as SQLite text, offset in seconds), oldest first; the first
    entry's instant is ``""`` (everything before the first change)."""
    zone = ZoneInfo(zone_name)
    changes = [("", _offset(zone, SCAN_FROM))]
    at, step = SCAN_FROM, timedelta(days=1)
    while at < SCAN_TO:
        following = at + step
        if _offset(zone, following) != changes[-1][1]:
            low, high = at, following  # the offset is old at ``low`` and new at ``high``: bisect to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _offset(zone, middle) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((high.strftime("%Y-%m-%d %H:%M:%S"), _offset(zone, high)))
        at = following
    return tuple(changes)


def _modifier(column: str, changes: tuple[tuple[str, int], ...]) -> str:
    """The offset modifier for ``column`` among ``changes``: a balanced ``CASE`` (a few comparisons per value)."""
    if len(changes) == 1:
        return f"'{changes[0][1]:+d} seconds'"
    middle = len(changes) // 2
    return (f"CASE WHEN {column} >= '{changes[middle][0]}' THEN {_modifier(column, changes[middle:])} "
            f"ELSE {_modifier(column, changes[:middle])} END")


def _sqlite_day(column: str) -> str:
    """The Julian day number of the local date of ``column`` (NULL if it is NULL)."""
    changes = offset_changes(settings.TIME_ZONE)
    plain = f"substr({column}, 1, 19)"
    if len(changes) == 1:
        return f"julianday({plain}, {_modifier(column, changes)}, 'start of day')"
    # the current offset first: recent instants take one comparison
    return (f"julianday({plain}, CASE WHEN {column} >= '{changes[-1][0]}' THEN '{changes[-1][1]:+d} seconds' "
            f"ELSE {_modifier(column, changes[:-1])} END, 'start of day')")


class SqlDays:
    """SQL expressions for one database vendor. Zone names and dates are parameters (``%(zone)s``)."""

    def __init__(self, vendor: str) -> None:
        self.postgresql = vendor == "postgresql"

    def params(self) -> dict[str, str]:
        return {"zone": settings.TIME_ZONE} if self.postgresql else {}

    def between(self, start: str, end: str) -> str:
        """Calendar days from column ``start`` to column ``end`` (an integer; NULL if either is NULL)."""
        if self.postgresql:
            return f"(({end} AT TIME ZONE %(zone)s)::date - ({start} AT TIME ZONE %(zone)s)::date)"
        return f"CAST({_sqlite_day(end)} - {_sqlite_day(start)} AS INTEGER)"

    def until_day(self, start: str, day_param: str) -> str:
        """Calendar days from column ``start`` to the date parameter ``day_param`` (a name in the params)."""
        if self.postgresql:
            return f"(CAST(%({day_param})s AS date) - ({start} AT TIME ZONE %(zone)s)::date)"
        return f"CAST(julianday(%({day_param})s) - {_sqlite_day(start)} AS INTEGER)"


def local_day(moment: datetime) -> date:
    """The date of ``moment`` in the platform's time zone (as ``calendar_days`` takes it)."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
