"""The figures of the quarterly report, drawn with matplotlib (decision 0005).

Each chart is a ``ChartSpec``: its kind and its data with every label already translated (``stats/document.py``
builds them). ``draw(spec, figure, rect)`` draws it into a rectangle of a figure, so the same code draws a chart
alone (``chart_figure`` → SVG for the HTML report) and on a page of the PDF (``stats/render_pdf.py``).

Thread safety: nothing here touches pyplot or its global figure manager; every chart is a fresh
``matplotlib.figure.Figure`` owned by the caller. The only global state, the font and output settings below,
is set once at import and never changed, so request threads may draw concurrently.

Every label is drawn with IPAexGothic, the font ``matplotlib-fontja`` ships as package data, so a machine with
only Python renders Japanese without a system font; ``missing_glyphs`` proves it for a drawn figure.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")  # no GUI backend, ever; pyplot itself is never imported

import matplotlib_fontja  # registers IPAexGothic with matplotlib's font manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator

from earlywarn.stats.chartspec import ChartSpec

FONT_NAME = "IPAexGothic"
FONT_PATH = matplotlib_fontja.get_font_ttf_path()

matplotlib.rcParams.update({
    "font.family": [FONT_NAME],
    "font.size": 9,
    "axes.unicode_minus": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",  # glyphs as shapes: the browser needs no Japanese font
    "svg.hashsalt": "earlywarn",  # stable ids, stable output
    "pdf.fonttype": 42,  # TrueType, embedded as a subset with a ToUnicode map: the text stays extractable
    "pdf.compression": 6,
    "hatch.linewidth": 0.6,
})

# Blue-led palette readable in print and by most colour-blind readers (Okabe–Ito order, blue first).
PALETTE = ("#0b5cad", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#7f7f7f",
           "#1d2330", "#a6cee3", "#b2df8a", "#fb9a99")
INK = "#1d2330"
MUTED = "#5b6472"
GRID = "#d9dde3"
LABEL_PT = 8.0
HATCHES = ("////", "\\\\\\\\", "xxxx", "....")
_TEXT_TO_PATH = TextToPath()


# --------------------------------------------------------------------------------------------------------------
# Measuring text without a renderer (layout is computed, not searched for: fast and deterministic)
# --------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def text_width_in(text: str, size_pt: float) -> float:
    """Width of ``text`` set in IPAexGothic at ``size_pt``, in inches, from the font's own advance widths."""
    if not text:
        return 0.0
    width, _height, _descent = _TEXT_TO_PATH.get_text_width_height_descent(
        text.replace("\n", " "), FontProperties(family=FONT_NAME, size=size_pt), ismath=False)
    return float(width) / 72.0


def fmt_count(value: float) -> str:
    return f"{int(value):,}"


# --------------------------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------------------------


class Box:
    """A rectangle of a figure in inches (left, bottom, width, height), turned into figure fractions on demand."""

    def __init__(self, fig: FigureBase, rect: tuple[float, float, float, float]) -> None:
        self.fig = fig
        width, height = fig.get_figure(root=True).get_size_inches()
        self.fig_w, self.fig_h = float(width), float(height)
        self.left, self.bottom, self.width, self.height = rect

    def axes(self, left: float, bottom: float, right: float, top: float) -> Axes:
        """Axes inside the box, with margins in inches."""
        x0 = (self.left + left) / self.fig_w
        y0 = (self.bottom + bottom) / self.fig_h
        w = max(self.width - left - right, 0.5) / self.fig_w
        h = max(self.height - bottom - top, 0.4) / self.fig_h
        return self.fig.add_axes((x0, y0, w, h))

    def legend_anchor(self) -> tuple[float, float]:
        return self.left / self.fig_w, self.bottom / self.fig_h


def _style(ax: Axes, *, grid_axis: Literal["x", "y"] | None) -> None:
    ax.tick_params(colors=INK, labelsize=LABEL_PT, length=2)
    if grid_axis is not None:
        ax.grid(axis=grid_axis, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color(MUTED)
        spine.set_linewidth(0.6)


def _legend(fig: FigureBase, box: Box, handles: list[Any], labels: list[str], rows_height: float) -> None:
    x, y = box.legend_anchor()
    fig.legend(handles, labels, loc="lower left", bbox_to_anchor=(x, y, box.width / box.fig_w,
                                                                   rows_height / box.fig_h),
               ncols=max(1, min(len(labels), int(box.width / 2.1))), fontsize=LABEL_PT - 0.5, frameon=False,
               handlelength=1.2, columnspacing=1.6, borderaxespad=0.0)


def _legend_height(labels: Sequence[str], width: float) -> float:
    per_row = max(1, min(len(labels), int(width / 2.1)))
    rows = -(-len(labels) // per_row)
    return 0.22 * rows + 0.06


def _draw_series(fig: FigureBase, box: Box, data: dict[str, Any]) -> None:
    quarters, totals, rates = data["quarters"], data["totals"], data["rates"]
    widest = max((text_width_in(fmt_count(v), LABEL_PT) for v in totals), default=0.3)
    ax = box.axes(left=widest + 0.25, bottom=0.62, right=0.55, top=0.12)
    _style(ax, grid_axis="y")
    positions = list(range(len(quarters)))
    bars = ax.bar(positions, totals, color=PALETTE[0], width=0.62, label=data["total_label"])
    ax.set_xticks(positions, quarters, fontsize=LABEL_PT - 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.2-steps drawn as 0, 0, 1, 1
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt_count(v))
    low, high = min(totals, default=0), max(totals, default=1)
    if high > 0 and low > high * 0.6:  # cumulative totals move little: show the movement, like the report
        span = max(high - low, 1)
        ax.set_ylim(max(0, low - span * 1.5), high + span * 1.6)
    else:
        ax.set_ylim(0, max(high, 1) * 1.6)
    rate_axis = ax.twinx()
    rate_axis.spines["right"].set_visible(True)
    rate_axis.spines["top"].set_visible(False)
    _style(rate_axis, grid_axis=None)
    line = rate_axis.plot(positions, rates, color=PALETTE[1], marker="o", markersize=3.5, linewidth=1.6,
                          label=data["rate_label"])[0]
    for x, rate in zip(positions, rates, strict=True):
        rate_axis.annotate(f"{rate:.2f}", (x, rate), textcoords="offset points", xytext=(0, 4), ha="center",
                           fontsize=LABEL_PT - 1.5, color=INK)
    r_low, r_high = min(rates, default=0.0), max(rates, default=1.0)
    r_span = max(r_high - r_low, 0.05)
    if r_high > 0:
        rate_axis.set_ylim(max(0.0, r_low - r_span * 3.5), r_high + r_span * 0.6)  # the line above the bars
    else:
        rate_axis.set_ylim(0.0, 1.0)
    _legend(fig, box, [bars, line], [data["total_label"], data["rate_label"]], 0.28)


def _draw_status(fig: FigureBase, box: Box, data: dict[str, Any]) -> None:
    bars = data["bars"]
    segments = bars[0]["segments"] if bars else []
    legend_labels = [segment["label"] for segment in segments]
    subs = [sub["label"] for segment in segments for sub in segment.get("subs", [])]
    legend_h = _legend_height(legend_labels + subs, box.width)
    widest = max((text_width_in(bar["label"], LABEL_PT) for bar in bars), default=0.5)
    ax = box.axes(left=widest + 0.15, bottom=legend_h + 0.32, right=0.15, top=0.08)
    _style(ax, grid_axis="x")
    handles: list[Any] = []
    labels: list[str] = []
    sub_handles: list[Any] = []
    sub_labels: list[str] = []
    for row, bar in enumerate(reversed(bars)):
        total = sum(segment["value"] for segment in bar["segments"]) or 1
        hatches = 0
        start = 0.0
        for index, segment in enumerate(bar["segments"]):
            share = segment["value"] / total * 100
            colour = PALETTE[index % len(PALETTE)]
            patch = ax.barh(row, share, left=start, color=colour, height=0.55, edgecolor="white", linewidth=0.6)
            if row == len(bars) - 1:
                handles.append(patch)
                labels.append(segment["label"])
            if share >= 6:
                ax.text(start + share / 2, row, fmt_count(segment["value"]), ha="center", va="center",
                        fontsize=LABEL_PT - 1, color="white" if index in {0, 2, 5, 8} else INK)
            sub_start = start
            for sub in segment.get("subs", []):
                sub_share = sub["value"] / total * 100
                hatch = HATCHES[hatches % len(HATCHES)]
                hatches += 1
                sub_patch = ax.barh(row, sub_share, left=sub_start, height=0.55, color="none",
                                    edgecolor=INK, hatch=hatch, linewidth=0)
                if row == len(bars) - 1:
                    sub_handles.append(sub_patch)
                    sub_labels.append(sub["label"])
                sub_start += sub_share
            start += share
    ax.set_yticks(range(len(bars)), [bar["label"] for bar in reversed(bars)], fontsize=LABEL_PT)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.5, len(bars) - 0.5)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    _legend(fig, box, handles + sub_handles, labels + sub_labels, legend_h)


def _fit(label: str, width: float, size: float) -> str:
    """``label`` on two lines, broken at a space, when it is wider than ``width``."""
    if text_width_in(label, size) <= width or " " not in label:
        return label
    words = label.split(" ")
    best = min(range(1, len(words)), key=lambda i: max(text_width_in(" ".join(words[:i]), size),
                                                       text_width_in(" ".join(words[i:]), size)))
    return " ".join(words[:best]) + "\n" + " ".join(words[best:])


def _draw_columns(fig: FigureBase, box: Box, data: dict[str, Any]) -> None:
    labels, values = data["labels"], data["values"]
    widest = max((text_width_in(fmt_count(v), LABEL_PT) for v in values), default=0.3)
    slot = (box.width - widest - 0.4) / max(len(labels), 1)
    labels = [_fit(label, slot * 0.92, LABEL_PT - 0.5) for label in labels]
    longest = max((text_width_in(line, LABEL_PT - 0.5) for label in labels for line in label.split("\n")),
                  default=0.3)
    rotate = longest > slot * 0.92
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    bottom = 0.2 + (min(longest, 1.3) * 0.6 if rotate else lines * (LABEL_PT + 1) / 72)
    ax = box.axes(left=widest + 0.3, bottom=bottom, right=0.1, top=0.22)
    _style(ax, grid_axis="y")
    positions = list(range(len(labels)))
    highlight = set(data.get("highlight", []))
    colours = [PALETTE[1] if i in highlight else PALETTE[0] for i in positions]
    ax.bar(positions, values, color=colours, width=0.66)
    ax.set_xticks(positions, labels, fontsize=LABEL_PT - 0.5, rotation=35 if rotate else 0,
                  ha="right" if rotate else "center", rotation_mode="anchor")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.2-steps drawn as 0, 0, 1, 1
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt_count(v))
    ax.set_ylabel(data.get("value_label", ""), fontsize=LABEL_PT - 0.5, color=MUTED)
    top = max(values, default=0)
    ax.set_ylim(0, top * 1.15 if top else 1)
    for x, value in zip(positions, values, strict=True):
        ax.annotate(fmt_count(value), (x, value), textcoords="offset points", xytext=(0, 2), ha="center",
                    fontsize=LABEL_PT - 1.5, color=INK)


def _draw_shares(fig: FigureBase, box: Box, data: dict[str, Any]) -> None:
    rows = sorted(zip(data["labels"], data["values"], data["pcts"], strict=True), key=lambda r: -r[1])
    widest = max((text_width_in(label, LABEL_PT) for label, _v, _p in rows), default=0.5)
    ax = box.axes(left=min(widest, box.width * 0.45) + 0.15, bottom=0.32, right=0.75, top=0.08)
    _style(ax, grid_axis="x")
    positions = list(range(len(rows)))[::-1]
    ax.barh(positions, [v for _l, v, _p in rows], color=PALETTE[0], height=0.62)
    ax.set_yticks(positions, [label for label, _v, _p in rows], fontsize=LABEL_PT)
    ax.xaxis.set_major_formatter(lambda v, _pos: fmt_count(v))
    top = max((v for _l, v, _p in rows), default=0)
    ax.set_xlim(0, top * 1.02 if top else 1)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    for y, (_label, value, pct) in zip(positions, rows, strict=True):
        text = fmt_count(value) if pct is None else f"{fmt_count(value)} ({pct})"
        ax.annotate(text, (value, y), textcoords="offset points", xytext=(3, 0), va="center",
                    fontsize=LABEL_PT - 1, color=INK, annotation_clip=False)


def _draw_stacked(fig: FigureBase, box: Box, data: dict[str, Any]) -> None:
    rows, series = data["rows"], data["series"]
    legend_labels = [item["label"] for item in series]
    legend_h = _legend_height(legend_labels, box.width)
    widest = max((text_width_in(label, LABEL_PT) for label in rows), default=0.5)
    ax = box.axes(left=min(widest, box.width * 0.45) + 0.15, bottom=legend_h + 0.32, right=0.15, top=0.08)
    _style(ax, grid_axis="x")
    totals = [sum(item["values"][i] for item in series) or 1 for i in range(len(rows))]
    positions = list(range(len(rows)))[::-1]
    lefts = [0.0] * len(rows)
    handles = []
    for index, item in enumerate(series):
        shares = [value / total * 100 for value, total in zip(item["values"], totals, strict=True)]
        handles.append(ax.barh(positions, shares, left=lefts, height=0.6, color=PALETTE[index % len(PALETTE)],
                               edgecolor="white", linewidth=0.5))
        lefts = [left + share for left, share in zip(lefts, shares, strict=True)]
    ax.set_yticks(positions, rows, fontsize=LABEL_PT)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    _legend(fig, box, handles, legend_labels, legend_h)


DRAWERS = {"series": _draw_series, "status": _draw_status, "columns": _draw_columns, "shares": _draw_shares,
           "stacked": _draw_stacked}


def draw(spec: ChartSpec, fig: FigureBase, rect: tuple[float, float, float, float]) -> None:
    """Draw ``spec`` into ``rect`` (left, bottom, width, height in inches) of ``fig``."""
    DRAWERS[spec.kind](fig, Box(fig, rect), spec.data)


def chart_figure(spec: ChartSpec, width: float = 7.2) -> Figure:
    """The chart alone, on a fresh figure of its own (never pyplot's)."""
    fig = Figure(figsize=(width, spec.height), facecolor="white")
    draw(spec, fig, (0.0, 0.0, width, spec.height))
    return fig


# --------------------------------------------------------------------------------------------------------------
# SVG, for the HTML report
# --------------------------------------------------------------------------------------------------------------


def svg_document(fig: Figure) -> str:
    """The figure as a standalone SVG document, glyphs as outlines, without a date (the same chart, the same bytes)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def svg_data_uri(fig: Figure) -> str:
    """The figure as a ``data:`` URI for an ``<img>``: part of the HTML (nothing to fetch), allowed by the site's
    CSP (``img-src 'self' data:``), and isolated from the page (an image runs no script and shares no ids)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg_document(fig).encode()).decode("ascii")


# --------------------------------------------------------------------------------------------------------------
# The glyph check ("no tofu")
# --------------------------------------------------------------------------------------------------------------


@cache
def font_codepoints() -> frozenset[int]:
    """Every code point IPAexGothic has a glyph for (its cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(FONT_PATH, lazy=True) as font:
        return frozenset(font.getBestCmap())


def figure_texts(fig: Figure) -> list[str]:
    """Every text drawn on the figure: titles, tick labels, annotations, legends."""
    return [text.get_text() for text in fig.findobj(Text) if text.get_visible() and text.get_text()]


def missing_glyphs(texts: Iterable[str]) -> set[str]:
    """Characters of ``texts`` that IPAexGothic cannot draw (would be boxes); whitespace excluded."""
    have = font_codepoints()
    return {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in have}
