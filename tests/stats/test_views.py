"""The public /stats/ pages: the latest quarter by default, the picker, downloads, languages, and bad quarters."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from pypdf import PdfReader

from earlywarn.cases.policy import Action, Actor
from earlywarn.stats.document import build_document
from earlywarn.stats.quarterly import Quarter, quarterly_report
from earlywarn.stats.render import export_csv
from tests import factories

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2025, 11, 20, 12, 0, tzinfo=JST)  # so the latest completed quarter is 2025Q3


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reports(administrator):
    """Two product and three website reports in 2025Q2, one more in 2025Q3; one website case fixed in Q3."""
    from earlywarn.cases.services import case_judge, case_transition

    actor = Actor.for_user(administrator)
    with time_machine.travel(datetime(2025, 5, 12, 10, 0, tzinfo=JST), tick=False):
        factories.submit("product")
        factories.submit("product")
        website = factories.submit("website").case
        factories.submit("website")
        factories.submit("website")
        case_judge(actor=actor, case=website, accept=True)
    with time_machine.travel(datetime(2025, 8, 1, 10, 0, tzinfo=JST), tick=False):
        website.refresh_from_db()
        case_transition(actor=actor, case=website, action="notify_operator")
        website.refresh_from_db()
        case_transition(actor=actor, case=website, action="close_page_deleted")
        factories.submit("product")


def _english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _text(response) -> str:
    return response.content.decode()


def test_stats_shows_the_latest_completed_quarter_with_a_picker_and_downloads(client, reports, now):
    response = client.get("/stats/")
    assert response.status_code == 200
    page = _text(response)
    assert '<html lang="ja">' in page
    assert "ソフトウエア等の脆弱性関連情報に関する届出状況" in page
    assert "2025年第3四半期（7月～9月）" in page
    # the picker: every completed quarter since reporting began, newest first, this one chosen
    options = re.findall(r'<option value="(\d{4}Q\d)"( selected)?>', page)
    assert options[0] == ("2025Q3", " selected")
    assert options[-1] == ("2004Q3", "")
    assert len(options) == 4 * 21 + 1  # 2004Q3 … 2025Q3
    for fmt in ("pdf", "html", "csv", "json"):
        assert f'href="/stats/2025Q3.{fmt}"' in page
    # the figures of that quarter, as the engine computes them
    assert "累計は6件（ソフトウエア製品 3件、ウェブサイト 3件）" in page
    charts = len(build_document(quarterly_report(Quarter(2025, 3)), "ja").charts())
    assert charts >= 3  # at least the series and both status charts
    assert page.count('<figure class="chart"') == charts
    assert page.count('<img src="data:image/svg+xml;base64,') == charts
    assert "<style" not in page  # the site's CSP allows no inline style: charts are images, styles a file
    assert " style=" not in page


def test_the_page_shows_the_numbers_of_the_json(client, reports, now):
    report = json.loads(client.get("/stats/2025Q3.json").content)
    assert report == quarterly_report(Quarter(2025, 3))
    page = re.sub(r"<img [^>]*>", "", _text(client.get("/stats/2025Q3/")))
    cells = re.findall(r'<td class="num">([^<]*)</td>', page)
    for point in report["series"]:
        assert f"{point['per_business_day']:.2f}" in cells
        assert f"{point['business_days']:,}" in cells
    status = report["website_status"]
    assert (status["fixed"], status["page_deleted"], status["in_handling"]) == (1, 1, 2)
    assert re.search(r"<th scope=\"row\">うち当該ページを削除</th><td class=\"num\">1</td>", page)


def test_the_picker_goes_to_the_quarter_chosen(client, reports, now):
    response = client.get("/stats/", {"quarter": "2025Q2"})
    assert (response.status_code, response.headers["Location"]) == (302, "/stats/2025Q2/")
    page = _text(client.get("/stats/2025Q2/"))
    assert "2025年第2四半期（4月～6月）" in page
    assert re.search(r'<option value="2025Q2" selected>', page)
    assert "累計は5件" in page
    assert client.get("/stats/2025q2/").headers["Location"] == "/stats/2025Q2/"  # one address per quarter
    assert client.get("/stats/２０２５Q2/").headers["Location"] == "/stats/2025Q2/"


@pytest.mark.parametrize(("fmt", "content_type", "start"), [
    ("pdf", "application/pdf", b"%PDF-"), ("html", "text/html; charset=utf-8", b"<!doctype html>"),
    ("csv", "text/csv; charset=utf-8", b"table,row,value\n"), ("json", "application/json", b"{"),
])
def test_downloads_of_the_same_report(client, reports, now, fmt, content_type, start):
    response = client.get(f"/stats/2025Q3.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.content.startswith(start)
    language = "-ja" if fmt in {"pdf", "html"} else ""
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="earlywarn-statistics-2025Q3{language}.{fmt}"')
    if fmt == "csv":
        assert response.content.decode() == export_csv(quarterly_report(Quarter(2025, 3)))


def test_the_language_switch_changes_the_page_and_the_documents(client, reports, now):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/stats/"})
    assert response.headers["Location"] == "/stats/"
    page = _text(client.get("/stats/"))
    assert '<html lang="en">' in page
    assert "Reports of vulnerability-related information on software products and websites" in page
    assert "Q3 2025 (July–September)" in page
    assert "the cumulative total is 6 (software products 3, websites 3)" in page
    pdf = client.get("/stats/2025Q3.pdf")
    assert pdf.headers["Content-Disposition"].endswith('2025Q3-en.pdf"')
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Status of website reports" in text
    client.post("/i18n/setlang/", {"language": "ja", "next": "/stats/"})
    assert "ウェブサイトの届出の処理状況" in _text(client.get("/stats/"))


def test_a_new_report_shows_at_once_despite_the_cache(client, reports, now):
    assert "累計は6件" in _text(client.get("/stats/2025Q3/"))
    with time_machine.travel(datetime(2025, 9, 30, 10, 0, tzinfo=JST), tick=False):
        factories.submit("product")  # late history: a report received within 2025Q3
    assert "累計は7件" in _text(client.get("/stats/2025Q3/"))


BAD_QUARTERS = ["2025Q5", "2025-3", "Q3", "2025Q", "2025Q3Q3", "9999999999Q1", "2025Q3%00", "<script>", "0Q1",
                "0000Q1"]


@pytest.mark.parametrize("text", BAD_QUARTERS)
def test_a_malformed_quarter_is_a_clear_404_never_a_500(client, now, text):
    response = client.get(f"/stats/{text}/")
    assert response.status_code == 404
    page = _text(response)
    assert "統計が見つかりません" in page
    assert "<script>" not in page
    assert 'id="stats-error"' in page
    assert client.get(f"/stats/{text}.pdf").status_code == 404


@pytest.mark.parametrize(("text", "reason"), [
    ("2025Q4", "2004Q3 から 2025Q3 までの四半期を選べます"),  # not over yet
    ("2026Q1", "2004Q3 から 2025Q3 までの四半期を選べます"),
    ("2004Q2", "2004Q3 から 2025Q3 までの四半期を選べます"),  # before reports were accepted
    ("2025Q7", "「2025Q7」は四半期ではありません。2025Q3 のように指定してください。"),
])
def test_a_quarter_without_statistics_is_a_404_in_the_users_language(client, now, text, reason):
    response = client.get(f"/stats/{text}/")
    assert response.status_code == 404
    assert reason in _text(response)
    _english(client)
    response = client.get(f"/stats/{text}/")
    assert response.status_code == 404
    assert "Statistics not found" in _text(response)
    assert '<html lang="en">' in _text(response)


def test_a_bad_quarter_in_the_picker_is_a_400(client, now):
    response = client.get("/stats/", {"quarter": "next year"})
    assert response.status_code == 400
    assert "「next year」は四半期ではありません。" in _text(response)
    _english(client)
    response = client.get("/stats/", {"quarter": "2031Q1"})
    assert response.status_code == 400
    assert "There are no statistics for 2031Q1: quarters from 2004Q3 to 2025Q3 are available." in _text(response)


def test_an_unknown_download_format_is_a_404(client, now):
    response = client.get("/stats/2025Q3.xlsx")
    assert response.status_code == 404
    assert "「xlsx」形式のダウンロードはありません。" in _text(response)


def test_the_pages_are_read_only(client, now):
    for url in ("/stats/", "/stats/2025Q3/", "/stats/2025Q3.json"):
        assert client.post(url).status_code == 405


def test_the_policy_names_the_statistics_public():
    from earlywarn.cases.policy import PUBLIC_ACTIONS, may

    assert Action.STATS_VIEW in PUBLIC_ACTIONS
    assert may(Actor.anonymous(), Action.STATS_VIEW)
    assert not may(Actor.anonymous(), Action.QUEUE_VIEW)
