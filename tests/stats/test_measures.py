"""The arithmetic shared by the statistics: one-decimal percentages rounded half up, day bins, ranked shares."""

from __future__ import annotations

from collections import Counter

import pytest

from earlywarn.stats.measures import (
    UNKNOWN,
    Bin,
    CategoryNames,
    bin_counts,
    bin_rows,
    bins_from,
    percent,
    ranked,
    shares,
)


@pytest.mark.parametrize(("count", "base", "expected"), [
    (1, 16, 6.3),  # 6.25: half up (banker's rounding would give 6.2)
    (549, 2000, 27.5),  # 27.45
    (5489, 20000, 27.4),  # 27.445 → 27.4 (one decimal, not a double rounding)
    (1, 3, 33.3),
    (2, 3, 66.7),
    (873, 3116, 28.0),
    (0, 10, 0.0),
    (10, 10, 100.0),
    (3, 0, 0.0),  # an empty base gives 0.0, never a division error
])
def test_percentages_have_one_decimal_rounded_half_up(count, base, expected):
    assert percent(count, base) == expected


def test_bins_are_contiguous_with_an_open_end_and_exact_boundaries():
    bins = bins_from([0, 46, 101, 201, 301])
    assert bins == (Bin(0, 45), Bin(46, 100), Bin(101, 200), Bin(201, 300), Bin(301, None))
    assert [b.label for b in bins] == ["0–45", "46–100", "101–200", "201–300", "301+"]
    assert bin_counts(Counter([0, 45, 46, 100, 101, 300, 301, 5000]), bins) == [2, 2, 1, 1, 2]
    assert bin_counts({45: 3, -1: 2, 301: 1}, bins) == [5, 0, 0, 0, 1]  # counts weigh; below the first bin counts in it
    assert bin_rows([1, 3], bins_from([0, 31]), 4) == [
        {"label": "0–30", "min": 0, "max": 30, "count": 1, "pct": 25.0},
        {"label": "31+", "min": 31, "max": None, "count": 3, "pct": 75.0}]


def test_shares_are_ranked_by_count_then_name():
    assert ranked(Counter({"b": 2, "a": 2, "c": 5})) == [("c", 5), ("a", 2), ("b", 2)]
    assert shares(Counter(["x", "y", "x"])) == [{"name": "x", "count": 2, "pct": 66.7},
                                                {"name": "y", "count": 1, "pct": 33.3}]
    assert shares(Counter(["x"]), base=4) == [{"name": "x", "count": 1, "pct": 25.0}]


def test_stored_category_names_become_codes_and_blanks_unknown():
    name = CategoryNames("vulnerability_type")
    assert name("") == name("  ") == UNKNOWN
    assert name("xss") == "xss"
    assert name("SQL インジェクション") == "sql_injection"  # the Japanese label, as imported history writes it
    assert name("sql injection") == "sql_injection"  # the English label, any case
    assert name("ゼロデイ") == "ゼロデイ"  # a name outside the list stays as written
    assert CategoryNames("product_type")("ルータ") == "ルータ"  # no list yet for product types
