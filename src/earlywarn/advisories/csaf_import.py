"""Import of CSAF 2.0 documents: an organisation brings its existing publications (docs/advisories.md).

Each document is read (UTF-8 JSON, at most ``MAX_BYTES``), validated by the same path as our own documents
(``csaf_check.csaf_findings``: the official schema and every mandatory test) plus the few rules of a public
provider (TLP, status, language), mapped by ``csaf_map`` and stored as a published advisory that keeps the
document's tracking id, dates and revision history. The served CSAF of an imported revision is the original
document, byte for byte. Everything is all or nothing: one document (``advisory_import_csaf``) or one batch
(``advisory_import_batch``: every document is checked before anything is stored).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.advisories import conf, csaf_doc, csaf_map, formats, openpgp, public_files, search, snapshot
from earlywarn.advisories.csaf_check import csaf_findings
from earlywarn.advisories.models import (
    Advisory,
    AdvisoryKind,
    AdvisoryOrigin,
    AdvisoryRevision,
    AffectedProduct,
    Vulnerability,
)
from earlywarn.advisories.services import event_record
from earlywarn.cases.errors import ConcurrentChange, ValidationFailed, has_forbidden_characters
from earlywarn.cases.policy import Action, ActionDenied, Actor

MAX_BYTES = 16 * 1024 * 1024  # far above real advisories (the largest Red Hat documents are a few MB)
TRACKING_ID_MAX = 40  # Advisory.tracking_id
CVE_MAX = 32  # Vulnerability.cve
LANGUAGES = ("ja", "en")


class ImportRefused(ValidationFailed):
    """Documents that cannot be imported; ``problems`` lists (source, problem) for each failing test or rule."""

    code = "csaf_import_refused"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"{source}: {problem}" if source else problem for source, problem in problems[:20])
        super().__init__(_("The CSAF document cannot be imported: %(problems)s") % {"problems": lines})


@dataclass
class Loaded:
    """A document read and checked, ready to be stored."""

    source: str
    doc: dict[str, Any]
    text: str  # the bytes to serve (the original text, without a byte order mark)
    mapped: csaf_map.Mapped


@dataclass
class ImportResult:
    source: str
    advisory: Advisory
    outcome: str  # created | updated | unchanged
    revision: AdvisoryRevision | None
    warnings: list[str] = field(default_factory=list)


def _refuse(source: str, problem: str) -> ImportRefused:
    return ImportRefused([(source, problem)])


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def read(document: bytes | str | dict[str, Any], source: str = "") -> tuple[dict[str, Any], str]:
    """(document, text to serve) from bytes, text or an already parsed dict; a clear refusal otherwise."""
    if isinstance(document, dict):
        _storable(document, source)
        return document, csaf_doc.dumps(document)
    raw = document.encode(errors="surrogatepass") if isinstance(document, str) else document
    if len(raw) > MAX_BYTES:
        raise _refuse(source, _("The file is larger than %(limit)s MB.") % {"limit": MAX_BYTES // (1024 * 1024)})
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _refuse(source, _("The file is not UTF-8 text (byte %(position)s).") % {"position": exc.start}) from exc
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _refuse(source, _("The file is not JSON: %(error)s (line %(line)s, column %(column)s).")
                      % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}) from exc
    except (ValueError, RecursionError) as exc:
        raise _refuse(source, _("The file is not JSON: %(error)s") % {"error": exc}) from exc
    if not isinstance(doc, dict):
        raise _refuse(source, _("The file is not a CSAF document (a JSON object)."))
    _storable(doc, source)
    return doc, text


def _storable(doc: dict[str, Any], source: str) -> None:
    if has_forbidden_characters(doc):
        raise _refuse(source, _("The text contains a character that cannot be stored (NUL or an unpaired "
                                "surrogate)."))


def _cwe_findings(doc: dict[str, Any], findings: list[Any]) -> tuple[list[Any], list[str]]:
    """6.1.11 findings about a CWE name of an older catalogue version become warnings (docs/advisories.md)."""
    kept, warnings = [], []
    for finding in findings:
        match = re.fullmatch(r"/vulnerabilities/(\d+)/cwe/name", finding.path)
        if finding.test == "6.1.11" and match:
            cwe = doc["vulnerabilities"][int(match.group(1))]["cwe"]
            names = formats.cwe_history(cwe["id"])
            if cwe["name"] in names:
                warnings.append(f"{finding.path}: {cwe['id']} name from an older CWE catalogue; "
                                f"current name: {formats.cwe_name(cwe['id'])}")
                continue
        kept.append(finding)
    return kept, warnings


def _language(doc: dict[str, Any], lang: str | None) -> str | None:
    if lang:
        return lang if lang in LANGUAGES else None
    written = str(doc["document"].get("lang", "")).lower()
    return next((code for code in LANGUAGES if written == code or written.startswith(f"{code}-")), None)


def check(document: bytes | str | dict[str, Any], *, source: str = "", lang: str | None = None) -> Loaded:
    """Read, validate and map one document; ``ImportRefused`` names every failing test with its path."""
    doc, text = read(document, source)
    try:
        findings, warnings = _cwe_findings(doc, csaf_findings(doc))
    except RecursionError as exc:
        raise _refuse(source, _("The document is nested too deeply to be checked.")) from exc
    if findings:
        raise ImportRefused([(source, str(finding)) for finding in findings])
    problems = []
    tracking = doc["document"]["tracking"]
    publisher = doc["document"].get("publisher") or {}
    if doc["document"].get("category") == "csaf_vex" and publisher.get("namespace") == csaf_doc.base_url():
        # Our own VEX documents accompany an advisory (vex.py) and are produced again at its publication.
        raise _refuse(source, _("This is a VEX document (csaf_vex): import the security advisory it accompanies; "
                                "its VEX document is produced again when the advisory is published."))
    if tracking["status"] == "draft":
        problems.append(_("The document is a draft (tracking status draft); only final or interim documents "
                          "are publications."))
    tlp = ((doc["document"].get("distribution") or {}).get("tlp") or {}).get("label")
    if tlp not in (None, "WHITE"):
        problems.append(_("The document is TLP:%(label)s; only TLP:WHITE documents can be published.")
                        % {"label": tlp})
    elif tlp is None:
        warnings.append("/document/distribution/tlp: no TLP label; published as TLP:WHITE")
    if not doc.get("vulnerabilities"):
        problems.append(_("The document describes no vulnerability: there is no advisory to import."))
    code = _language(doc, lang)
    if code is None and not doc["document"].get("lang"):
        problems.append(_("The document does not name its language; give ja or en (--lang) to import it."))
    elif code is None:
        problems.append(_("The document's language is %(lang)s; give ja or en (--lang) to import it.")
                        % {"lang": doc["document"]["lang"]})
    if len(str(tracking["id"])) > TRACKING_ID_MAX or not slug_of(str(tracking["id"])):
        problems.append(_("The tracking ID %(id)s cannot be an advisory identifier (at most %(max)s characters, "
                          "with letters or digits).") % {"id": tracking["id"], "max": TRACKING_ID_MAX})
    for index, vulnerability in enumerate(doc.get("vulnerabilities") or []):
        if len(str(vulnerability.get("cve", ""))) > CVE_MAX:  # the schema's pattern has no upper bound
            problems.append(_("/vulnerabilities/%(index)s/cve: a CVE ID has at most %(max)s characters.")
                            % {"index": index, "max": CVE_MAX})
    if problems or code is None:
        raise ImportRefused([(source, problem) for problem in problems])
    try:
        mapped = csaf_map.mapped(doc, code)
    except (ValueError, OverflowError) as exc:  # a date the schema accepts but Python cannot hold (a leap second,
        # or year 9999 with a negative offset)
        raise _refuse(source, _("A date in the document cannot be read: %(error)s") % {"error": exc}) from exc
    mapped.warnings[:0] = warnings
    return Loaded(source, doc, text, mapped)


def slug_of(tracking_id: str) -> str:
    """The public address of an identifier: EW#12345678 -> EW12345678, RHSA-2019:1862 -> RHSA-2019-1862."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", tracking_id.replace("#", "")).strip("-")[:40]


def _kind(tracking_id: str, products: list[dict[str, Any]], origin: str) -> str:
    prefixes = conf.id_prefixes()
    if len(prefixes) > 1 and tracking_id.startswith(prefixes[1]):
        return AdvisoryKind.MULTI
    if tracking_id.startswith(prefixes[0]):
        return AdvisoryKind.SINGLE
    several = len({p["developer"] for p in products}) > 1
    return AdvisoryKind.MULTI if several or origin == AdvisoryOrigin.OVERSEAS_CSIRT else AdvisoryKind.SINGLE


def _write_rows(advisory: Advisory, mapped: csaf_map.Mapped) -> None:
    lang = mapped.lang
    advisory.vulnerabilities.all().delete()
    advisory.products.all().delete()
    Vulnerability.objects.bulk_create(
        Vulnerability(advisory=advisory, position=i, cve=v["cve"], cwe=v["cwe"], cvss_v3=v["cvss_v3"],
                      cvss_v4=v["cvss_v4"], **{f"title_{lang}": v["title"]})
        for i, v in enumerate(mapped.vulnerabilities))
    names = ("ja", "en") if lang == "en" else ("ja",)  # the Japanese name is required: English names stand in
    AffectedProduct.objects.bulk_create(
        AffectedProduct(advisory=advisory, position=p["position"], versions=p["versions"], status=p["status"],
                        purl=p["purl"], cpe=p["cpe"], **{f"statement_{lang}": p["statement"]},
                        **{f"developer_name_{n}": p["developer"] for n in names},
                        **{f"product_name_{n}": p["product"] for n in names})
        for p in mapped.products)


def _store_revisions(advisory: Advisory, loaded: Loaded, actor: Actor, after: int) -> AdvisoryRevision:
    """Revision rows for the history entries newer than ``after``: the last one is the served document; earlier
    ones (published before the import, content unknown) keep only number, date and summary."""
    mapped = loaded.mapped
    try:
        content = snapshot.content_of(advisory)
    except ValidationFailed as exc:
        raise _refuse(loaded.source, str(exc.message)) from exc
    path = csaf_doc.document_path(mapped.tracking_id, mapped.initial)
    if AdvisoryRevision.objects.filter(csaf_path=path).exclude(advisory=advisory).exists():
        raise _refuse(loaded.source, _("Another advisory is already served as %(path)s.") % {"path": path})
    common = {"advisory": advisory, "advisory_version": advisory.version, "tracking_id": mapped.tracking_id,
              "slug": advisory.slug, "initial_published_at": mapped.initial, "csaf_path": path}
    newer = [entry for entry in mapped.history if entry.number > after]
    for entry in newer[:-1]:
        AdvisoryRevision.objects.create(**common, number=entry.number, is_current=False, published_at=entry.date,
                                        **{f"summary_{mapped.lang}": entry.summary[:300]}, content={}, csaf="")
    last = newer[-1]
    return AdvisoryRevision.objects.create(
        **common, number=last.number, is_current=True, published_at=mapped.current, published_by=actor.user,
        **{f"summary_{mapped.lang}": last.summary[:300]}, content=content, csaf=loaded.text,
        csaf_signature=openpgp.sign_detached(loaded.text.encode()),
        developers="\n".join(snapshot.names(content, "developer")),
        products="\n".join(snapshot.names(content, "product")), max_score=content["max_score"],
        severity=content["severity"], exploited=content["exploited"], search_tokens=search.index_text(content))


def _store(actor: Actor, loaded: Loaded, origin: str | None) -> ImportResult:
    mapped = loaded.mapped
    source = loaded.source
    advisory = Advisory.objects.select_for_update().filter(tracking_id=mapped.tracking_id).first()
    created = advisory is None
    after = 0
    if advisory is None:
        slug = slug_of(mapped.tracking_id)
        if Advisory.objects.filter(slug=slug).exists():
            raise _refuse(source, _("Another advisory already has the address %(slug)s.") % {"slug": slug})
        origin = origin or AdvisoryOrigin.DOMESTIC
        try:
            with transaction.atomic():
                advisory = Advisory.objects.create(
                    tracking_id=mapped.tracking_id, slug=slug, origin=origin, created_by=actor.user,
                    kind=_kind(mapped.tracking_id, mapped.products, origin), **mapped.fields)
        except IntegrityError as exc:  # the same identifier imported or created concurrently
            raise ConcurrentChange(_("Someone else changed this advisory meanwhile. Reload it and try again.")) \
                from exc
    else:
        current = advisory.revisions.filter(is_current=True).first()
        if current is None:
            raise _refuse(source, _("The identifier %(id)s belongs to an unpublished draft.")
                          % {"id": mapped.tracking_id})
        published = current.csaf_document()
        if published == loaded.doc:
            return ImportResult(source, advisory, "unchanged", None, mapped.warnings)
        if published["document"]["publisher"]["namespace"] != mapped.namespace:
            raise _refuse(source, _("%(id)s is already published by another publisher (%(namespace)s).")
                          % {"id": mapped.tracking_id, "namespace": published["document"]["publisher"]["namespace"]})
        after = advisory.revisions.order_by("-number").values_list("number", flat=True).first() or 0
        if mapped.history[-1].number <= after:
            raise _refuse(source, _("Version %(version)s is not newer than the published version %(published)s.")
                          % {"version": mapped.version, "published": published["document"]["tracking"]["version"]})
        if advisory.version != current.advisory_version:
            raise _refuse(source, _("%(id)s has unpublished edits; publish or discard them first.")
                          % {"id": mapped.tracking_id})
        for name, value in mapped.fields.items():
            setattr(advisory, name, value)
        advisory.origin = origin or advisory.origin
        advisory.version += 1
        advisory.approved_by, advisory.approved_version = None, None
        advisory.updated_at = timezone.now()
        advisory.save()
        current.is_current = False
        current.save(update_fields=["is_current"])
    _write_rows(advisory, mapped)
    revision = _store_revisions(advisory, loaded, actor, after)
    public_files.refresh_on_commit(advisory.slug)
    event_record(advisory=advisory, actor=actor, tag="advisory:revision:imported", data={
        "created": created, "source": source[-200:], "tracking_version": mapped.version, "number": revision.number,
        "origin": advisory.origin, "publisher": mapped.namespace, "warnings": mapped.warnings[:50],
        "sha256": hashlib.sha256(loaded.text.encode()).hexdigest()})
    return ImportResult(source, advisory, "created" if created else "updated", revision, mapped.warnings)


def _allowed(actor: Actor, origin: str | None) -> None:
    if not actor.staff_may(Action.ADVISORY_PUBLISH):
        raise ActionDenied
    if origin is not None and origin not in AdvisoryOrigin.values:
        raise ValidationFailed(_("Choose the origin of the advisory."), field="origin")


def advisory_import_csaf(*, actor: Actor, document: bytes | str | dict[str, Any], origin: str | None = None,
                         lang: str | None = None, source: str = "") -> ImportResult:
    """Import one CSAF document as a published advisory (created, updated with a new revision, or unchanged).

    ``origin`` (``AdvisoryOrigin``) is set on a new advisory (default domestic) and, when given, on an update.
    ``lang`` overrides the document's language. All or nothing; ``ImportRefused`` names every failing test.
    """
    return advisory_import_batch(actor=actor, documents=[(source, document)], origin=origin, lang=lang)[0]


def advisory_import_batch(*, actor: Actor, documents: list[tuple[str, bytes | str | dict[str, Any]]],
                          origin: str | None = None, lang: str | None = None) -> list[ImportResult]:
    """Import several documents all or nothing: every one is checked first (the refusal lists the problems of
    all of them), then all are stored in one transaction, oldest ``current_release_date`` first, so that two
    versions of one advisory become two revisions."""
    _allowed(actor, origin)
    loaded: list[Loaded] = []
    problems: list[tuple[str, str]] = []
    for source, document in documents:
        try:
            loaded.append(check(document, source=source, lang=lang))
        except ImportRefused as exc:
            problems.extend(exc.problems)
    if problems:
        raise ImportRefused(problems)
    loaded.sort(key=lambda item: item.mapped.current)
    with transaction.atomic():
        return [_store(actor, item, origin) for item in loaded]
