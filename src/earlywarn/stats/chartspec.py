"""What one figure of the quarterly report shows, without matplotlib: ``stats/document.py`` builds these for every
format, and only drawing them (``stats/charts.py``) needs matplotlib, so the JSON, CSV and cached pages never
load it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChartSpec:
    """One figure of the report: what to draw (``kind``), the translated labels and the numbers.

    kinds and their ``data``:

    * ``series``: quarters, totals, rates, total_label, rate_label — cumulative bars and the per-business-day line
    * ``status``: bars [{label, segments [{label, value, subs [{label, value}]}]}] — stacked horizontal bars;
      a sub-status is drawn hatched inside its parent segment, never as a slice of its own (§3.7)
    * ``columns``: labels, values, value_label — vertical bars (days bins, elapsed days)
    * ``shares``: labels, values, pcts, value_label — horizontal bars, largest first
    * ``stacked``: rows, series [{label, values}], value_label — 100 % stacked horizontal bars
    """

    key: str
    kind: str
    caption: str
    data: dict[str, Any] = field(default_factory=dict)
    height: float = 2.8  # inches, at the report's width

    def labels(self) -> list[str]:
        """Every text the chart may show, for the glyph check."""
        out: list[str] = [self.caption]
        _collect_strings(self.data, out)
        return out


def _collect_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_strings(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_strings(item, out)
