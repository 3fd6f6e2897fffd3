"""Reads. The public reads only published revisions; staff reach drafts through ``access_advisory``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext_lazy as _

from earlywarn.advisories import search, snapshot
from earlywarn.advisories.models import Advisory, AdvisoryRevision
from earlywarn.cases.policy import Action, ActionDenied, Actor

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


def published_list(filters: Filters) -> QuerySet[AdvisoryRevision]:
    """Current revisions of published advisories matching ``filters``, newest first."""
    rows = AdvisoryRevision.objects.filter(is_current=True)
    if filters.q:
        condition = search.query_filter(filters.q)
        if condition is not None:
            rows = rows.filter(condition)
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

    def pick(pair: dict[str, str]) -> str:
        return pair.get(language) or pair.get("ja") or pair.get("en") or ""

    developers: dict[str, list[dict[str, Any]]] = {}
    for product in content["products"]:
        developers.setdefault(pick(product["developer"]), []).append(
            {**product, "name": pick(product["product"]), "statement_text": pick(product["statement"])})
    vulnerabilities = [{**v, "title_text": pick(v["title"])} for v in content["vulnerabilities"]]
    return {"sections": sections, "title": title, "title_lang": title_lang, "title_fallback": title_lang != language,
            "developers": developers, "vulnerabilities": vulnerabilities,
            "exploited": content["exploited"], "references": content["references"], "ssvc": content.get("ssvc"),
            "tracking_id": content["tracking_id"], "severity": content["severity"],
            "max_score": content["max_score"]}
