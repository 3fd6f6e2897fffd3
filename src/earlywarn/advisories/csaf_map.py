"""From a validated CSAF 2.0 document to the rows of an advisory (``csaf_import`` checks and stores them).

The mapping is the inverse of our writer (``csaf_doc``) for our own documents, and a best effort for others:
every note, remediation, threat and acknowledgment lands in some text field, and whatever cannot be said in
our model (a second score for other products, a CVSS 3.0 vector, an unparsable purl) is named in ``warnings``.
The served CSAF document of an imported revision is always the original one, so nothing is lost there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from earlywarn.advisories import csaf_doc, formats
from earlywarn.advisories.models import ProductStatus
from earlywarn.cases.errors import ValidationFailed

# CSAF product_status keys -> our per-product status; when the vulnerabilities of a document disagree about a
# product, the first of PRIORITY wins (an advisory page must never show "fixed" for something still affected).
STATUS_OF: dict[str, str] = {
    "known_affected": ProductStatus.AFFECTED, "first_affected": ProductStatus.AFFECTED,
    "last_affected": ProductStatus.AFFECTED, "under_investigation": ProductStatus.UNDER_INVESTIGATION,
    "fixed": ProductStatus.FIXED, "first_fixed": ProductStatus.FIXED, "recommended": ProductStatus.FIXED,
    "known_not_affected": ProductStatus.NOT_AFFECTED}
PRIORITY: list[str] = [ProductStatus.AFFECTED, ProductStatus.UNDER_INVESTIGATION, ProductStatus.FIXED,
                       ProductStatus.NOT_AFFECTED]
REMEDIATION_FIELD = {"vendor_fix": "solution", "none_available": "solution", "workaround": "workarounds",
                     "mitigation": "workarounds", "no_fix_planned": "stop_using"}
VERSION_CATEGORIES = ("product_version", "product_version_range")
TITLES = csaf_doc.NOTE_TITLES
CVSS_V4_RE = re.compile(r"^CVSS:4\.0/\S+$")


@dataclass(frozen=True)
class HistoryEntry:
    number: int  # our revision number: the integer version, or the position for semantic versioning
    version: str  # as written in the document
    date: datetime
    summary: str


@dataclass
class Mapped:
    tracking_id: str
    version: str
    lang: str
    namespace: str
    initial: datetime
    current: datetime
    history: list[HistoryEntry]
    fields: dict[str, Any]
    vulnerabilities: list[dict[str, Any]]
    products: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def parse_time(value: str) -> datetime:
    """A document's date-time as a UTC instant."""
    return formats.parse_iso(value).astimezone(UTC)


def history_of(doc: dict[str, Any]) -> list[HistoryEntry]:
    """The revision history, oldest first. Integer versioning keeps its numbers; semantic versioning is numbered
    by position (the document keeps its own version strings)."""
    rows = doc["document"]["tracking"]["revision_history"]
    integer = all(str(r["number"]).isdigit() for r in rows)

    def key(row: dict[str, Any]) -> tuple[int, ...]:
        if integer:
            return (int(row["number"]),)
        core = str(row["number"]).split("+")[0].split("-")[0]
        return tuple(int(part) for part in core.split("."))

    ordered = sorted(rows, key=key)
    return [HistoryEntry(int(r["number"]) if integer else position, str(r["number"]), parse_time(r["date"]),
                         str(r.get("summary", "")))
            for position, r in enumerate(ordered, start=1)]


def _clip(value: str, limit: int, what: str, warnings: list[str]) -> str:
    if len(value) <= limit:
        return value
    warnings.append(f"{what}: shortened to {limit} characters")
    return value[: limit - 1] + "…"


class _Parts:
    """Text pieces per field, in document order, without repeating the same text."""

    def __init__(self) -> None:
        self.parts: dict[str, list[str]] = {}

    def add(self, name: str, text: str, title: str = "") -> None:
        text = text.strip()
        if not text:
            return
        piece = f"{title}\n{text}" if title else text
        pieces = self.parts.setdefault(name, [])
        if piece not in pieces:
            pieces.append(piece)

    def text(self, name: str) -> str:
        return "\n\n".join(self.parts.get(name, []))


def _titles(key: str) -> set[str]:
    return {TITLES["ja"][key], TITLES["en"][key]}


def _products_of_tree(doc: dict[str, Any], publisher: str) -> dict[str, dict[str, Any]]:
    """product_id -> {full, developer, product, versions, purl, cpe}, in document order."""
    found: dict[str, dict[str, Any]] = {}

    def add(full: dict[str, Any], path: list[tuple[str, str]]) -> None:
        names = dict(path)
        helper = full.get("product_identification_helper") or {}
        cpe = str(helper.get("cpe", ""))
        vendor = names.get("vendor") or (cpe.split(":")[3] if cpe.startswith("cpe:2.3:") else "") or publisher
        product = names.get("product_name") or names.get("product_family") or full["name"]
        versions = next((names[c] for c in VERSION_CATEGORIES if c in names), "")
        found[full["product_id"]] = {"full": full["name"], "developer": vendor, "product": product,
                                     "versions": versions, "purl": str(helper.get("purl", "")), "cpe": cpe}

    def walk(branches: list[dict[str, Any]], path: list[tuple[str, str]]) -> None:
        for branch in branches:
            here = [*path, (branch["category"], branch["name"])]
            if "product" in branch:
                add(branch["product"], here)
            walk(branch.get("branches", []), here)

    tree = doc.get("product_tree") or {}
    walk(tree.get("branches", []), [])
    for full in tree.get("full_product_names", []):
        add(full, [])
    for relation in tree.get("relationships", []):
        base = found.get(relation["relates_to_product_reference"]) or found.get(relation["product_reference"]) or {}
        add(relation["full_product_name"], [("vendor", base.get("developer", publisher))])
    return found


def _statuses(doc: dict[str, Any]) -> dict[str, str]:
    status: dict[str, str] = {}
    for vuln in doc.get("vulnerabilities", []):
        for key, ids in (vuln.get("product_status") or {}).items():
            for product_id in ids:
                new = STATUS_OF[key]
                old = status.get(product_id)
                if old is None or PRIORITY.index(new) < PRIORITY.index(old):
                    status[product_id] = new
    return status


def _acknowledgment(ack: dict[str, Any]) -> str:
    who = ", ".join(ack.get("names", []))
    if ack.get("organization"):
        who = f"{who} ({ack['organization']})" if who else str(ack["organization"])
    summary = str(ack.get("summary", ""))
    return f"{who}: {summary}" if who and summary else who or summary


def _score(vuln: dict[str, Any], index: int, warnings: list[str]) -> str:
    """The vulnerability's CVSS 3.1 vector: the highest scored one when the document gives several."""
    vectors = []
    for score in vuln.get("scores", []):
        vector = str((score.get("cvss_v3") or {}).get("vectorString", ""))
        if vector.startswith("CVSS:3.0/"):
            warnings.append(f"/vulnerabilities/{index}/scores: CVSS 3.0 vector scored as CVSS 3.1")
            vector = "CVSS:3.1/" + vector.removeprefix("CVSS:3.0/")
        if "cvss_v2" in score and "cvss_v3" not in score:
            warnings.append(f"/vulnerabilities/{index}/scores: CVSS 2.0 score not kept")
        if vector:
            vectors.append(vector)
    scored = []
    for vector in dict.fromkeys(vectors):
        try:
            scored.append((formats.cvss_score(vector).base_score, vector))
        except ValidationFailed:
            warnings.append(f"/vulnerabilities/{index}/scores: vector {vector} not kept")
    if len(scored) > 1:
        warnings.append(f"/vulnerabilities/{index}/scores: {len(scored)} vectors, the highest is kept")
    return max(scored, default=(Decimal(0), ""))[1]


def _vulnerability(vuln: dict[str, Any], index: int, doc_title: str, texts: _Parts,
                   warnings: list[str]) -> tuple[dict[str, Any], bool]:
    """(Vulnerability row, exploited?) with the vulnerability's texts added to ``texts``."""
    cvss_v4 = ""
    for note in vuln.get("notes", []):
        text = str(note["text"]).strip()
        if note.get("title") == csaf_doc.CVSS_V4_TITLE or (note["category"] == "other" and CVSS_V4_RE.match(text)):
            try:
                cvss_v4 = formats.cvss_score(text).vector
            except ValidationFailed:
                warnings.append(f"/vulnerabilities/{index}/notes: CVSS 4.0 vector {text} not kept")
            continue
        plain = note["category"] in {"description", "details", "summary"}
        texts.add("description", text, "" if plain else str(note.get("title", "")))
    for remediation in vuln.get("remediations", []):
        details = str(remediation["details"]) + (f"\n{remediation['url']}" if remediation.get("url") else "")
        texts.add(REMEDIATION_FIELD.get(remediation["category"], "solution"), details)
    exploited = False
    ours = {TITLES["ja"]["exploited_text"], TITLES["en"]["exploited_text"]}
    for threat in vuln.get("threats", []):
        if threat["category"] == "exploit_status" and threat["details"] in ours:
            exploited = True
        else:
            texts.add("impact", str(threat["details"]))
    for ack in vuln.get("acknowledgments", []):
        texts.add("credits", _acknowledgment(ack))
    title = str(vuln.get("title", "")).strip()
    cwe = str((vuln.get("cwe") or {}).get("id", ""))
    row = {"cve": str(vuln.get("cve", "")), "cwe": cwe if cwe and formats.cwe_name(cwe) else "",
           "title": _clip(title if title != doc_title else "", 300, f"/vulnerabilities/{index}/title", warnings),
           "cvss_v3": _score(vuln, index, warnings), "cvss_v4": cvss_v4}
    return row, exploited


def _references(doc: dict[str, Any]) -> list[dict[str, str]]:
    own = csaf_doc.base_url()
    refs: dict[str, str] = {}
    for ref in [*doc["document"].get("references", []),
                *(r for v in doc.get("vulnerabilities", []) for r in v.get("references", []))]:
        url = str(ref["url"])
        if ref.get("category") == "self" and url.startswith(own + "/"):
            continue  # our own addresses: the provider writes them again
        summary = str(ref.get("summary", ""))
        refs.setdefault(url, "" if summary == url else summary)
    return [{"url": url, "summary": summary} if summary else {"url": url} for url, summary in refs.items()]


def _product_rows(doc: dict[str, Any], texts: _Parts, warnings: list[str]) -> list[dict[str, Any]]:
    publisher = str(doc["document"]["publisher"]["name"])
    tree = _products_of_tree(doc, publisher)
    status = _statuses(doc)
    statements: dict[str, list[str]] = {}
    for note in doc["document"].get("notes", []):
        title = str(note.get("title", ""))
        prefix = next((t for t in _titles("statement") if title.startswith(f"{t}: ")), None)
        if note["category"] == "other" and prefix is not None:
            statements.setdefault(title.removeprefix(f"{prefix}: "), []).append(str(note["text"]))
    rows = []
    for position, (product_id, info) in enumerate((pid, i) for pid, i in tree.items() if pid in status):
        where = f"/product_tree ({product_id})"
        purl, cpe, versions = info["purl"], info["cpe"], info["versions"]
        try:
            purl = formats.check_purl(purl)
        except ValidationFailed:
            warnings.append(f"{where}: purl {purl} not kept (not a valid package URL)")
            purl = ""
        try:
            versions = formats.check_versions(versions)
        except ValidationFailed:
            warnings.append(f"{where}: version range {versions} kept as text")
            versions = versions.removeprefix("vers:")
        waiting = statements.get(info["full"], [])
        rows.append({
            "developer": _clip(info["developer"], 200, f"{where} vendor", warnings),
            "product": _clip(info["product"], 200, f"{where} product name", warnings),
            "versions": _clip(versions, 500, f"{where} versions", warnings), "status": status[product_id],
            "purl": _clip(purl, 500, f"{where} purl", warnings), "cpe": _clip(cpe, 500, f"{where} cpe", warnings),
            "statement": waiting.pop(0) if waiting else "", "position": position})
    for rest in statements.values():
        for text in rest:
            texts.add("description", text)
    return rows


def mapped(doc: dict[str, Any], lang: str) -> Mapped:
    """The advisory a valid CSAF document describes, with texts in ``lang`` (``ja`` or ``en``)."""
    document = doc["document"]
    tracking = document["tracking"]
    warnings: list[str] = []
    texts = _Parts()
    title = str(document["title"]).strip()
    for note in document.get("notes", []):
        note_title = str(note.get("title", ""))
        if note["category"] == "other" and any(note_title.startswith(f"{t}: ") for t in _titles("statement")):
            continue  # a developer's statement: given back to its product below
        if note_title in _titles("impact"):
            texts.add("impact", str(note["text"]))
        elif note["category"] == "summary":
            texts.add("overview", str(note["text"]))
        else:
            plain = note["category"] in {"description", "details"}
            texts.add("description", str(note["text"]), "" if plain else note_title)
    for ack in document.get("acknowledgments", []):
        texts.add("credits", _acknowledgment(ack))
    vulnerabilities, exploited = [], False
    for index, vuln in enumerate(doc.get("vulnerabilities", [])):
        row, seen = _vulnerability(vuln, index, title, texts, warnings)
        vulnerabilities.append(row)
        exploited = exploited or seen
    products = _product_rows(doc, texts, warnings)
    fields: dict[str, Any] = {f"{name}_{lang}": texts.text(name) for name in
                              ("overview", "description", "impact", "solution", "workarounds", "stop_using",
                               "credits")}
    fields[f"title_{lang}"] = _clip(title, 300, "/document/title", warnings)
    fields.update(exploited=exploited, exploitation_agreed=exploited, references=_references(doc))
    return Mapped(tracking_id=str(tracking["id"]), version=str(tracking["version"]), lang=lang,
                  namespace=str(document["publisher"]["namespace"]),
                  initial=parse_time(tracking["initial_release_date"]),
                  current=parse_time(tracking["current_release_date"]), history=history_of(doc), fields=fields,
                  vulnerabilities=vulnerabilities, products=products, warnings=warnings)
