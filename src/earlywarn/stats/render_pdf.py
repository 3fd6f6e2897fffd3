"""The quarterly report as a PDF, laid out like the published report (A4, numbered sections, figure, table).

Pages are plain matplotlib figures written by ``PdfPages``: text, tables and charts are vector, set in
IPAexGothic (embedded as a TrueType subset with a ToUnicode map, so the Japanese text can be searched and
copied). Layout is a simple flow: a cursor moves down the page, a block that does not fit starts a new page,
a heading is never left alone at the foot of a page, and a long table continues on the next page under its
repeated header. Text widths are computed from the font's metrics class (``charts.text_width_in``), so the
layout needs no renderer round-trips and is deterministic.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from earlywarn.stats.charts import INK, MUTED, PALETTE, draw, text_width_in
from earlywarn.stats.document import ReportDocument, Section, Table

PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.85, 0.8, 0.85
CONTENT_W = PAGE_W - 2 * MARGIN_X
BODY_PT, TABLE_PT, CAPTION_PT = 9.5, 8.0, 8.5
LINE = 1.55  # line height in font sizes
NO_LINE_START = set("、。，．）」』】〕》〉!?,.)]:;%")

_TOKEN = re.compile(r"\s+|[A-Za-z0-9%$.,:;'’()\[\]/+\-–—_#@&*=<>!?\"“”]+|.", re.S)


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` inches: Latin words stay whole, Japanese breaks anywhere but
    before closing punctuation (kinsoku)."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        candidate = line + token
        if line and text_width_in(candidate.rstrip(), size) > width and token[0] not in NO_LINE_START:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in "WF" for ch in text)


class PdfLayout:
    def __init__(self, pdf: PdfPages, doc: ReportDocument, say: Callable[[str], None]) -> None:
        self.pdf, self.doc, self.say = pdf, doc, say
        self.page: Figure | None = None
        self.page_number = 0
        self.y = 0.0  # the cursor, inches from the bottom edge

    # pages ------------------------------------------------------------------------------------------------
    def new_page(self) -> Figure:
        self.finish_page()
        self.page_number += 1
        self.say(f"pdf page {self.page_number}")
        self.page = Figure(figsize=(PAGE_W, PAGE_H), facecolor="white")
        self.y = PAGE_H - MARGIN_TOP
        return self.page

    def finish_page(self) -> None:
        if self.page is None:
            return
        footer = f"{self.doc.title} — {self.doc.period}"
        self.text(footer, MARGIN_X, MARGIN_BOTTOM * 0.5, CAPTION_PT - 1, color=MUTED, va="center")
        self.text(f"{self.page_number}", PAGE_W - MARGIN_X, MARGIN_BOTTOM * 0.5, CAPTION_PT - 1, color=MUTED,
                  ha="right", va="center")
        self.pdf.savefig(self.page)
        self.page = None

    def need(self, height: float) -> Figure:
        if self.page is None or self.y - height < MARGIN_BOTTOM:
            return self.new_page()
        return self.page

    # primitives -------------------------------------------------------------------------------------------
    def text(self, text: str, x: float, y: float, size: float, *, color: str = INK, ha: str = "left",
             va: str = "baseline") -> None:
        assert self.page is not None
        self.page.text(x / PAGE_W, y / PAGE_H, text, fontsize=size, color=color, ha=ha, va=va)

    def rule(self, y: float, x0: float, x1: float, *, width: float = 0.6, color: str = INK) -> None:
        assert self.page is not None
        self.page.add_artist(Line2D([x0 / PAGE_W, x1 / PAGE_W], [y / PAGE_H, y / PAGE_H], linewidth=width,
                                    color=color, transform=self.page.transFigure))

    def paragraph(self, text: str, size: float = BODY_PT, *, indent: float = 0.0, color: str = INK,
                  after: float = 0.08) -> None:
        lines = wrap(text, CONTENT_W - indent, size)
        step = size * LINE / 72
        for line in lines:
            self.need(step)
            self.y -= step
            self.text(line, MARGIN_X + indent, self.y + step * 0.3, size, color=color)
        self.y -= after

    # blocks -----------------------------------------------------------------------------------------------
    def title(self) -> None:
        self.new_page()
        self.y -= 0.3
        for line in wrap(self.doc.title, CONTENT_W, 16):
            self.y -= 16 * LINE / 72
            self.text(line, PAGE_W / 2, self.y, 16, ha="center")
        self.y -= 13 * LINE / 72 + 0.05
        self.text(f"［{self.doc.period}］" if _wide(self.doc.period) else self.doc.period, PAGE_W / 2, self.y, 13,
                  ha="center")
        self.y -= 0.3
        self.rule(self.y, MARGIN_X, PAGE_W - MARGIN_X, width=1.2, color=PALETTE[0])
        self.y -= 0.25

    def heading(self, section: Section) -> None:
        size = 13.0 if section.level == 1 else 11.0
        first_block = 0.9 if (section.sentences or section.charts or section.tables) else 0.3
        self.need(size * LINE / 72 + first_block)
        self.y -= 0.12 if section.level == 1 else 0.04
        self.y -= size * LINE / 72
        self.text(f"{section.number}　{section.title}" if section.level > 1 else f"{section.number}. {section.title}",
                  MARGIN_X, self.y + 0.05, size, color=PALETTE[0] if section.level == 1 else INK)
        if section.level == 1:
            self.rule(self.y - 0.04, MARGIN_X, PAGE_W - MARGIN_X, width=0.8, color=PALETTE[0])
        self.y -= 0.1

    def chart(self, spec_index: int, section: Section, index: int) -> None:
        spec = section.charts[index]
        self.say(f"pdf figure {spec_index}: {spec.key}")
        caption_h = CAPTION_PT * LINE / 72
        page = self.need(spec.height + caption_h + 0.1)
        draw(spec, page, (MARGIN_X, self.y - spec.height, CONTENT_W, spec.height))
        self.y -= spec.height + caption_h
        self.text(spec.caption, PAGE_W / 2, self.y + 0.04, CAPTION_PT, ha="center")
        self.y -= 0.14

    def _column_widths(self, table: Table) -> list[float]:
        pad = 0.16
        cells = [max([text_width_in(row[i], TABLE_PT) for row in table.rows] + [0.3]) + pad
                 for i in range(len(table.headers))]
        heads = [text_width_in(h, TABLE_PT) + pad for h in table.headers]
        widths = [max(c, h) for c, h in zip(cells, heads, strict=True)]
        if sum(widths) <= CONTENT_W:
            return widths
        first = min(widths[0], CONTENT_W * 0.38)
        rest = (CONTENT_W - first) / max(len(widths) - 1, 1)
        return [first] + [max(c, min(h, rest)) for c, h in zip(cells[1:], heads[1:], strict=True)]

    def table(self, table: Table) -> None:
        widths = self._column_widths(table)
        total = sum(widths)
        x0 = MARGIN_X + max(0.0, (CONTENT_W - total) / 2)
        step = TABLE_PT * LINE / 72 + 0.02
        header_lines = [wrap(h, w - 0.12, TABLE_PT) or [""] for h, w in zip(table.headers, widths, strict=True)]
        header_h = max(len(lines) for lines in header_lines) * TABLE_PT * LINE / 72 + 0.06
        caption_h = CAPTION_PT * LINE / 72 + 0.04

        def start(caption: str) -> None:
            self.need(caption_h + header_h + step * min(len(table.rows), 3) + 0.1)
            self.y -= caption_h
            self.text(caption, PAGE_W / 2, self.y + 0.06, CAPTION_PT, ha="center")
            self.rule(self.y, x0, x0 + total, width=0.9)
            x = x0
            for lines, width, column in zip(header_lines, widths, range(len(widths)), strict=True):
                for row, line in enumerate(lines):
                    y = self.y - (row + 1) * TABLE_PT * LINE / 72
                    if column in table.numeric:
                        self.text(line, x + width - 0.06, y, TABLE_PT, ha="right")
                    else:
                        self.text(line, x + 0.06, y, TABLE_PT)
                x += width
            self.y -= header_h
            self.rule(self.y, x0, x0 + total, width=0.5)

        start(table.caption)
        for number, row in enumerate(table.rows):
            if self.y - step < MARGIN_BOTTOM:
                self.rule(self.y, x0, x0 + total, width=0.9)
                self.new_page()
                start(table.caption + " " + "(…)")
            self.y -= step
            x = x0
            sub = number in table.sub_rows
            for column, (cell, width) in enumerate(zip(row, widths, strict=True)):
                colour = MUTED if sub else INK
                if column in table.numeric:
                    self.text(cell, x + width - 0.06, self.y + 0.05, TABLE_PT, color=colour, ha="right")
                else:
                    self.text(cell, x + 0.06 + (0.16 if sub else 0), self.y + 0.05, TABLE_PT, color=colour)
                x += width
        self.rule(self.y - 0.02, x0, x0 + total, width=0.9)
        self.y -= 0.25


def report_pdf_bytes(doc: ReportDocument, *, progress: Callable[[str], None] | None = None) -> bytes:
    """The document as an A4 PDF."""
    say = progress or (lambda _line: None)
    buffer = io.BytesIO()
    metadata = {"Title": f"{doc.title} {doc.period}", "Author": "earlywarn", "Subject": doc.quarter,
                "Creator": "earlywarn", "Producer": "earlywarn (matplotlib)", "CreationDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        layout = PdfLayout(pdf, doc, say)
        layout.title()
        figure = 0
        for section in doc.sections:
            layout.heading(section)
            for sentence in section.sentences:
                layout.paragraph(sentence)
            if section.note:
                layout.paragraph(section.note, BODY_PT - 0.5, color=MUTED)
            for index in range(len(section.charts)):
                figure += 1
                layout.chart(figure, section, index)
            for table in section.tables:
                layout.table(table)
        layout.need(0.6)
        layout.y -= 0.15
        for note in doc.notes:
            layout.paragraph(f"・{note}" if doc.language == "ja" else f"• {note}", CAPTION_PT, color=MUTED,
                             after=0.02)
        layout.paragraph(doc.generated_by, CAPTION_PT, color=MUTED)
        layout.finish_page()
    say(f"pdf done: {layout.page_number} pages")
    return buffer.getvalue()
