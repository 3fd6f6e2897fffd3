"""The report documents: charts with Japanese labels that render, the HTML, the PDF, and the command line."""

from __future__ import annotations

import base64
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from earlywarn.cases.flows import PRODUCT_CATEGORIES, WEBSITE_CATEGORIES
from earlywarn.config.cli import main
from earlywarn.stats.charts import (
    FONT_NAME,
    ChartSpec,
    chart_figure,
    figure_texts,
    font_codepoints,
    missing_glyphs,
    svg_document,
)
from earlywarn.stats.document import build_document, n
from earlywarn.stats.render import draw_report, export_csv, report_html, report_pdf
from tests import factories
from tests.stats.report_sample import full_report, partial_report

JST = ZoneInfo("Asia/Tokyo")
JA_HEADINGS = [
    "ソフトウエア等の脆弱性関連情報に関する届出状況", "2025年第4四半期（10月～12月）", "ソフトウエア製品の脆弱性",
    "ソフトウエア製品の届出の処理状況", "公表までに要した日数", "ウェブサイトの脆弱性", "修正に要した日数",
    "取扱いが長期化しているウェブサイト",
]


@pytest.fixture(scope="module")
def ja_pdf() -> bytes:
    return report_pdf(full_report(), "ja")


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _fonts(data: bytes) -> list[dict[str, Any]]:
    """Every font of every page: its name and whether its glyphs are embedded."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for item in descendants:
                descriptor = item.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor else {}
                found.append({"name": str(item.get("/BaseFont", "")), "embedded": "/FontFile2" in descriptor,
                              "to_unicode": "/ToUnicode" in font})
    return found


# --- the PDF --------------------------------------------------------------------------------------------------


def test_the_pdf_is_valid_with_ipaexgothic_embedded_and_japanese_headings_extractable(ja_pdf):
    assert ja_pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(ja_pdf))
    assert len(reader.pages) >= 4
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait, in points
    fonts = _fonts(ja_pdf)
    assert fonts
    assert all(FONT_NAME in font["name"] and font["embedded"] and font["to_unicode"] for font in fonts), fonts
    text = _pdf_text(ja_pdf)
    for heading in JA_HEADINGS:
        assert heading in text, heading
    assert "\ufffd" not in text
    assert "19,859" in text  # the key number of section 1, in its sentence and table


def test_the_pdf_states_each_sections_key_number_in_a_sentence(ja_pdf):
    text = re.sub(r"\s+", "", _pdf_text(ja_pdf))  # extraction breaks lines where the layout wrapped them
    for sentence in ("累計は19,859件", "公表済みのものは3,116件", "45日以内に公表されたものは28%", "修正完了は8,891件",
                     "30日以内に修正されたものは52%", "修正完了の報告がないものは1,050件"):
        assert sentence in text, sentence


def test_an_english_pdf_has_english_headings():
    text = _pdf_text(report_pdf(full_report(), "en"))
    assert "Reports of vulnerability-related information on software products and websites" in text
    assert "Q4 2025 (October–December)" in text
    assert "Status of software product reports" in text


def test_sections_the_engine_does_not_produce_yet_say_so():
    doc = build_document(partial_report(), "ja")
    missing = [s.number for s in doc.sections if s.note == "この統計はまだ集計していません。"]
    assert missing == ["2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3.2", "3.3", "3.4", "3.5", "3.6"]
    text = _pdf_text(report_pdf(partial_report(), "ja"))
    assert "この統計はまだ集計していません。" in text
    html = report_html(partial_report(), "en")
    assert html.count("Not yet available.") == len(missing)


def test_null_or_absent_parts_of_a_statistic_are_shown_as_dashes_not_errors():
    report = full_report()
    report["jvn"] = {"domestic_published": 3116, "overseas": None, "total": None}
    report["days_to_fix"]["by_type"] = None
    report["prolonged"]["previous_year_count"] = None
    report["breakdowns"]["base"] = None
    del report["previous_year"]
    doc = build_document(report, "en")
    jvn = next(s for s in doc.sections if s.number == "2.2")
    assert jvn.tables[0].rows[1][1] == "—"
    assert report_pdf(report, "en").startswith(b"%PDF-")


# --- the charts: labels in Japanese, and every glyph exists -------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_character_of_every_chart_label_is_in_the_font(language):
    doc = build_document(full_report(), language)
    assert len(doc.charts()) == 13
    for spec in doc.charts():
        fig = chart_figure(spec)
        texts = figure_texts(fig)
        assert texts, spec.key
        assert missing_glyphs(texts) == set(), spec.key
        assert missing_glyphs(spec.labels()) == set(), spec.key
    # and the document's own text (headings, sentences, tables, notes) that the PDF sets in the same font
    words = [doc.title, doc.period, *doc.notes]
    for section in doc.sections:
        words += [section.title, section.note, *section.sentences]
        for table in section.tables:
            words += [table.caption, *table.headers, *(cell for row in table.rows for cell in row)]
    assert missing_glyphs(words) == set()


def test_the_glyph_check_would_catch_a_missing_glyph():
    assert ord("公") in font_codepoints()
    assert missing_glyphs(["公表済み", "\U0001f600", "𠮷野家"]) == {"\U0001f600", "𠮷"}


def test_the_japanese_charts_are_labelled_in_japanese():
    doc = build_document(full_report(), "ja")
    status = next(spec for spec in doc.charts() if spec.key == "product_status")
    texts = figure_texts(chart_figure(status))
    wanted = {"公表済み", "個別対応", "脆弱性ではない", "取扱い中", "不受理", "うち調整不能", "うち連絡不能開発者"}
    assert wanted <= set(texts)
    assert "2025年第4四半期" in texts
    assert "2024年第4四半期" in texts
    series = next(spec for spec in doc.charts() if spec.key == "series")
    assert {"累計届出件数", "1就業日あたりの届出件数"} <= set(figure_texts(chart_figure(series)))


@pytest.mark.parametrize(("key", "categories", "subs"), [
    ("product_status", PRODUCT_CATEGORIES, {"published": ["coordination_impossible"],
                                            "in_handling": ["unreachable_listed"]}),
    ("website_status", WEBSITE_CATEGORIES, {"fixed": ["page_deleted", "workaround"]}),
])
def test_sub_statuses_are_drawn_inside_their_status_not_as_extra_slices(key, categories, subs):
    report = full_report()
    spec = next(s for s in build_document(report, "en").charts() if s.key == key)
    current = spec.data["bars"][-1]
    assert [segment["label"] for segment in current["segments"]] == [c.en for c in categories]
    flow_total = report["reports"]["product" if key == "product_status" else "website"]
    assert sum(segment["value"] for segment in current["segments"]) == flow_total  # a partition, nothing added
    for category, segment in zip(categories, current["segments"], strict=True):
        wanted = [report[key][code] for code in subs.get(category.code, [])]
        assert [sub["value"] for sub in segment["subs"]] == wanted
        assert sum(wanted) <= segment["value"]


def test_charts_are_drawn_safely_from_several_threads_at_once():
    specs = build_document(full_report(), "ja").charts()

    def svg(index: int) -> str:
        return svg_document(chart_figure(specs[index % len(specs)]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(svg, range(len(specs) * 2)))
    assert together == [svg(i) for i in range(len(specs) * 2)]  # the same drawings as one at a time


# --- the HTML -------------------------------------------------------------------------------------------------


def _json_numbers(report: dict[str, Any]) -> set[str]:
    """Every count and rate of the report as the documents write it."""
    out: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, bool) or value is None or key in {"min", "max", "pct", "threshold_days"}:
            return
        elif isinstance(value, int):
            out.add(n(value))
        elif isinstance(value, float):
            out.add(f"{value:.2f}")

    walk(report)
    return out


def test_the_html_report_contains_every_number_of_the_json():
    report = full_report()
    html = report_html(report, "ja")
    text = re.sub(r"<img [^>]*>", "", html)  # the tables and sentences, not the charts
    missing = {number for number in _json_numbers(report) if number not in text}
    assert missing == set()
    for item in report["breakdowns"]["website_vulnerability_type"]:
        assert f"{item['pct']:.1f}%" in text


def test_the_html_report_is_one_standalone_file_with_its_charts_as_svg_images():
    html = report_html(full_report(), "en")
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html
    sources = re.findall(r'<img src="([^"]+)" alt="(Figure \d+: [^"]+)" width="691" height="\d+">', html)
    assert len(sources) == 13
    for src, _alt in sources:
        assert src.startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(src.split(",", 1)[1]).decode()
        assert "<svg" in svg
        assert "<script" not in svg
        assert "xlink:href=\"http" not in svg
        assert "<text" not in svg  # glyphs as outlines: the reader needs no Japanese font
    stylesheet = re.search(r'<link rel="stylesheet" href="data:text/css;base64,([^"]+)">', html)
    assert stylesheet is not None
    assert b"figure.chart img" in base64.b64decode(stylesheet.group(1))  # nothing to fetch
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_drawing_reports_progress_per_chart():
    lines: list[str] = []
    draw_report(build_document(full_report(), "ja"), progress=lines.append)
    assert lines[0] == "chart 1/13: series"
    assert lines[-1] == "chart 13/13: prolonged_type"


# --- the command line -----------------------------------------------------------------------------------------


@pytest.fixture
def small_history(db, administrator):
    with time_machine.travel(datetime(2025, 8, 4, 10, 0, tzinfo=JST), tick=False):
        factories.submit("product")
        factories.submit("website")
        factories.submit("website", url="https://shop.example.test/")


def test_the_command_writes_pdf_and_html_and_shows_progress(small_history, capsys, tmp_path):
    target = tmp_path / "report.pdf"
    assert main(["stats", "quarterly", "2025Q3", "--format", "pdf", "--output", str(target)]) == 0
    err = capsys.readouterr().err
    assert "… series 12/12" in err
    assert "… pdf page 1" in err
    assert "pdf figure 1: series" in err
    assert f"wrote {target}" in err
    text = _pdf_text(target.read_bytes())
    assert "2025年第3四半期" in text
    assert "累計は3件（ソフトウエア製品 1件、ウェブサイト 2件）" in re.sub(r"\n", "", text)

    page = tmp_path / "report.html"
    assert main(["stats", "quarterly", "2025Q3", "--format", "html", "--language", "en", "--output", str(page)]) == 0
    err = capsys.readouterr().err
    assert "… chart 1/" in err
    html = page.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "Q3 2025 (July–September)" in html


def test_the_command_writes_a_pdf_to_standard_output(small_history, capsysbinary):
    assert main(["stats", "quarterly", "2025Q3", "--format", "pdf"]) == 0
    out, _err = capsysbinary.readouterr()
    assert out.startswith(b"%PDF-")
    assert out.rstrip().endswith(b"%%EOF")


def test_csv_and_json_exports_are_what_the_command_prints(small_history, capsys):
    from earlywarn.stats.quarterly import Quarter, quarterly_report

    report = quarterly_report(Quarter(2025, 3))
    assert main(["stats", "quarterly", "2025Q3", "--format", "csv"]) == 0
    assert capsys.readouterr().out == export_csv(report)
    assert main(["stats", "quarterly", "2025Q3"]) == 0
    assert json.loads(capsys.readouterr().out) == report


def test_a_long_breakdown_is_grouped_in_the_chart_but_listed_in_full_in_the_table():
    report = full_report()
    report["breakdowns"]["product_type"] = [{"name": f"種類{i}", "count": 100 - i, "pct": None} for i in range(30)]
    section = next(s for s in build_document(report, "ja").sections if s.number == "2.4")
    chart = section.charts[0].data
    assert len(chart["labels"]) == 15
    assert chart["labels"][-1] == "その他16分類"
    assert sum(chart["values"]) == sum(100 - i for i in range(30))
    assert len(section.tables[0].rows) == 30
    assert section.tables[0].rows[0] == ["種類0", "100", f"{100 / 5771 * 100:.1f}%"]  # computed share


def test_what_the_engine_could_not_measure_or_classify_is_said():
    report = full_report()
    report["days_to_fix"]["unmeasured"] = 5
    report["jvn"]["developer_self"] = 12
    report["breakdowns"]["threat"].append({"name": "unknown", "count": 3, "pct": 0.0})
    doc = build_document(report, "ja")
    sections = {s.number: s for s in doc.sections}
    assert "必要な日付が記録されていない5件は、ここでは集計に含めていません。" in sections["3.2"].sentences
    assert ["うち製品開発者自身からの届出", "12"] in sections["2.2"].tables[0].rows
    assert sections["2.2"].tables[0].sub_rows == {1}
    assert ["不明", "3", "0.0%"] in sections["3.4"].tables[0].rows


def test_not_recorded_comes_last_and_is_never_called_the_most_frequent():
    report = full_report()
    report["breakdowns"]["threat"] = [{"name": "unknown", "count": 9000, "pct": 68.3},
                                      {"name": "data_tampering", "count": 4171, "pct": 31.7}]
    report["breakdowns"]["operator_type"] = [{"name": "unknown", "count": 13171, "pct": 100.0}]
    sections = {s.number: s for s in build_document(report, "ja").sections}
    threat = sections["3.4"]
    assert threat.sentences == [
        "脅威別では「データの改ざん、消去」が最も多く、不受理を除く13,171件のうち4,171件（31.7%）です。"]
    assert [row[0] for row in threat.tables[0].rows] == ["データの改ざん、消去", "不明"]
    assert sections["3.5"].sentences[0] == "これらの届出には、この分類が記録されていません。"


@pytest.mark.parametrize("kind", ["series", "columns"])
def test_count_axes_of_an_empty_report_tick_whole_numbers_only(kind):
    """A platform with no reports yet drew 0, 0, 0, 1, 1 on its count axes (0.2 steps shown as integers)."""
    data: dict[str, Any] = (
        {"quarters": ["2026\n2Q", "2026\n3Q"], "totals": [0, 0], "rates": [0.0, 0.0],
         "total_label": "累計届出件数", "rate_label": "1就業日あたりの届出件数"}
        if kind == "series" else {"labels": ["0–45", "46–100"], "values": [0, 0], "value_label": "件数"})
    fig = chart_figure(ChartSpec(key=kind, kind=kind, caption="図", data=data))
    ticks = [text.get_text() for text in fig.axes[0].get_yticklabels()]
    assert ticks
    assert len(ticks) == len(set(ticks)), ticks


def test_the_site_and_the_json_report_do_not_load_matplotlib(tmp_path):
    """matplotlib (~0.5 s and tens of MB per worker) loads only when a chart is drawn."""
    import os
    import subprocess
    import sys

    code = ("import sys, django; django.setup()\n"
            "from django.urls import resolve; resolve('/stats/')\n"
            "from earlywarn.stats.document import build_document\n"
            "from earlywarn.stats import render, views\n"
            "print('matplotlib' in sys.modules)\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "earlywarn.config.settings", "EARLYWARN_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert run.stdout.strip() == "False", run.stderr


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_priority_information_given_yet_reads_without_empty_brackets(language):
    report = full_report()
    report["priority_provision"] = {"since": "2018-04-01", "period": {}, "cumulative": {}}
    section = next(s for s in build_document(report, language).sections if s.number == "2.7")
    assert "()" not in section.sentences[0]
    assert "（）" not in section.sentences[0]
    assert n(0) in section.sentences[0]
