"""Breakdowns of accepted reports (S9, S10, S14–S16), their quarterly trend, and the small-company share (S18)."""

from __future__ import annotations

import pytest

from tests.stats.imported import load, product, report, website

pytestmark = pytest.mark.django_db


def test_breakdowns_count_accepted_reports_only_ranked_with_an_unknown_bucket(tmp_path):
    load(tmp_path,
         product(product_type="ルータ", cause="仕様上の不備"),
         product(product_type="ルータ"),
         product(product_type="グループウェア"),
         product(product_type="グループウェア"),
         product(product_type="アプリ"),
         product(accepted_on=None),  # awaiting the judgment: in the base (total − 不受理)
         product("not_accepted", accepted_on=None, closed_on="2025-01-07", product_type="ルータ"))
    data = report()["breakdowns"]
    assert data["base"]["product"] == 6
    assert data["product_type"] == [{"name": "グループウェア", "count": 2, "pct": 33.3},
                                    {"name": "ルータ", "count": 2, "pct": 33.3},
                                    {"name": "unknown", "count": 1, "pct": 16.7},
                                    {"name": "アプリ", "count": 1, "pct": 16.7}]
    assert data["cause"] == [{"name": "unknown", "count": 5, "pct": 83.3},
                             {"name": "仕様上の不備", "count": 1, "pct": 16.7}]


def test_website_breakdowns_merge_imported_labels_with_codes(tmp_path):
    load(tmp_path,
         website(vulnerability_type="クロスサイト・スクリプティング", threat="本物サイト上への偽情報の表示",
                 operator_type="株式企業（非上場）"),
         website(vulnerability_type="xss", threat="false_information", operator_type="unlisted_company"),
         website(vulnerability_type="SQL インジェクション", threat="データの改ざん、消去", operator_type="個人"),
         website("not_accepted", accepted_on=None, closed_on="2025-01-08", vulnerability_type="xss"))
    data = report()["breakdowns"]
    assert data["base"]["website"] == 3
    assert [(i["name"], i["count"]) for i in data["website_vulnerability_type"]] == [("xss", 2), ("sql_injection", 1)]
    assert [(i["name"], i["count"]) for i in data["threat"]] == [("false_information", 2), ("data_tampering", 1)]
    assert [(i["name"], i["count"]) for i in data["operator_type"]] == [("unlisted_company", 2), ("individual", 1)]


def test_a_report_rejected_after_the_cut_off_is_in_that_quarters_base(tmp_path):
    load(tmp_path, website("not_accepted", received_on="2025-12-26", accepted_on=None, closed_on="2026-01-06",
                           vulnerability_type="xss"))
    assert report("2025Q4")["breakdowns"]["website_vulnerability_type"] == [{"name": "xss", "count": 1, "pct": 100.0}]
    q1 = report("2026Q1")
    assert q1["breakdowns"]["website_vulnerability_type"] == []
    assert q1["breakdowns"]["base"]["website"] == 0


def test_the_small_company_share_follows_the_configured_operator_types(tmp_path, settings):
    load(tmp_path, website(operator_type="株式企業（非上場）"), website(operator_type="other_company"),
         website(operator_type="listed_company"), website())
    assert report()["small_company_share"] == {"base": 4, "count": 2, "pct": 50.0,
                                               "operator_types": ["other_company", "unlisted_company"]}
    settings.EARLYWARN = {**settings.EARLYWARN, "SMALL_COMPANY_OPERATOR_TYPES": ["株式企業（上場）", " "]}
    assert report()["small_company_share"] == {"base": 4, "count": 1, "pct": 25.0, "operator_types": ["listed_company"]}


def test_the_quarterly_trend_covers_two_years_of_accepted_website_reports(tmp_path):
    load(tmp_path,
         website(received_on="2023-12-29", accepted_on="2024-01-05", operator_type="個人"),  # before the 8 quarters
         website(received_on="2024-01-05", accepted_on="2024-01-05", operator_type="個人"),
         website(received_on="2025-11-05", accepted_on="2025-11-05", operator_type="unlisted_company"),
         website(received_on="2025-11-06", accepted_on="2025-11-06", operator_type="unlisted_company"),
         website("not_accepted", received_on="2025-11-07", accepted_on=None, closed_on="2025-11-08"))
    trend = report()["quarterly_breakdowns"]
    assert trend["quarters"] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert trend["base"] == [1, 0, 0, 0, 0, 0, 0, 2]
    assert trend["operator_type"] == [
        {"name": "unlisted_company", "counts": [0, 0, 0, 0, 0, 0, 0, 2], "pcts": [0.0] * 7 + [100.0]},
        {"name": "individual", "counts": [1, 0, 0, 0, 0, 0, 0, 0], "pcts": [100.0] + [0.0] * 7}]
    assert [item["name"] for item in trend["website_vulnerability_type"]] == ["unknown"]
