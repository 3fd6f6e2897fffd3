"""Every change to an advisory: one function each, one transaction each, one audit event each.

Only staff holding ``advisory:edit`` write drafts; only staff holding ``advisory:publish`` approve and publish.
Publishing before the agreed date (or without one) needs the approval of a second person (security.md ASVS
2.3.5). A publication freezes the draft into an ``AdvisoryRevision`` whose CSAF document has passed the
official schema and every mandatory test; nothing is stored when anything fails.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.advisories import conf, csaf_doc, openpgp, public_files, search, snapshot, vex
from earlywarn.advisories.csaf_check import csaf_findings
from earlywarn.advisories.models import (
    REQUIRED_TEXT_FIELDS,
    TEXT_FIELDS,
    Advisory,
    AdvisoryEvent,
    AdvisoryKind,
    AdvisoryRevision,
    AffectedProduct,
    ProductStatus,
    Vulnerability,
)
from earlywarn.cases.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from earlywarn.cases.policy import Action, ActionDenied, Actor

EDITABLE = {f"{name}_{lang}" for name in TEXT_FIELDS for lang in ("ja", "en")} | {
    "exploited", "exploitation_agreed", "ssvc", "references", "agreed_publication_at", "revision_summary_ja",
    "revision_summary_en"}
VULNERABILITY_FIELDS = {"cve", "cwe", "title_ja", "title_en", "cvss_v3", "cvss_v4"}
PRODUCT_FIELDS = {"developer", "developer_name_ja", "developer_name_en", "product_name_ja", "product_name_en",
                  "versions", "status", "purl", "cpe", "statement_ja", "statement_en", "statement_date"}


def event_record(*, advisory: Advisory, actor: Actor, tag: str, data: dict[str, Any] | None = None) -> AdvisoryEvent:
    return AdvisoryEvent.objects.create(advisory=advisory, tag=tag, actor=actor.user, actor_label=actor.label,
                                        data=data or {})


def _require(actor: Actor, action: Action, advisory: Advisory | None = None) -> None:
    if not actor.staff_may(action, advisory.case if advisory is not None and advisory.case_id else None):
        raise ActionDenied


def _unchanged(advisory: Advisory) -> Advisory:
    """The advisory locked for this transaction, if nobody changed it since ``advisory`` was read."""
    fresh = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if fresh.version != advisory.version:
        raise ConcurrentChange(_("Someone else changed this advisory meanwhile. Reload it and try again."))
    return fresh


def embargo_end(advisory: Advisory) -> datetime | None:
    """From when one person may publish ``advisory``: for an advisory of a case, the publication date-time agreed
    in the case's coordination (the one record of the agreement; the draft's own date only repeats it and may be
    stale or mistyped); else the draft's agreed date. None: nothing agreed, so any publication is early."""
    if advisory.case is None:
        return advisory.agreed_publication_at
    try:
        schedule = advisory.case.schedule  # coordination's PublicationSchedule
    except ObjectDoesNotExist:
        return None
    agreed: datetime | None = schedule.agreed_at
    return agreed


def publishing_is_early(advisory: Advisory, now: datetime) -> bool:
    """Whether publishing at ``now`` comes before the embargo ends (or nothing is agreed): the two-person rule."""
    agreed = embargo_end(advisory)
    return agreed is None or now < agreed


def _prefix(kind: str) -> str:
    prefixes = conf.id_prefixes()
    return prefixes[1 if kind == AdvisoryKind.MULTI and len(prefixes) > 1 else 0]


def advisory_create(*, actor: Actor, kind: str = AdvisoryKind.SINGLE, case: Any = None,
                    fields: dict[str, Any] | None = None) -> Advisory:
    """A new draft with a non-sequential identifier (prefix + 8 random digits, like JVN#12345678)."""
    if kind not in AdvisoryKind.values:
        raise ValidationFailed(_("Choose the kind of advisory."), field="kind")
    if not actor.staff_may(Action.ADVISORY_EDIT, case):
        raise ActionDenied
    for _attempt in range(20):
        number = f"{secrets.randbelow(90_000_000) + 10_000_000}"
        prefix = _prefix(kind)
        try:
            with transaction.atomic():
                advisory = Advisory.objects.create(
                    tracking_id=f"{prefix}{number}", slug=f"{prefix.replace('#', '')}{number}", kind=kind,
                    case=case, created_by=actor.user)
                event_record(advisory=advisory, actor=actor, tag="advisory:draft:created",
                             data={"tracking_id": advisory.tracking_id})
        except IntegrityError:
            continue
        if fields:
            advisory = advisory_update(actor=actor, advisory=advisory, fields=fields)
        return advisory
    raise ConcurrentChange(_("No free advisory identifier was found. Try again."))


def _check_rows(rows: list[dict[str, Any]], allowed: set[str], what: str) -> None:
    for index, row in enumerate(rows):
        unknown = set(row) - allowed
        if unknown:
            raise ValidationFailed(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                                   field=f"{what}.{index}")


@transaction.atomic
def advisory_update(*, actor: Actor, advisory: Advisory, fields: dict[str, Any] | None = None,
                    vulnerabilities: list[dict[str, Any]] | None = None,
                    products: list[dict[str, Any]] | None = None) -> Advisory:
    """Change the draft (texts, flags, and, when given, the whole list of vulnerabilities or products).

    Every identifier and score is checked; any error changes nothing. The version goes up and any approval
    lapses: an approval is for exactly what was approved.
    """
    _require(actor, Action.ADVISORY_EDIT, advisory)
    fresh = _unchanged(advisory)
    fields = dict(fields or {})
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationFailed(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    at = fields.get("agreed_publication_at")
    if at is not None and (not isinstance(at, datetime) or timezone.is_naive(at)):
        raise ValidationFailed(_("The agreed publication time needs a date, a time and a time zone."),
                               field="agreed_publication_at")
    if at is not None and not 1990 <= at.year <= timezone.now().year + 10:  # a typo, and year 1 breaks PostgreSQL
        raise ValidationFailed(_("Give an agreed publication time between 1990 and ten years from now."),
                               field="agreed_publication_at")
    unchanged = at is not None and fresh.agreed_publication_at is not None and \
        abs(at - fresh.agreed_publication_at) < timedelta(minutes=1)  # a form sends it back to the minute
    if at is not None and at <= timezone.now() and not unchanged and fresh.case_id is None:
        # A date already past would let one person publish at once (a mistyped year, or on purpose): publishing
        # before an agreed date, or an issue public elsewhere already, goes through a second person's approval.
        # (A case's advisory ends its embargo at the case's agreed date whatever its own says: embargo_end.)
        raise ValidationFailed(_("The agreed publication time is in the past. To publish now, ask a second person "
                                 "to approve the advisory."), field="agreed_publication_at")
    for index, ref in enumerate(fields.get("references") or []):
        url = ref.get("url", "") if isinstance(ref, dict) else ""
        if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
            raise ValidationFailed(_("A reference needs an http(s) address."), field=f"references.{index}")
    for name, value in fields.items():
        setattr(fresh, name, value)
    if vulnerabilities is not None:
        _check_rows(vulnerabilities, VULNERABILITY_FIELDS, "vulnerabilities")
        fresh.vulnerabilities.all().delete()
        Vulnerability.objects.bulk_create(Vulnerability(advisory=fresh, position=i, **row)
                                          for i, row in enumerate(vulnerabilities))
    if products is not None:
        _check_rows(products, PRODUCT_FIELDS, "products")
        for index, row in enumerate(products):
            if row.get("status", ProductStatus.AFFECTED) not in ProductStatus.values:
                raise ValidationFailed(_("Choose a product status."), field=f"products.{index}.status")
            if not row.get("developer_name_ja") or not row.get("product_name_ja"):
                raise ValidationFailed(_("Each product needs its developer's and its own name."),
                                       field=f"products.{index}")
        fresh.products.all().delete()
        AffectedProduct.objects.bulk_create(AffectedProduct(advisory=fresh, position=i, **row)
                                            for i, row in enumerate(products))
    content = snapshot.content_of(fresh)  # raises ValidationFailed on a bad CVE, CWE, CVSS, purl, CPE or vers
    fresh.version += 1
    fresh.approved_by = None
    fresh.approved_version = None
    fresh.updated_at = timezone.now()
    fresh.save()
    event_record(advisory=fresh, actor=actor, tag="advisory:draft:edited",
                 data={"version": fresh.version, "fields": sorted(fields),
                       "vulnerabilities": len(content["vulnerabilities"]), "products": len(content["products"])})
    return fresh


@transaction.atomic
def advisory_approve(*, actor: Actor, advisory: Advisory) -> Advisory:
    """Approve the current version for publication (the second person of the two-person rule)."""
    _require(actor, Action.ADVISORY_PUBLISH, advisory)
    fresh = _unchanged(advisory)
    fresh.approved_by = actor.user
    fresh.approved_version = fresh.version
    fresh.save(update_fields=["approved_by", "approved_version"])
    event_record(advisory=fresh, actor=actor, tag="advisory:publication:approved", data={"version": fresh.version})
    return fresh


def publication_problems(advisory: Advisory, content: dict[str, Any]) -> list[str]:
    """Why the draft cannot be published yet (translated), empty when it can."""
    lang = conf.csaf_lang()
    problems = []
    missing = [name for name in REQUIRED_TEXT_FIELDS if not content["texts"][lang].get(name)]
    if missing:
        problems.append(_("Texts missing in the advisory's document language (%(lang)s): %(fields)s")
                        % {"lang": lang, "fields": ", ".join(missing)})
    if not content["vulnerabilities"]:
        problems.append(_("An advisory needs at least one vulnerability."))
    if not content["products"]:
        problems.append(_("An advisory needs at least one product."))
    foreign = _imported_from_elsewhere(advisory)
    if foreign:
        problems.append(_("This advisory was imported from another publisher's CSAF document (%(publisher)s); "
                          "its revisions come from that publisher: import the newer document.")
                        % {"publisher": foreign})
    return problems


def _imported_from_elsewhere(advisory: Advisory) -> str:
    """The publisher (namespace, or version scheme) of an imported current revision that our writer cannot
    continue: another publisher's namespace or semantic versioning. Empty for our own documents."""
    current = advisory.revisions.filter(is_current=True).only("csaf").first() if advisory.pk else None
    if current is None or not current.csaf:
        return ""
    document = current.csaf_document()["document"]
    namespace = str(document["publisher"]["namespace"])
    if namespace != csaf_doc.base_url():
        return namespace
    return "" if str(document["tracking"]["version"]).isdigit() else f"{namespace} {document['tracking']['version']}"


def _history(advisory: Advisory, number: int, now: datetime, summary: str) -> list[dict[str, Any]]:
    lang = conf.csaf_lang()
    rows = [{"number": r.number, "date": r.published_at, "summary": getattr(r, f"summary_{lang}") or r.summary_ja
             or r.summary_en}
            for r in advisory.revisions.order_by("number")]
    return [*rows, {"number": number, "date": now, "summary": summary}]


def default_revision_summary(number: int, language: str) -> str:
    """What a revision says it changes when its editor wrote nothing: the first publication, or an update."""
    if number == 1:
        return "初版公開" if language == "ja" else "Initial release"
    return "内容を更新" if language == "ja" else "Updated"


def render_next(advisory: Advisory, now: datetime | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(content, CSAF document) that publishing the draft now would produce: the preview uses exactly this."""
    now = now or timezone.now()
    content = snapshot.content_of(advisory)
    previous = advisory.revisions.order_by("-number").first()
    number = previous.number + 1 if previous else 1
    initial = advisory.revisions.order_by("number").values_list("published_at", flat=True).first() or now
    lang = conf.csaf_lang()
    summary = (getattr(advisory, f"revision_summary_{lang}") or "").strip() or default_revision_summary(number, lang)
    doc = csaf_doc.build(content, history=_history(advisory, number, now, summary), initial=initial, current=now)
    return content, doc


@transaction.atomic
def advisory_publish(*, actor: Actor, advisory: Advisory, now: datetime | None = None) -> AdvisoryRevision:
    """Publish the draft as the next revision: checked, validated, signed, stored, audited — or nothing."""
    _require(actor, Action.ADVISORY_PUBLISH, advisory)
    fresh = _unchanged(advisory)
    now = now or timezone.now()
    early = publishing_is_early(fresh, now)
    now = now.replace(microsecond=0)  # CSAF dates are stored to the second
    if fresh.withdrawn_at is not None:
        raise InvalidTransition(_("This advisory was withdrawn; it cannot be published again."))
    current = fresh.revisions.filter(is_current=True).first()
    if current is not None and current.advisory_version == fresh.version:
        raise InvalidTransition(_("This version is already published. Edit the advisory to publish a revision."))
    if early and not fresh.approved:
        raise InvalidTransition(_("Publishing before the agreed date needs the approval of a second person."))
    if early and actor.user is not None and fresh.approved_by_id == actor.user.pk:
        raise InvalidTransition(_("You approved this version: before the agreed date, someone else must publish it."))
    content, doc = render_next(fresh, now)
    problems = publication_problems(fresh, content)
    if problems:
        raise ValidationFailed(" ".join(problems))
    vex_doc = vex.render(fresh, content, doc, now)
    findings = csaf_findings(doc) + (csaf_findings(vex_doc) if vex_doc is not None else [])
    if findings:
        raise ValidationFailed(_("The CSAF document fails the official tests: %(findings)s")
                               % {"findings": "; ".join(str(f) for f in findings[:10])})
    body = csaf_doc.dumps(doc)
    history = doc["document"]["tracking"]["revision_history"][-1]
    lang = conf.csaf_lang()
    summaries = {code: getattr(fresh, f"revision_summary_{code}").strip() for code in ("ja", "en")}
    summaries[lang] = summaries[lang] or history["summary"]
    if not any(getattr(fresh, f"revision_summary_{code}").strip() for code in ("ja", "en")):
        # Nothing written: each language gets its own default, not the CSAF language's on every page.
        summaries = {code: default_revision_summary(int(history["number"]), code) for code in ("ja", "en")}
    first = fresh.revisions.order_by("number").first()
    initial = first.published_at if first else now
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    revision = AdvisoryRevision.objects.create(
        advisory=fresh, number=int(history["number"]), advisory_version=fresh.version, is_current=True,
        published_at=now, published_by=actor.user, summary_ja=summaries["ja"], summary_en=summaries["en"],
        content=content, csaf=body,
        csaf_signature=openpgp.sign_detached(body.encode()), tracking_id=fresh.tracking_id, slug=fresh.slug,
        initial_published_at=initial,
        csaf_path=csaf_doc.document_path(fresh.tracking_id, initial),
        developers="\n".join(snapshot.names(content, "developer")),
        products="\n".join(snapshot.names(content, "product")),
        max_score=content["max_score"], severity=content["severity"], exploited=content["exploited"],
        search_tokens=search.index_text(content), **vex.revision_fields(vex_doc),
    )
    fresh.revision_summary_ja = fresh.revision_summary_en = ""
    fresh.save(update_fields=["revision_summary_ja", "revision_summary_en"])
    public_files.refresh_on_commit(fresh.slug)  # old files go now, the new ones are written after the commit
    event_record(advisory=fresh, actor=actor, tag="advisory:revision:published",
                 data={"number": revision.number, "version": fresh.version,
                       "sha256": hashlib.sha256(body.encode()).hexdigest(),
                       "approved_by": str(fresh.approved_by_id or ""), "early": early})
    return revision
