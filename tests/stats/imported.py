"""Small imported histories for the statistics tests: a line per case, dated exactly (docs/import-format.md)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from earlywarn.stats.history import history_import
from earlywarn.stats.quarterly import Quarter, quarterly_report

_numbers = itertools.count(1)


def product(status: str = "in_handling", **fields: Any) -> dict[str, Any]:
    line = {"kind": "product", "received_on": "2025-01-06", "status": status, "accepted_on": "2025-01-06"}
    return {k: v for k, v in {**line, **fields}.items() if v is not None}


def website(status: str = "in_handling", **fields: Any) -> dict[str, Any]:
    line = {"kind": "website", "received_on": "2025-01-06", "status": status, "accepted_on": "2025-01-06"}
    return {k: v for k, v in {**line, **fields}.items() if v is not None}


def load(directory: Path, *lines: dict[str, Any]) -> None:
    """Import ``lines`` (each given a fresh tracking id)."""
    path = directory / f"lines-{next(_numbers)}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps({"tracking_id": f"T-{next(_numbers)}", **line}, ensure_ascii=False) + "\n")
    history_import(path)


def report(text: str = "2025Q4") -> dict[str, Any]:
    return quarterly_report(Quarter.parse(text))
