"""The arithmetic every statistic shares: percentages, day bins, shares of a breakdown, category names.

Percentages have one decimal, rounded half up (27.45 → 27.5, 27.44 → 27.4) with exact decimal arithmetic, so a
published whole percentage is the same rule applied once more (27.5 → 28). A percentage of an empty base is 0.0.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from earlywarn.cases import categories

UNKNOWN = "unknown"  # the bucket of a blank category (documented in docs/statistics.md)


def percent(count: int, base: int) -> float:
    """``count`` as a percentage of ``base``, one decimal, rounded half up."""
    if base <= 0:
        return 0.0
    return float((Decimal(count) * 100 / Decimal(base)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Bin:
    """Days from ``min`` to ``max``, both included; ``max`` None means "or more"."""

    min: int
    max: int | None

    @property
    def label(self) -> str:
        return f"{self.min}+" if self.max is None else f"{self.min}–{self.max}"

    def holds(self, days: int) -> bool:
        return days >= self.min and (self.max is None or days <= self.max)


def bins_from(lowers: Sequence[int]) -> tuple[Bin, ...]:
    """Contiguous bins starting at each of ``lowers`` (ascending); the last is open-ended."""
    return tuple(Bin(low, lowers[i + 1] - 1 if i + 1 < len(lowers) else None) for i, low in enumerate(lowers))


def bin_counts(days: Mapping[int, int], bins: Sequence[Bin]) -> list[int]:
    """How many cases fall in each of ``bins`` (contiguous and ascending, as ``bins_from`` makes them), from
    ``days`` (day count → cases); a value below the first bin counts in the first."""
    lowers = [b.min for b in bins]
    counts = [0] * len(bins)
    for value, n in days.items():
        counts[max(0, bisect_right(lowers, value) - 1)] += n
    return counts


def bin_rows(counts: Sequence[int], bins: Sequence[Bin], base: int) -> list[dict[str, Any]]:
    return [{"label": b.label, "min": b.min, "max": b.max, "count": n, "pct": percent(n, base)}
            for b, n in zip(bins, counts, strict=True)]


def within(days: Mapping[int, int], limit: int) -> int:
    """Cases of ``days`` (day count → cases) at most ``limit`` days."""
    return sum(n for value, n in days.items() if value <= limit)


def ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    """Names by count, largest first, then by name (partnership.md §5.4 I-15: sort by value, not a fixed order)."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def shares(counter: Counter[str], base: int | None = None) -> list[dict[str, Any]]:
    """A breakdown: one ``{name, count, pct}`` per name counted, ranked; ``pct`` of ``base`` (default: all)."""
    total = sum(counter.values()) if base is None else base
    return [{"name": name, "count": n, "pct": percent(n, total)} for name, n in ranked(counter) if n]


# The code lists a stored category may name (cases/categories.py). A product list may be added there later.
CATEGORY_TABLES = {
    "product_type": "PRODUCT_TYPES", "cause": "PRODUCT_CAUSES", "vulnerability_type": "WEBSITE_VULNERABILITY_TYPES",
    "threat": "WEBSITE_THREATS", "operator_type": "WEBSITE_OPERATOR_TYPES",
}


class CategoryNames:
    """Normalises stored category values: blank → ``unknown``; a known code stays; a known code's Japanese or
    English label (as imported history writes them) becomes the code; anything else stays as written."""

    def __init__(self, attribute: str) -> None:
        table: dict[str, tuple[str, str]] = getattr(categories, CATEGORY_TABLES[attribute], {})
        self.codes = set(table)
        self.by_label = {label.casefold(): code for code, labels in table.items() for label in labels}
        self.seen: dict[str, str] = {}  # a few distinct values over many cases: each normalised once

    def __call__(self, value: str) -> str:
        known = self.seen.get(value)
        if known is None:
            known = self.seen[value] = self._normalise(value)
        return known

    def _normalise(self, value: str) -> str:
        value = value.strip()
        if not value:
            return UNKNOWN
        if value in self.codes:
            return value
        return self.by_label.get(value.casefold(), value)
