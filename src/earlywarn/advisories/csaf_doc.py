"""CSAF 2.0 ``csaf_security_advisory`` documents from a revision's content (OASIS CSAF 2.0, §3 and §4).

Validated by ``csaf_check.csaf_findings`` (official schema + every mandatory test) before anything is stored.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import Any

from django.conf import settings

from earlywarn.advisories import conf, formats, snapshot

TLP_LABEL = "WHITE"  # published advisories are public: TLP:WHITE (CSAF 2.0 uses TLP v1 labels)
TLP_URL = "https://www.first.org/tlp/"
CVSS_V4_TITLE = "CVSS v4.0"
STATUS_KEYS = {"affected": "known_affected", "fixed": "fixed", "not_affected": "known_not_affected",
               "under_investigation": "under_investigation"}
NOTE_TITLES = {
    "ja": {"overview": "概要", "description": "詳細情報", "impact": "想定される影響", "solution": "対策方法",
           "workarounds": "回避策", "stop_using": "利用中止の呼びかけ", "exploited": "悪用の状況",
           "exploited_text": "この脆弱性を悪用した攻撃が確認されています。", "statement": "製品開発者の見解"},
    "en": {"overview": "Overview", "description": "Description", "impact": "Impact", "solution": "Solution",
           "workarounds": "Workarounds", "stop_using": "Stop using the product", "exploited": "Exploitation",
           "exploited_text": "Attacks exploiting this vulnerability have been observed.",
           "statement": "Developer statement"},
}


def filename(tracking_id: str) -> str:
    """CSAF 2.0 §5.1: lower case, every run of characters other than + - a-z 0-9 becomes one underscore."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"


def document_path(tracking_id: str, initial: datetime) -> str:
    """Path below /.well-known/csaf/ (CSAF 2.0 §7.1.11: <tlp>/<year of the initial release>/<filename>)."""
    return f"{TLP_LABEL.lower()}/{initial.year}/{filename(tracking_id)}"


def dumps(doc: dict[str, Any]) -> str:
    """The served bytes (UTF-8): stored once, hashed and signed as they are."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


@cache  # the installed version cannot change under a running process; the lookup costs ~1 ms (bench/publication)
def engine_version() -> str:
    try:
        return metadata.version("earlywarn")
    except metadata.PackageNotFoundError:
        return "0"


def base_url() -> str:
    return str(settings.BASE_URL)


def _t(content: dict[str, Any], name: str, lang: str) -> str:
    return content["texts"][lang].get(name, "")


def full_name(product: dict[str, Any], lang: str) -> str:
    """The product's ``full_product_name`` name: vendor, product and versions (also the title of its statement
    note, so that an import can give each statement back to its product)."""
    vendor, name = snapshot.either(product["developer"], lang), snapshot.either(product["product"], lang)
    return f"{vendor} {name} {product['versions']}".strip()


def _product_tree(content: dict[str, Any], lang: str) -> dict[str, Any]:
    vendors: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for product in content["products"]:
        vendor, name = snapshot.either(product["developer"], lang), snapshot.either(product["product"], lang)
        full: dict[str, Any] = {"name": full_name(product, lang), "product_id": product["id"]}
        helper = {key: product[key] for key in ("purl", "cpe") if product[key]}
        if helper:
            full["product_identification_helper"] = helper
        versions = product["versions"]
        if not versions:
            leaf = {"category": "product_name", "name": name, "product": full}
            vendors[vendor]["\0" + name].append(leaf)
            continue
        single = re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.\-_+]*", versions) is not None
        vendors[vendor][name].append({"category": "product_version" if single else "product_version_range",
                                      "name": versions, "product": full})
    branches = []
    for vendor, products in vendors.items():
        children = []
        for name, leaves in products.items():
            if name.startswith("\0"):
                children.extend(leaves)
            else:
                children.append({"category": "product_name", "name": name, "branches": leaves})
        branches.append({"category": "vendor", "name": vendor, "branches": children})
    return {"branches": branches}


def _vulnerability(content: dict[str, Any], vuln: dict[str, Any], lang: str) -> dict[str, Any]:
    titles = NOTE_TITLES[lang]
    status: dict[str, list[str]] = defaultdict(list)
    for product in content["products"]:
        status[STATUS_KEYS[product["status"]]].append(product["id"])
    affected = status.get("known_affected", [])
    out: dict[str, Any] = {}
    if vuln["cve"]:
        out["cve"] = vuln["cve"]
    if vuln["cwe"]:
        out["cwe"] = {"id": vuln["cwe"], "name": vuln["cwe_name"]}
    title = vuln["title"][lang] or _t(content, "title", lang)
    out["title"] = title
    out["notes"] = [{"category": "description", "title": titles["description"],
                     "text": _t(content, "description", lang) or title}]
    if vuln["cvss_v4"]:  # CSAF 2.0 scores have no CVSS 4.0: the vector is carried as a note (csaf_import reads it)
        out["notes"].append({"category": "other", "title": CVSS_V4_TITLE, "text": vuln["cvss_v4"]["vector"]})
    out["product_status"] = dict(status)
    if vuln["cvss_v3"] and affected:
        out["scores"] = [{"products": affected, "cvss_v3": vuln["cvss_v3"]["csaf"]}]
    remediations = []
    for key, category in (("solution", "vendor_fix"), ("workarounds", "workaround"), ("stop_using", "no_fix_planned")):
        if _t(content, key, lang) and affected:
            remediations.append({"category": category, "details": _t(content, key, lang), "product_ids": affected})
    if remediations:
        out["remediations"] = remediations
    if content["exploited"] and affected:
        out["threats"] = [{"category": "exploit_status", "details": titles["exploited_text"],
                           "product_ids": affected}]
    return out


def build(content: dict[str, Any], *, history: list[dict[str, Any]], initial: datetime,
          current: datetime) -> dict[str, Any]:
    """The CSAF document of revision ``history[-1]`` ({"number", "date", "summary"}) of ``content``."""
    lang = conf.csaf_lang()
    titles = NOTE_TITLES[lang]
    notes = [{"category": category, "title": titles[name], "text": _t(content, name, lang)}
             for name, category in (("overview", "summary"), ("impact", "general")) if _t(content, name, lang)]
    for product in content["products"]:
        statement = product["statement"][lang]
        if statement:
            notes.append({"category": "other", "title": f"{titles['statement']}: {full_name(product, lang)}",
                          "text": statement})
    page = f"{base_url()}/advisories/{content['slug']}/"
    json_url = f"{base_url()}/.well-known/csaf/{document_path(content['tracking_id'], initial)}"
    references = [{"category": "self", "summary": content["tracking_id"], "url": json_url},
                  {"category": "self", "summary": content["tracking_id"], "url": page}]
    references += [{"category": "external", "summary": ref.get("summary") or ref["url"], "url": ref["url"]}
                   for ref in content["references"]]
    document: dict[str, Any] = {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "lang": lang,
        "title": _t(content, "title", lang),
        "publisher": {"category": conf.setting("CSAF_PUBLISHER_CATEGORY"),
                      "name": conf.setting("CSAF_PUBLISHER_NAME"), "namespace": base_url()},
        "distribution": {"tlp": {"label": TLP_LABEL, "url": TLP_URL}},
        "notes": notes,
        "references": references,
        "tracking": {
            "id": content["tracking_id"], "status": "final", "version": str(history[-1]["number"]),
            "initial_release_date": formats.iso_utc(initial), "current_release_date": formats.iso_utc(current),
            "revision_history": [{"number": str(r["number"]), "date": formats.iso_utc(r["date"]),
                                  "summary": r["summary"]} for r in history],
            "generator": {"engine": {"name": "earlywarn", "version": engine_version()},
                          "date": formats.iso_utc(current)},
        },
    }
    credits = _t(content, "credits", lang)
    if credits:
        document["acknowledgments"] = [{"summary": credits}]
    return {"document": document, "product_tree": _product_tree(content, lang),
            "vulnerabilities": [_vulnerability(content, v, lang) for v in content["vulnerabilities"]]}
