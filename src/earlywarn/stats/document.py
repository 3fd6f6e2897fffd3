"""The quarterly report as a document: numbered sections, each with sentences, figures and tables.

``build_document(report, language)`` turns the engine's JSON (``stats/quarterly.py``) into the structure of the
published report (IPA 「ソフトウエア等の脆弱性関連情報に関する届出状況」): title and quarter, then numbered sections,
each stating its key numbers in a sentence, with its figure and its table. The HTML and the PDF renderers draw
this one structure, so both documents always say the same thing.

Status labels come from the flow tables (``cases/flows.py``) and category labels from ``cases/categories.py``,
where they are declared once; every other text is a gettext msgid. A section whose data the engine does not
(yet) produce is kept, with the note "Not yet available".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import translation
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from earlywarn.cases import categories
from earlywarn.cases.flows import (
    P_COORDINATION_IMPOSSIBLE,
    P_UNREACHABLE,
    PRODUCT_CATEGORIES,
    W_PAGE_DELETED,
    W_WORKAROUND,
    WEBSITE_CATEGORIES,
    Category,
)
from earlywarn.stats.chartspec import ChartSpec
from earlywarn.stats.quarterly import Quarter

# §3.7: which sub-status is drawn inside which category (an inclusion, never a slice of its own).
PRODUCT_SUBS: dict[str, tuple[Category, ...]] = {"published": (P_COORDINATION_IMPOSSIBLE,),
                                                  "in_handling": (P_UNREACHABLE,)}
UNKNOWN = frozenset({"unknown", None, ""})  # the engine's names for "not recorded"
CHART_ROWS = 15  # categories a breakdown chart shows; the rest are grouped in its last bar
WEBSITE_SUBS: dict[str, tuple[Category, ...]] = {"fixed": (W_PAGE_DELETED, W_WORKAROUND)}


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # right-aligned columns
    sub_rows: frozenset[int] = frozenset()  # rows that are an "of which" of the row above


@dataclass
class Section:
    number: str
    title: str
    sentences: list[str] = field(default_factory=list)
    charts: list[ChartSpec] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str = ""  # e.g. "Not yet available."

    @property
    def level(self) -> int:
        return self.number.count(".") + 1

    @property
    def anchor(self) -> str:
        return "s" + self.number.replace(".", "-")


@dataclass
class ReportDocument:
    quarter: str
    language: str
    title: str
    period: str
    sections: list[Section]
    notes: list[str]
    generated_by: str

    def charts(self) -> list[ChartSpec]:
        return [chart for section in self.sections for chart in section.charts]


# --------------------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------------------


def n(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def pct(value: Any) -> str:
    """A share as the engine gives it: whole numbers as published ("28%"), anything else to one decimal."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value}%"
    return f"{float(value):.1f}%"


def share(count: Any, base: Any) -> float | None:
    if count is None or not base:
        return None
    return round(float(count) / float(base) * 100, 1)


def _share_of(item: dict[str, Any], computed: float | None) -> Any:
    """The engine's share where it gives one, else the one computed from the count and the base."""
    given = item.get("pct")
    return computed if given is None else given


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def quarter_period(quarter: Quarter) -> str:
    first, last = MONTHS[quarter.number * 3 - 2], MONTHS[quarter.number * 3]
    return _("Q%(number)s %(year)s (%(first)s–%(last)s)") % {
        "number": quarter.number, "year": quarter.year, "first": first, "last": last}


def quarter_short(text: str) -> str:
    """A quarter for axis ticks: 2025\\n4Q, as the published figures write it."""
    quarter = Quarter.parse(text)
    return f"{quarter.year}\n{quarter.number}Q"


def quarter_name(text: str) -> str:
    quarter = Quarter.parse(text)
    return _("Q%(number)s %(year)s") % {"number": quarter.number, "year": quarter.year}


def _date(text: Any) -> str:
    try:
        return date_format(date.fromisoformat(str(text)), "DATE_FORMAT")
    except ValueError:
        return str(text)


def _category_label(category: Category, language: str) -> str:
    return category.en if language == "en" else category.ja


def _name(table_name: str, code: Any, language: str) -> str:
    if code in UNKNOWN:  # the engine's name for reports without this attribute
        return _("Not recorded")
    table: dict[str, tuple[str, str]] = getattr(categories, table_name, {})
    return categories.label(table, str(code), language)


BREAKDOWN_TABLES = {"product_type": "PRODUCT_TYPES", "cause": "PRODUCT_CAUSES",
                    "website_vulnerability_type": "WEBSITE_VULNERABILITY_TYPES", "threat": "WEBSITE_THREATS",
                    "operator_type": "WEBSITE_OPERATOR_TYPES"}


def bin_label(item: dict[str, Any]) -> str:
    low, high = item.get("min"), item.get("max")
    if low is None and high is None:
        return str(item.get("label", ""))
    if high is None:
        return _("%(min)s days or more") % {"min": low}
    if low is None:
        return _("up to %(max)s days") % {"max": high}
    if low == high:
        return _("%(min)s days") % {"min": low}
    return _("%(min)s–%(max)s days") % {"min": low, "max": high}


# --------------------------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, report: dict[str, Any], language: str) -> None:
        self.report = report
        self.language = language
        self.quarter = Quarter.parse(report["quarter"])
        self.figures = 0
        self.tables = 0

    # numbering ---------------------------------------------------------------------------------------------
    def chart(self, key: str, kind: str, title: str, data: dict[str, Any], height: float = 2.8) -> ChartSpec:
        self.figures += 1
        caption = _("Figure %(number)s: %(title)s") % {"number": self.figures, "title": title}
        return ChartSpec(key=key, kind=kind, caption=caption, data=data, height=height)

    def table(self, title: str, headers: list[str], rows: list[list[str]], *, numeric: set[int] | None = None,
              sub_rows: set[int] | None = None) -> Table:
        self.tables += 1
        caption = _("Table %(number)s: %(title)s") % {"number": self.tables, "title": title}
        return Table(caption, headers, rows, frozenset(numeric if numeric is not None else
                                                        range(1, len(headers))), frozenset(sub_rows or ()))

    @staticmethod
    def unavailable(number: str, title: str) -> Section:
        return Section(number, title, note=_("Not yet available."))

    # sections ---------------------------------------------------------------------------------------------
    def build(self) -> ReportDocument:
        sections = [
            self.reports(),
            Section("2", _("Vulnerabilities in software products")),
            self.product_status(),
            self.jvn(),
            self.days_to_publication(),
            self.breakdown("2.4", "product_type", _("Reports by product type")),
            self.breakdown("2.5", "cause", _("Reports by cause of the vulnerability")),
            self.unreachable(),
            self.priority_provision(),
            Section("3", _("Vulnerabilities in websites")),
            self.website_status(),
            self.days_to_fix(),
            self.breakdown("3.3", "website_vulnerability_type", _("Reports by type of vulnerability")),
            self.breakdown("3.4", "threat", _("Reports by threat")),
            self.breakdown("3.5", "operator_type", _("Reports by type of website operator")),
            self.prolonged(),
        ]
        end = self.quarter.last_day()
        notes = [
            _("Figures are as they stood at the end of %(date)s; a report counts in the status it had then.")
            % {"date": date_format(end, "DATE_FORMAT")},
            _("Breakdowns by type, cause, threat and operator exclude reports that were not accepted."),
            _("“Of which” figures are included in the status above them, not added to it."),
            _("Percentages are rounded."),
            _("These statistics show aggregate counts only, at the level of detail the Partnership publishes."),
        ]
        return ReportDocument(
            quarter=str(self.quarter), language=self.language,
            title=_("Reports of vulnerability-related information on software products and websites"),
            period=quarter_period(self.quarter), sections=sections, notes=notes,
            generated_by=_("Produced by earlywarn from the platform's own records."))

    def reports(self) -> Section:
        title = _("Reports received")
        reports, series = self.report.get("reports"), self.report.get("series") or []
        if not reports:
            return self.unavailable("1", title)
        section = Section("1", title)
        values = {"total": n(reports.get("total")), "product": n(reports.get("product")),
                  "website": n(reports.get("website")), "rate": f"{self.report.get('per_business_day', 0):.2f}",
                  "quarter": quarter_name(str(self.quarter))}
        if len(series) >= 2:
            values["new"] = n(series[-1]["total"] - series[-2]["total"])
            section.sentences.append(_(
                "In %(quarter)s, %(new)s reports of vulnerability-related information were received.") % values)
        section.sentences.append(_(
            "Since reports were first accepted on 8 July 2004 the cumulative total is %(total)s (software products "
            "%(product)s, websites %(website)s): %(rate)s reports per business day.") % values)
        if series:
            section.charts.append(self.chart("series", "series", _("Cumulative reports and reports per business day"),
                                             {"quarters": [quarter_short(p["quarter"]) for p in series],
                                              "totals": [p["total"] for p in series],
                                              "rates": [p["per_business_day"] for p in series],
                                              "total_label": _("Cumulative reports"),
                                              "rate_label": _("Reports per business day")}))
        previous = _get(self.report, "previous_year", "reports")
        previous_quarter = _get(self.report, "previous_year", "quarter")
        headers = [_("Kind"), quarter_name(str(self.quarter))]
        rows = [[_("Software products"), n(reports.get("product"))], [_("Websites"), n(reports.get("website"))],
                [_("Total"), n(reports.get("total"))]]
        if previous and previous_quarter:
            headers.append(quarter_name(previous_quarter))
            for row, key in zip(rows, ("product", "website", "total"), strict=True):
                row.append(n(previous.get(key)))
        section.tables.append(self.table(_("Cumulative reports"), headers, rows))
        if series:
            section.tables.append(self.table(
                _("Cumulative reports by quarter"),
                [_("Quarter"), _("Cumulative reports"), _("Business days"), _("Reports per business day")],
                [[quarter_name(p["quarter"]), n(p["total"]), n(p["business_days"]), f"{p['per_business_day']:.2f}"]
                 for p in series]))
        return section

    def _status(self, number: str, title: str, key: str, order: tuple[Category, ...],
                subs: Mapping[str, tuple[Category, ...]]) -> tuple[Section, dict[str, int]] | None:
        status = self.report.get(key)
        if not status:
            return None
        section = Section(number, title)
        previous = _get(self.report, "previous_year", key)
        previous_quarter = _get(self.report, "previous_year", "quarter")

        def segments(values: dict[str, int]) -> list[dict[str, Any]]:
            return [{"label": _category_label(c, self.language), "value": values.get(c.code, 0),
                     "subs": [{"label": _("of which %(status)s") % {"status": _category_label(s, self.language)},
                               "value": values.get(s.code, 0)} for s in subs.get(c.code, ())]} for c in order]

        bars = []
        if previous and previous_quarter:
            bars.append({"label": quarter_name(previous_quarter), "segments": segments(previous)})
        bars.append({"label": quarter_name(str(self.quarter)), "segments": segments(status)})
        section.charts.append(self.chart(key, "status", title, {"bars": bars}, height=1.4 + 0.45 * len(bars)))
        total = sum(status.get(c.code, 0) for c in order)
        headers = [_("Status"), quarter_name(str(self.quarter)), _("Share")]
        if previous and previous_quarter:
            headers.append(quarter_name(previous_quarter))
        rows: list[list[str]] = []
        sub_rows: set[int] = set()
        for category in order:
            for index, item in enumerate((category, *subs.get(category.code, ()))):
                label = _category_label(item, self.language)
                row = [label if index == 0 else _("of which %(status)s") % {"status": label},
                       n(status.get(item.code, 0)), pct(share(status.get(item.code, 0), total))]
                if previous and previous_quarter:
                    row.append(n(previous.get(item.code, 0)))
                if index:
                    sub_rows.add(len(rows))
                rows.append(row)
        rows.append([_("Total"), n(total), pct(100.0 if total else None)]
                    + ([n(sum(previous.get(c.code, 0) for c in order))] if previous and previous_quarter else []))
        section.tables.append(self.table(title, headers, rows, sub_rows=sub_rows))
        return section, {**status, "total": total}

    def product_status(self) -> Section:
        title = _("Status of software product reports")
        built = self._status("2.1", title, "product_status", PRODUCT_CATEGORIES, PRODUCT_SUBS)
        if built is None:
            return self.unavailable("2.1", title)
        section, s = built
        section.sentences.append(_(
            "Of %(total)s software product reports, %(published)s have been published on JVN (%(impossible)s of them "
            "judged by the publication committee after coordination proved impossible), %(handling)s are in "
            "handling (%(listed)s of them with an unreachable developer) and %(not_accepted)s were not accepted.") % {
            "total": n(s["total"]), "published": n(s.get("published")),
            "impossible": n(s.get("coordination_impossible", 0)), "handling": n(s.get("in_handling")),
            "listed": n(s.get("unreachable_listed", 0)), "not_accepted": n(s.get("not_accepted"))})
        return section

    def website_status(self) -> Section:
        title = _("Status of website reports")
        built = self._status("3.1", title, "website_status", WEBSITE_CATEGORIES, WEBSITE_SUBS)
        if built is None:
            return self.unavailable("3.1", title)
        section, s = built
        section.sentences.append(_(
            "Of %(total)s website reports, %(fixed)s have been fixed (%(deleted)s by deleting the page and "
            "%(workaround)s by a workaround), %(handling)s are in handling and %(not_accepted)s were not accepted.")
            % {"total": n(s["total"]), "fixed": n(s.get("fixed")), "deleted": n(s.get("page_deleted", 0)),
               "workaround": n(s.get("workaround", 0)), "handling": n(s.get("in_handling")),
               "not_accepted": n(s.get("not_accepted"))})
        return section

    def jvn(self) -> Section:
        title = _("Vulnerabilities published on JVN")
        jvn = self.report.get("jvn")
        if not jvn or jvn.get("domestic_published") is None:
            return self.unavailable("2.2", title)
        section = Section("2.2", title)
        section.sentences.append(_(
            "%(count)s vulnerabilities reported by domestic finders and developers have been published on JVN.")
            % {"count": n(jvn["domestic_published"])})
        rows = [[_("Reported by domestic finders and developers"), n(jvn["domestic_published"])]]
        if jvn.get("developer_self") is not None:
            rows.append([_("of which reported by the developer itself"), n(jvn["developer_self"])])
        rows.append([_("Received from overseas CSIRTs"), n(jvn.get("overseas"))])
        if jvn.get("overseas_in_quarter") is not None:
            rows.append([_("of which published in this quarter"), n(jvn["overseas_in_quarter"])])
        rows.append([_("Total"), n(jvn.get("total"))])
        subs = {i for i, row in enumerate(rows) if row[0] in {_("of which reported by the developer itself"),
                                                                 _("of which published in this quarter")}}
        section.tables.append(self.table(title, [_("Source"), pgettext("count", "Vulnerabilities")], rows,
                                         sub_rows=subs))
        if jvn.get("overseas") is None or jvn.get("total") is None:
            section.note = _("— : not yet available.")
        return section

    @staticmethod
    def _unmeasured(section: Section, data: dict[str, Any]) -> None:
        if data.get("unmeasured"):
            section.sentences.append(_("%(count)s cases without the dates needed are not counted here.")
                                     % {"count": n(data["unmeasured"])})

    def _bins_rows(self, bins: list[dict[str, Any]], base: Any) -> list[list[str]]:
        return [[bin_label(b), n(b.get("count")), pct(_share_of(b, share(b.get("count"), base)))] for b in bins]

    def days_to_publication(self) -> Section:
        title = _("Days from acceptance to publication")
        data = self.report.get("days_to_publication")
        if not data or not data.get("bins"):
            return self.unavailable("2.3", title)
        section = Section("2.3", title)
        section.sentences.append(_(
            "Of %(base)s vulnerabilities published, %(within)s were published within 45 days of the report's "
            "acceptance and %(over)s took 301 days or more.") % {
            "base": n(data.get("base")), "within": pct(data.get("within_45_days_pct")),
            "over": pct(data.get("over_300_days_pct"))})
        self._unmeasured(section, data)
        bins = data["bins"]
        highlight = [i for i, b in enumerate(bins) if b.get("max") is not None and b["max"] <= 45]
        section.charts.append(self.chart("days_to_publication", "columns", title, {
            "labels": [bin_label(b) for b in bins], "values": [b.get("count", 0) for b in bins],
            "value_label": pgettext("count", "Vulnerabilities"), "highlight": highlight}))
        section.tables.append(self.table(title, [_("Days"), pgettext("count", "Vulnerabilities"), _("Share")],
                                         self._bins_rows(bins, data.get("base"))))
        return section

    def days_to_fix(self) -> Section:
        title = _("Days from notification to fix")
        data = self.report.get("days_to_fix")
        if not data or not data.get("bins"):
            return self.unavailable("3.2", title)
        section = Section("3.2", title)
        section.sentences.append(_(
            "Of %(base)s websites fixed, %(within30)s were fixed within 30 days of the operator being notified and "
            "%(within90)s within 90 days.") % {"base": n(data.get("base")),
                                               "within30": pct(data.get("within_30_days_pct")),
                                               "within90": pct(data.get("within_90_days_pct"))})
        self._unmeasured(section, data)
        bins = data["bins"]
        labels = [bin_label(b) for b in bins]
        highlight = [i for i, b in enumerate(bins) if b.get("max") is not None and b["max"] <= 30]
        section.charts.append(self.chart("days_to_fix", "columns", title, {
            "labels": labels, "values": [b.get("count", 0) for b in bins], "value_label": _("Websites"),
            "highlight": highlight}))
        section.tables.append(self.table(title, [_("Days"), _("Websites"), _("Share")],
                                         self._bins_rows(bins, data.get("base"))))
        by_type = [t for t in data.get("by_type") or [] if t.get("base")]
        if by_type:
            rows = [_name("WEBSITE_VULNERABILITY_TYPES", t["type"], self.language) for t in by_type]
            series = [{"label": label, "values": [t["bins"][i] if i < len(t["bins"]) else 0 for t in by_type]}
                      for i, label in enumerate(labels)]
            by_type_title = _("Days to fix by type of vulnerability")
            section.charts.append(self.chart("days_to_fix_by_type", "stacked", by_type_title,
                                             {"rows": rows, "series": series}, height=1.5 + 0.32 * len(rows)))
            section.tables.append(self.table(
                by_type_title, [_("Type of vulnerability"), _("Websites fixed"), *labels],
                [[row, n(t["base"]), *[n(c) for c in t["bins"]]] for row, t in zip(rows, by_type, strict=True)]))
        return section

    def breakdown(self, number: str, key: str, title: str) -> Section:
        items = _get(self.report, "breakdowns", key)
        if not items:
            return self.unavailable(number, title)
        base = _get(self.report, "breakdowns", "base", "product" if number.startswith("2") else "website")
        if base is None:
            base = sum(item.get("count", 0) for item in items)
        section = Section(number, title)
        names = [_name(BREAKDOWN_TABLES[key], item["name"], self.language) for item in items]
        shares = [_share_of(item, share(item.get("count"), base)) for item in items]
        # largest first, as the published figures sort them (§5.4 I-15); "not recorded" last, never "the most frequent"
        ranked = sorted(zip(names, items, shares, strict=True),
                        key=lambda r: (r[1].get("name") in UNKNOWN, -r[1].get("count", 0)))
        known = [r for r in ranked if r[1].get("name") not in UNKNOWN]
        top_name, top_item, top_share = known[0] if known else ranked[0]
        values = {"name": top_name, "count": n(top_item.get("count")), "pct": pct(top_share), "base": n(base)}
        sentence = {
            "product_type": _("Of %(base)s accepted software product reports, the most frequent product type is "
                              "“%(name)s”: %(count)s reports (%(pct)s)."),
            "cause": _("The most frequent cause is “%(name)s”: %(count)s of %(base)s accepted reports (%(pct)s)."),
            "website_vulnerability_type": _("Of %(base)s accepted website reports, the most frequent type of "
                                            "vulnerability is “%(name)s”: %(count)s reports (%(pct)s)."),
            "threat": _("The most frequent threat is “%(name)s”: %(count)s of %(base)s accepted reports (%(pct)s)."),
            "operator_type": _("The most frequent type of operator is “%(name)s”: %(count)s of %(base)s accepted "
                               "reports (%(pct)s)."),
        }[key]
        section.sentences.append(sentence % values if known else _("None of these reports has this recorded."))
        if key == "website_vulnerability_type" and len(ranked) >= 3:
            top3 = sum(float(s) for _n, _i, s in ranked[:3] if s is not None)
            section.sentences.append(_("The three most frequent types together account for %(pct)s.")
                                     % {"pct": pct(round(top3, 1))})
        shown = ranked[:CHART_ROWS]
        labels = [r[0] for r in shown]
        counts = [r[1].get("count", 0) for r in shown]
        pcts = [pct(r[2]) for r in shown]
        if len(ranked) > CHART_ROWS:  # the table lists every category; the chart groups the long tail
            rest = ranked[CHART_ROWS - 1:]
            labels[-1] = _("%(count)s other categories") % {"count": len(rest)}
            counts[-1] = sum(r[1].get("count", 0) for r in rest)
            pcts[-1] = pct(share(counts[-1], base))
        section.charts.append(self.chart(key, "shares", title, {
            "labels": labels, "values": counts, "pcts": pcts, "value_label": _("Reports")},
            height=0.7 + 0.28 * len(labels)))
        section.tables.append(self.table(title, [_("Category"), _("Reports"), _("Share")],
                                         [[r[0], n(r[1].get("count")), pct(r[2])] for r in ranked]))
        if key == "operator_type":
            small = self.report.get("small_company_share")
            if small and small.get("base"):
                section.sentences.append(_(
                    "Small companies operate %(count)s of the %(base)s websites reported (%(pct)s).") % {
                    "count": n(small.get("count")), "base": n(small.get("base")),
                    "pct": pct(_share_of(small, share(small.get("count"), small.get("base"))))})
        return section

    def unreachable(self) -> Section:
        title = _("Cases with an unreachable developer")
        data = self.report.get("unreachable")
        if not data or data.get("listed") is None:
            return self.unavailable("2.6", title)
        section = Section("2.6", title)
        values = {"since": _date(data.get("since", "2011-09-29")), "listed": n(data.get("listed")),
                  "resumed": n(data.get("resumed")), "completed": n(data.get("completed")),
                  "still": n(data.get("still_unreachable"))}
        section.sentences.append(_(
            "Since %(since)s, %(listed)s cases have been put on the list of unreachable developers; coordination "
            "resumed in %(resumed)s of them (completed in %(completed)s) and %(still)s are still unreachable.")
            % values)
        section.tables.append(self.table(title, [_("Cases"), _("Number")], [
            [_("Listed (cumulative)"), values["listed"]], [_("Coordination resumed"), values["resumed"]],
            [_("of which coordination completed"), values["completed"]],
            [_("Still unreachable"), values["still"]]], sub_rows={2}))
        return section

    def priority_provision(self) -> Section:
        title = _("Priority information for critical infrastructure")
        data = self.report.get("priority_provision")
        if not data or data.get("cumulative") is None:
            return self.unavailable("2.7", title)
        section = Section("2.7", title)
        period, cumulative = data.get("period") or {}, data.get("cumulative") or {}
        sectors = list(dict.fromkeys([*cumulative, *period]))
        figures = {"since": _date(data.get("since", "2018-04-01")), "total": n(sum(cumulative.values())),
                   "sectors": ", ".join(f"{sector} {n(count)}" for sector, count in cumulative.items()),
                   "period": n(sum(period.values())), "quarter": quarter_name(str(self.quarter))}
        section.sentences.append((_(
            "Since %(since)s, vulnerability information has been given to critical infrastructure operators before "
            "publication %(total)s times (%(sectors)s); %(period)s times in %(quarter)s.") if cumulative else _(
            "Since %(since)s, vulnerability information has been given to critical infrastructure operators before "
            "publication %(total)s times; %(period)s times in %(quarter)s.")) % figures)  # no empty "()"
        rows = [[str(sector), n(period.get(sector, 0)), n(cumulative.get(sector, 0))] for sector in sectors]
        rows.append([_("Total"), n(sum(period.values())), n(sum(cumulative.values()))])
        section.tables.append(self.table(title, [_("Sector"), quarter_name(str(self.quarter)), _("Cumulative")],
                                         rows))
        return section

    def prolonged(self) -> Section:
        title = _("Website cases in handling for a long time")
        data = self.report.get("prolonged")
        if not data or data.get("count") is None:
            return self.unavailable("3.6", title)
        section = Section("3.6", title)
        days = data.get("threshold_days", 90)
        section.sentences.append(_(
            "%(count)s website cases have had no fix reported %(days)s days or more after the operator was notified "
            "(%(previous)s at the same time a year earlier).") % {
            "count": n(data["count"]), "days": days, "previous": n(data.get("previous_year_count"))})
        by_elapsed = data.get("by_elapsed_days") or []
        if by_elapsed:
            elapsed_title = _("Prolonged cases by days since notification")
            section.charts.append(self.chart("prolonged_elapsed", "columns", elapsed_title, {
                "labels": [bin_label(b) for b in by_elapsed], "values": [b.get("count", 0) for b in by_elapsed],
                "value_label": pgettext("count", "Cases")}))
            section.tables.append(self.table(elapsed_title, [_("Days since notification"), pgettext("count", "Cases")],
                                             [[bin_label(b), n(b.get("count"))] for b in by_elapsed]))
        by_type = data.get("by_type") or []
        if by_type:
            names = [_name("WEBSITE_VULNERABILITY_TYPES", t["type"], self.language) for t in by_type]
            shares = [_share_of(t, share(t.get("count"), data["count"])) for t in by_type]
            for name, item, value in zip(names, by_type, shares, strict=True):
                if item["type"] in {"sql_injection", "SQL インジェクション"}:
                    section.sentences.append(_("Of these, %(count)s (%(pct)s) are SQL injection, a severe type.")
                                             % {"count": n(item.get("count")), "pct": pct(value), "name": name})
            type_title = _("Prolonged cases by type of vulnerability")
            section.charts.append(self.chart("prolonged_type", "shares", type_title, {
                "labels": names, "values": [t.get("count", 0) for t in by_type], "pcts": [pct(s) for s in shares],
                "value_label": pgettext("count", "Cases")}, height=0.7 + 0.28 * len(by_type)))
            columns = [_("Type of vulnerability"), pgettext("count", "Cases"), _("Share")]
            section.tables.append(self.table(type_title, columns, [
                [name, n(t.get("count")), pct(s)] for name, t, s in zip(names, by_type, shares, strict=True)]))
        return section


def build_document(report: dict[str, Any], language: str) -> ReportDocument:
    """The report of ``report`` (the engine's JSON) as a document in ``language`` ("ja" or "en")."""
    with translation.override(language):
        return _Builder(report, language).build()
