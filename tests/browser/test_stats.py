"""The public statistics in a real browser: Japanese by default, charts visible and in colour, the picker works."""

from __future__ import annotations

import io
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from PIL import Image

from earlywarn.stats.views import latest_completed_quarter
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
JST = ZoneInfo("Asia/Tokyo")


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))


def test_stats_page_in_japanese_shows_its_charts(page, tmp_path):
    cache.clear()
    with time_machine.travel(datetime(2025, 5, 12, 10, 0, tzinfo=JST), tick=False):
        factories.submit("product")
        factories.submit("website")
        factories.submit("website")
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto("/stats/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "ソフトウエア等の脆弱性関連情報に関する届出状況"
    chart = page.locator("#chart-series img")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    assert chart.evaluate("image => image.complete && image.naturalWidth > 0")  # the SVG decoded
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 400
    assert box["height"] > 120
    # drawn, in colour: the bars' blue is on screen
    shot = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
    data = shot.tobytes()
    blue = sum(1 for pixel in zip(data[0::3], data[1::3], data[2::3], strict=True)
               if _near(pixel, (0x0B, 0x5C, 0xAD)))
    assert blue > 500, blue
    assert page.locator("#chart-product_status figcaption").inner_text() == "図2　ソフトウエア製品の届出の処理状況"
    assert page.locator("#s1 .key-figure").last.inner_text().startswith("届出受付開始（2004年7月8日）からの累計は3件")
    if os.environ.get("EARLYWARN_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["EARLYWARN_SCREENSHOTS"], "stats-ja.png"), full_page=True)

    previous = latest_completed_quarter().previous()
    page.select_option("#id_quarter", str(previous))
    page.click("#quarter-picker button[type=submit]")
    page.wait_for_url(f"**/stats/{previous}/")
    assert page.locator("#id_quarter").input_value() == str(previous)
    assert page.locator("#report-period").inner_text().startswith(f"{previous.year}年第{previous.number}四半期")
    assert page.locator("#downloads a[href$='.pdf']").get_attribute("href") == f"/stats/{previous}.pdf"
    assert violations == []
