"""CSAF 2.0 ``csaf_vex`` documents next to the security advisory (CSAF 2.0 §4.5, mandatory tests 6.1.27.x).

Decision (docs/advisories.md, "VEX"): a VEX document is a separate document with its own tracking id (the
advisory's id + ``-vex``), its own file under the same provider (listed in index.txt, changes.csv and the ROLIE
feed, hashed and signed like the advisory), published in the same transaction as the advisory revision. It is
produced when the developers gave per-product status: at least one product row has a developer statement (text or
date) or a status other than the default "affected". Once an advisory has had a VEX document, every later revision
keeps producing it, so that a served document never silently disappears.

The VEX content is the advisory's content; what the profile adds is made explicit:

* each ``known_not_affected`` product gets an impact statement (a ``threats`` item of category ``impact``: the
  developer's statement, or a fixed sentence when there is none) — 6.1.27.9;
* each ``known_affected`` product is covered by a remediation (the advisory's solution/workaround; when there is
  none, ``none_available``) — 6.1.27.10;
* a vulnerability without a CVE ID gets an ``ids`` entry (publisher name, ``<tracking id>-<n>``) — 6.1.27.8.

Its revision numbers are its own (1, 2, … over the advisory revisions that carried a VEX document).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from earlywarn.advisories import conf, csaf_doc, formats, openpgp, snapshot
from earlywarn.advisories.models import Advisory

SUFFIX = "-vex"
NOT_AFFECTED_TEXT = {"ja": "製品開発者はこの製品が影響を受けないとしています。",
                     "en": "The developer states that this product is not affected."}
NO_REMEDIATION_TEXT = {"ja": "この文書には対策が示されていません。製品開発者の見解を参照してください。",
                       "en": "This document gives no remediation; see the developer's statement."}
TITLE_SUFFIX = " (VEX)"


def tracking_id(advisory_tracking_id: str) -> str:
    return f"{advisory_tracking_id}{SUFFIX}"


def developer_gave_status(content: dict[str, Any]) -> bool:
    """Whether any product carries a status the developer gave (a statement, its date, or a non-default status)."""
    return any(p["status"] != "affected" or p["statement"]["ja"] or p["statement"]["en"] or p["statement_date"]
               for p in content["products"])


def wanted(advisory: Advisory, content: dict[str, Any]) -> bool:
    """Whether the next revision carries a VEX document (the condition above, or an earlier one had one)."""
    if developer_gave_status(content):
        return True
    return bool(advisory.pk) and advisory.revisions.exclude(vex_csaf="").exists()


def build(content: dict[str, Any], *, history: list[dict[str, Any]], initial: datetime, current: datetime,
          advisory_url: str) -> dict[str, Any]:
    """The ``csaf_vex`` document of revision ``history[-1]``; ``advisory_url`` is the security advisory's JSON."""
    lang = conf.csaf_lang()
    vex_content = {**content, "tracking_id": tracking_id(content["tracking_id"])}
    doc = copy.deepcopy(csaf_doc.build(vex_content, history=history, initial=initial, current=current))
    document = doc["document"]
    document["category"] = "csaf_vex"
    document["title"] = f"{document['title']}{TITLE_SUFFIX}"
    document["references"].insert(2, {"category": "external", "summary": content["tracking_id"],
                                      "url": advisory_url})
    by_id = {p["id"]: p for p in content["products"]}
    for index, vuln in enumerate(doc["vulnerabilities"], start=1):
        if not vuln.get("cve"):
            vuln["ids"] = [{"system_name": conf.setting("CSAF_PUBLISHER_NAME"),
                            "text": f"{content['tracking_id']}-{index}"}]
        status = vuln.get("product_status", {})
        not_affected = status.get("known_not_affected", [])
        if not_affected:
            vuln.setdefault("threats", []).extend(
                {"category": "impact",
                 "details": snapshot.either(by_id[pid]["statement"], lang) or NOT_AFFECTED_TEXT[lang],
                 "product_ids": [pid]} for pid in not_affected)
        covered = {pid for r in vuln.get("remediations", []) for pid in r.get("product_ids", [])}
        uncovered = [pid for pid in status.get("known_affected", []) if pid not in covered]
        if uncovered:
            vuln.setdefault("remediations", []).append(
                {"category": "none_available", "details": NO_REMEDIATION_TEXT[lang], "product_ids": uncovered})
    return doc


def history_of(advisory: Advisory, now: datetime, summary: str) -> tuple[list[dict[str, Any]], datetime]:
    """(revision history, initial release) of the VEX document that the next revision would carry."""
    lang = conf.csaf_lang()
    earlier = list(advisory.revisions.exclude(vex_csaf="").order_by("number")) if advisory.pk else []
    rows = [{"number": i, "date": r.published_at, "summary": getattr(r, f"summary_{lang}") or r.summary_ja
             or r.summary_en or summary} for i, r in enumerate(earlier, start=1)]
    rows.append({"number": len(earlier) + 1, "date": now, "summary": summary})
    return rows, earlier[0].published_at if earlier else now


def render(advisory: Advisory, content: dict[str, Any], advisory_doc: dict[str, Any],
           now: datetime) -> dict[str, Any] | None:
    """The VEX document to publish with ``advisory_doc`` (same summary and time), or None when none is wanted."""
    if not wanted(advisory, content):
        return None
    summary = advisory_doc["document"]["tracking"]["revision_history"][-1]["summary"]
    history, initial = history_of(advisory, now, summary)
    return build(content, history=history, initial=initial, current=now, advisory_url=self_url(advisory_doc))


def self_url(doc: dict[str, Any]) -> str:
    """The JSON address of a document of ours (its first ``self`` reference)."""
    return str(next(r["url"] for r in doc["document"]["references"] if r["category"] == "self"))


def revision_fields(doc: dict[str, Any] | None) -> dict[str, str]:
    """The ``AdvisoryRevision`` fields that store a VEX document: the served bytes, path and signature."""
    if doc is None:
        return {}
    body = csaf_doc.dumps(doc)
    tracking = doc["document"]["tracking"]
    initial = formats.parse_iso(tracking["initial_release_date"])
    return {"vex_csaf": body, "vex_csaf_path": csaf_doc.document_path(tracking["id"], initial),
            "vex_csaf_signature": openpgp.sign_detached(body.encode())}
