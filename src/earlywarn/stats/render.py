"""The quarterly report in every published format: HTML, PDF, CSV and JSON (one report, four renderings).

``report_html`` / ``report_pdf`` draw the document of ``stats/document.py`` (so both say the same thing); CSV
and JSON are the engine's data as ``earlywarn stats quarterly`` prints them. The same functions serve the
command line and the public ``/stats/`` pages.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from earlywarn.stats.document import ReportDocument, Section, build_document
from earlywarn.stats.quarterly import report_rows

FORMATS = ("html", "pdf", "csv", "json")
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
                 "json": "application/json"}
Progress = Callable[[str], None] | None
CHART_WIDTH = 7.2  # inches: the charts' natural width in the HTML report


def export_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def export_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "row", "value"])
    writer.writerows(report_rows(report))
    return buffer.getvalue()


@dataclass(frozen=True)
class DrawnChart:
    key: str
    caption: str
    src: str  # data:image/svg+xml;base64,…
    width: int  # CSS pixels at the chart's natural size (the page scales it to its column)
    height: int


@dataclass(frozen=True)
class DrawnSection:
    section: Section
    charts: list[DrawnChart]


@dataclass(frozen=True)
class DrawnReport:
    doc: ReportDocument
    sections: list[DrawnSection]


def draw_report(doc: ReportDocument, *, progress: Progress = None) -> DrawnReport:
    """Every section with its charts drawn as SVG images."""
    from earlywarn.stats.charts import chart_figure, svg_data_uri  # matplotlib: only when drawing (chartspec.py)

    say = progress or (lambda _line: None)
    total = len(doc.charts())
    drawn: list[DrawnSection] = []
    count = 0
    for section in doc.sections:
        charts = []
        for spec in section.charts:
            count += 1
            say(f"chart {count}/{total}: {spec.key}")
            fig = chart_figure(spec, CHART_WIDTH)
            charts.append(DrawnChart(spec.key, spec.caption, svg_data_uri(fig), round(CHART_WIDTH * 96),
                                     round(spec.height * 96)))
        drawn.append(DrawnSection(section, charts))
    return DrawnReport(doc, drawn)


def stylesheet_uri() -> str:
    """The report's stylesheet (a static file of this package) as a data: URI, for the standalone HTML file."""
    path = finders.find("earlywarn/stats.css")
    css = b""
    if isinstance(path, str):
        with open(path, "rb") as handle:
            css = handle.read()
    return "data:text/css;base64," + base64.b64encode(css).decode("ascii")


def report_html(report: dict[str, Any], language: str, *, progress: Progress = None) -> str:
    """The report as one standalone HTML file (styles and charts inside it, nothing to fetch)."""
    with translation.override(language):
        drawn = draw_report(build_document(report, language), progress=progress)
        return render_to_string("stats/document.html", {"report": drawn, "stylesheet": stylesheet_uri()})


def report_pdf(report: dict[str, Any], language: str, *, progress: Progress = None) -> bytes:
    from earlywarn.stats.render_pdf import report_pdf_bytes  # matplotlib: only when drawing (chartspec.py)

    with translation.override(language):
        doc = build_document(report, language)
        return report_pdf_bytes(doc, progress=progress)


def render_as(report: dict[str, Any], fmt: str, language: str, *, progress: Progress = None) -> bytes:
    """The report in ``fmt`` (one of FORMATS) as bytes."""
    if fmt == "pdf":
        return report_pdf(report, language, progress=progress)
    if fmt == "html":
        return report_html(report, language, progress=progress).encode()
    if fmt == "csv":
        return export_csv(report).encode()
    if fmt == "json":
        return export_json(report).encode()
    raise ValueError(f"unknown format {fmt!r}")
