"""Reads. The public reads only published revisions; staff reach drafts through ``access_advisory``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, Max, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.utils.translation import gettext_lazy as _

from earlywarn.advisories import search, snapshot
from earlywarn.advisories.models import Advisory, AdvisoryRevision
from earlywarn.cases.policy import Action, ActionDenied, Actor

# A search lists at most this many results (the newest): counting or sorting every match of a common word would
# cost a scan of every advisory (bench/publication). The page says so when there are more.
SEARCH_CAP = 1000
# What the list page shows: the big columns (content, csaf: about 9 KB a row) are left in the table.
LIST_COLUMNS = ("id", "slug", "tracking_id", "withdrawn", "exploited", "severity", "max_score",
                "initial_published_at", "published_at")

SECTIONS = (("overview", _("Overview")), ("description", _("Description")), ("impact", _("Impact")),
            ("solution", _("Solution")), ("workarounds", _("Workarounds")),
            ("stop_using", _("Stop using the product")), ("credits", _("Credits")))


class AdvisoryNotFound(Exception):
    """Missing, or a draft the actor may not see: answered with the same 404."""


@dataclass(frozen=True)
class Filters:
    q: str = ""
    developer: str = ""
    product: str = ""
    published_from: date | None = None
    published_to: date | None = None
    severity: str = ""
    exploited: bool | None = None


def _matching(rows: QuerySet[AdvisoryRevision], prepared: str) -> QuerySet[AdvisoryRevision]:
    sql, params = search.match_sql(prepared, connection)
    return rows.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611  # nosec B611 - constants + parameters


def published_list(filters: Filters) -> QuerySet[AdvisoryRevision]:
    """Current revisions of published advisories matching ``filters``, newest first."""
    rows = AdvisoryRevision.objects.filter(is_current=True)
    terms = search.query_terms(filters.q) if filters.q else None
    if terms is not None:
        rows = _matching(rows, search.prepare(terms, connection))
    for name in ("developer", "product"):
        value = getattr(filters, name).strip()
        if value:
            rows = rows.filter(**{f"{name}s__icontains": value})
    if filters.published_from:
        rows = rows.filter(initial_published_at__date__gte=filters.published_from)
    if filters.published_to:
        rows = rows.filter(initial_published_at__date__lte=filters.published_to)
    if filters.severity:
        rows = rows.filter(severity=filters.severity)
    if filters.exploited is not None:
        rows = rows.filter(exploited=filters.exploited)
    return rows.order_by("-initial_published_at", "-id")


class ListResults:
    """The public list's rows for a paginator. A page reads the ids of its rows first (from the list's index) and
    then only those rows, and only the listed columns: skipping to page 1,000 never reads the rows before it.

    Without a search, the list's order and an exact count (of the partial index). A search lists at most
    SEARCH_CAP matches, newest first: the index alone gives up to SEARCH_CAP + 1 matching ids; when there are
    at most SEARCH_CAP, their dates are read once (with the other filters) and sorted here, and the count is
    exact; when there are more, the list's index is walked newest first, each row checked against the search
    index — only as far as the page needs when no other filter is set (the count is then "more than
    SEARCH_CAP"), else up to SEARCH_CAP + 1 rows to count them."""

    def __init__(self, filters: Filters) -> None:
        self.rows = published_list(replace(filters, q=""))
        self.source = self.rows  # paged by the database, when ordered_ids is None
        terms = search.query_terms(filters.q) if filters.q else None
        self.search = terms is not None
        self.ordered_ids: list[int] | None = None
        self.capped = False
        if terms is None:
            return
        prepared = search.prepare(terms, connection)
        ids = search.matching_ids(prepared, connection, SEARCH_CAP + 1)
        if len(ids) <= SEARCH_CAP:
            found = sorted(self.rows.order_by().filter(pk__in=ids).values_list("initial_published_at", "id"),
                           reverse=True)
            self.ordered_ids = [pk for _, pk in found]
        elif filters == Filters(q=filters.q):
            self.source, self.capped = _matching(self.rows, prepared), True
        else:
            ordered = list(_matching(self.rows, prepared).values_list("id", flat=True)[:SEARCH_CAP + 1])
            self.capped = len(ordered) > SEARCH_CAP
            self.ordered_ids = ordered[:SEARCH_CAP]

    def count(self) -> int:
        if self.ordered_ids is not None:
            return len(self.ordered_ids)
        return SEARCH_CAP if self.capped else self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[AdvisoryRevision]:
        if self.ordered_ids is not None:
            ids = self.ordered_ids[window]
        else:
            ids = list(self.source.values_list("id", flat=True)[window])
        listed = AdvisoryRevision.objects.filter(pk__in=ids).only(*LIST_COLUMNS).annotate(
            title_ja=KT("content__texts__ja__title"), title_en=KT("content__texts__en__title"))
        found = {row.pk: row for row in listed}
        return [found[pk] for pk in ids if pk in found]  # revisions are never deleted; defensive only


def published_revision_or_none(slug: str) -> AdvisoryRevision | None:
    return AdvisoryRevision.objects.filter(is_current=True, slug=slug).first()


def published_revision(slug: str) -> AdvisoryRevision:
    revision = published_revision_or_none(slug)
    if revision is None:
        raise AdvisoryNotFound
    return revision


def latest_revisions(limit: int) -> QuerySet[AdvisoryRevision]:
    """The current revisions of published advisories, the most recently published (or revised) first: feeds."""
    return AdvisoryRevision.objects.filter(is_current=True).order_by("-published_at", "-id")[:limit]


def publication_state() -> tuple[int, int, datetime | None]:
    """(highest revision id, number of published advisories, latest publication): one query that changes
    whenever anything is published or revised, for the feeds' ETag and Last-Modified."""
    state = AdvisoryRevision.objects.filter(is_current=True).aggregate(top=Max("id"), count=Count("id"),
                                                                        latest=Max("published_at"))
    return state["top"] or 0, state["count"], state["latest"]


def revision_history(revision: AdvisoryRevision) -> QuerySet[AdvisoryRevision]:
    return AdvisoryRevision.objects.filter(advisory_id=revision.advisory_id).order_by("number").only(
        "number", "published_at", "summary_ja", "summary_en")


def access_advisory(actor: Actor, advisory_id: uuid.UUID | str, action: Action = Action.ADVISORY_EDIT) -> Advisory:
    """A draft for staff holding ``advisory:edit`` (for its case, when it has one); everyone else gets the
    uniform AdvisoryNotFound; staff who may edit but not do ``action`` get ActionDenied."""
    try:
        pk = uuid.UUID(str(advisory_id))
    except ValueError as exc:
        raise AdvisoryNotFound from exc
    if not actor.staff_may(Action.ADVISORY_EDIT):
        raise AdvisoryNotFound
    advisory = Advisory.objects.select_related("case").filter(pk=pk).first()
    if advisory is None or not actor.staff_may(Action.ADVISORY_EDIT, advisory.case):
        raise AdvisoryNotFound
    if not actor.staff_may(action, advisory.case):
        raise ActionDenied
    return advisory


def present(content: dict[str, Any], language: str) -> dict[str, Any]:
    """The content in ``language`` for a template: each text with the language it is in (a fallback is shown
    as such, never silently), products grouped by developer."""
    sections = []
    for name, heading in SECTIONS:
        value, lang = snapshot.text(content, name, language)
        if value:
            sections.append({"name": name, "heading": heading, "text": value, "lang": lang,
                             "fallback": lang != language})
    title, title_lang = snapshot.text(content, "title", language)

    developers: dict[str, list[dict[str, Any]]] = {}
    for product in content["products"]:
        developers.setdefault(snapshot.either(product["developer"], language), []).append(
            {**product, "name": snapshot.either(product["product"], language),
             "statement_text": snapshot.either(product["statement"], language)})
    vulnerabilities = [{**v, "title_text": snapshot.either(v["title"], language)} for v in content["vulnerabilities"]]
    return {"sections": sections, "title": title, "title_lang": title_lang, "title_fallback": title_lang != language,
            "developers": developers, "vulnerabilities": vulnerabilities,
            "exploited": content["exploited"], "references": content["references"], "ssvc": content.get("ssvc"),
            "tracking_id": content["tracking_id"], "severity": content["severity"],
            "max_score": content["max_score"]}
