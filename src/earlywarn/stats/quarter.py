"""Calendar quarters of the statistics: 1Q is January–March (partnership.md §5 conventions), in the platform's
time zone. A quarter's figures are computed as they stood at its end, the first instant of the next quarter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from earlywarn.stats.calendar import quarter_bounds

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = QUARTER_RE.match(text.strip().upper())
        if not match:
            raise ValueError(f"{text!r} is not a quarter such as 2025Q4")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Quarter:
        return cls.of(timezone.localdate())

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def year_earlier(self) -> Quarter:
        """The same quarter a year earlier (前年同期)."""
        return Quarter(self.year - 1, self.number)

    @property
    def start(self) -> datetime:
        return quarter_bounds(self.year, self.number)[0]

    @property
    def end(self) -> datetime:
        """The cut-off: the first instant after the quarter. Everything strictly before it counts."""
        return quarter_bounds(self.year, self.number)[1]

    def first_day(self) -> date:
        return timezone.localdate(self.start)

    def last_day(self) -> date:
        return timezone.localdate(self.end - timedelta(microseconds=1))


def reportable_quarter(text: str) -> Quarter:
    """``text`` as a quarter that has ended or is under way; a future quarter has no statistics (ValueError)."""
    quarter = Quarter.parse(text)
    current = Quarter.current()
    if quarter > current:
        raise ValueError(f"{quarter} has not begun yet: choose a quarter up to {current} (the current one, still "
                         f"in progress) or an earlier, completed one")
    return quarter
