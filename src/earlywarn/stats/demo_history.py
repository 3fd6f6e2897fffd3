"""A small, plausible history for the demo (``load_demo``), so that a fresh install's statistics pages show
figures and charts rather than zeros: the reportable quarter is the last completed one, before any live demo
report. It goes through the real history import (docs/import-format.md); deterministic for a given day."""

from __future__ import annotations

import json
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from earlywarn.stats.history import ImportSummary, history_import
from earlywarn.stats.quarter import Quarter

PREFIX = "DEMO-H-"
WEBSITE_TYPES = ("クロスサイト・スクリプティング", "SQL インジェクション", "DNS 情報の設定不備", "ファイルの誤った公開",
                 "その他")
THREATS = ("本物サイト上への偽情報の表示", "個人情報の漏洩", "データの改ざん、消去", "なりすまし")
OPERATOR_TYPES = ("株式企業（非上場）", "株式企業（上場）", "その他企業", "政府機関・地方公共団体", "個人")
PRODUCT_TYPES = ("ウェブアプリケーションソフト", "ルータ", "スマートフォン向けアプリ", "グループウェア")
CAUSES = ("ウェブアプリケーションの脆弱性", "その他実装上の不備", "仕様上の不備")


def _product(rng: random.Random, received: date, today: date) -> dict[str, Any]:
    status = rng.choices(("published", "in_handling", "not_accepted", "not_vulnerability", "individual_handling"),
                         (45, 35, 10, 6, 4))[0]
    line: dict[str, Any] = {"kind": "product", "status": status, "product_type": rng.choice(PRODUCT_TYPES),
                            "cause": rng.choice(CAUSES)}
    if status == "not_accepted":
        return {**line, "closed_on": min(today, received + timedelta(days=rng.randint(1, 10)))}
    accepted = min(today, received + timedelta(days=rng.randint(1, 7)))
    line["accepted_on"] = accepted
    if status == "published":
        line["published_on"] = min(today, accepted + timedelta(days=rng.randint(20, 240)))
    elif status != "in_handling":
        line["closed_on"] = min(today, accepted + timedelta(days=rng.randint(30, 200)))
    return line


def _website(rng: random.Random, received: date, today: date) -> dict[str, Any]:
    status = rng.choices(("fixed", "in_handling", "not_accepted", "not_vulnerability", "unable"),
                         (60, 25, 6, 5, 4))[0]
    line: dict[str, Any] = {"kind": "website", "status": status, "vulnerability_type": rng.choice(WEBSITE_TYPES),
                            "threat": rng.choice(THREATS), "operator_type": rng.choice(OPERATOR_TYPES)}
    if status == "not_accepted":
        return {**line, "closed_on": min(today, received + timedelta(days=rng.randint(1, 10)))}
    accepted = min(today, received + timedelta(days=rng.randint(1, 7)))
    line["accepted_on"] = accepted
    if status in {"fixed", "unable"} or (status == "in_handling" and rng.random() < 0.8):
        line["notified_on"] = min(today, accepted + timedelta(days=rng.randint(1, 14)))
    if status in {"fixed", "unable", "not_vulnerability"}:
        line["closed_on"] = min(today, line.get("notified_on", accepted) + timedelta(days=rng.randint(3, 150)))
    return line


def records(count: int = 240, quarters: int = 8, seed: int = 2026) -> list[dict[str, Any]]:
    """``count`` reports received over the ``quarters`` completed quarters before today, about 30% products."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - demo data, not a secret
    today = timezone.localdate()
    first = Quarter.current()
    for _step in range(quarters):
        first = first.previous()
    start, end = first.first_day(), Quarter.current().previous().last_day()
    lines = []
    for number in range(1, count + 1):
        received = start + timedelta(days=rng.randint(0, (end - start).days))
        make = _product if rng.random() < 0.3 else _website
        line = {"tracking_id": f"{PREFIX}{number:04d}", "received_on": received, **make(rng, received, today)}
        lines.append({key: value.isoformat() if isinstance(value, date) else value for key, value in line.items()})
    return lines


def demo_history_load() -> ImportSummary:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "demo-history.jsonl"
        path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in records()), encoding="utf-8")
        return history_import(path)
