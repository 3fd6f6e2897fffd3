"""CVE Record Format 5.x records (a PUBLISHED record with its CNA container) for the CVE IDs of a published advisory.

One record per vulnerability that has a CVE ID, built from the revision's content like CSAF and OSV. The CNA
container (``containers.cna``) is what a CNA submits to CVE Services; ``cveMetadata`` completes it into a whole
record so that it can be checked against the official schema (tests/advisories/cve_schema/). The CNA's
organisation UUID and short name come from ``EARLYWARN_CVE_ORG_ID`` / ``EARLYWARN_CVE_SHORT_NAME``
(docs/advisories.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from packageurl import PackageURL

from earlywarn.advisories import conf, csaf_doc, osv

DATA_VERSION = "5.1"
# Written when no organisation UUID is configured: schema-valid, but CVE Services will refuse it (documented).
PLACEHOLDER_ORG_ID = "00000000-0000-4000-8000-000000000000"
# product status -> CVE version status
STATUS = {"affected": "affected", "fixed": "unaffected", "not_affected": "unaffected",
          "under_investigation": "unknown"}
# vers scheme -> CVE versionType (the schema's examples; "custom" otherwise)
VERSION_TYPES = {"npm": "semver", "golang": "semver", "cargo": "semver", "hex": "semver", "pub": "semver",
                 "pypi": "python", "maven": "maven", "rpm": "rpm", "deb": "deb", "gem": "gem", "nuget": "nuget"}
# purl type -> package collection URL (as in the schema's collectionURL examples)
COLLECTIONS = {"npm": "https://registry.npmjs.org", "pypi": "https://pypi.python.org",
               "maven": "https://repo.maven.apache.org/maven2", "gem": "https://rubygems.org",
               "cargo": "https://crates.io", "nuget": "https://nuget.org/packages", "composer": "https://packagist.org",
               "hex": "https://repo.hex.pm", "pub": "https://pub.dev", "cran": "https://cran.r-project.org",
               "hackage": "https://hackage.haskell.org", "cocoapods": "https://cocoapods.org"}


class NotReady(Exception):
    """The advisory has this CVE ID but lacks what a record must have: ``reason`` is "description" (no English
    description) or "products" (no product)."""

    def __init__(self, cve_id: str, reason: str) -> None:
        super().__init__(f"{cve_id}: {reason}")
        self.reason = reason


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def org_id() -> str:
    return conf.setting("CVE_ORG_ID") or PLACEHOLDER_ORG_ID


def _provider() -> dict[str, str]:
    provider = {"orgId": org_id()}
    short = conf.setting("CVE_SHORT_NAME")
    if short:
        provider["shortName"] = short
    return provider


def _versions(product: dict[str, Any], status: str) -> list[dict[str, str]] | None:
    """The CVE ``versions`` of one product, or None when it holds for every version (defaultStatus)."""
    text = product["versions"]
    if not text:
        return None
    if not text.startswith("vers:"):
        return [{"version": text, "status": status}]  # free text such as "4.2 and earlier", as JVN records do
    said = osv.events_of(text)
    scheme = text.removeprefix("vers:").split("/", 1)[0]
    kind = VERSION_TYPES.get(scheme, "custom")
    if said is None:
        return [{"version": text, "status": status}]  # not exactly expressible: kept verbatim, never guessed
    events, listed = said
    out = [{"version": version, "status": status} for version in listed]
    start: str | None = None
    for event in events:
        if "introduced" in event:
            start = event["introduced"]
            continue
        bound = "lessThan" if "fixed" in event else "lessThanOrEqual"
        out.append({"version": start or "0", "status": status, "versionType": kind,
                    bound: event.get("fixed") or event["last_affected"]})
        start = None
    if start is not None:
        if start == "0" and not out:
            return None  # vers:<scheme>/*: every version
        out.append({"version": text, "status": status})  # open-ended ">=x": verbatim rather than guessed
    return out


def _affected(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Products grouped by (vendor, product) in English (Japanese when untranslated), versions merged."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for product in content["products"]:
        vendor = product["developer"]["en"] or product["developer"]["ja"]
        name = product["product"]["en"] or product["product"]["ja"]
        entry = groups.setdefault((vendor, name), {"vendor": vendor, "product": name})
        status = STATUS[product["status"]]
        versions = _versions(product, status)
        if versions is None:
            entry["defaultStatus"] = status
        else:
            known = entry.setdefault("versions", [])
            known.extend(v for v in versions if v not in known)
        if product["cpe"] and product["cpe"] not in entry.setdefault("cpes", []):
            entry["cpes"].append(product["cpe"])
        if product["purl"] and "packageName" not in entry:
            purl = PackageURL.from_string(product["purl"])
            if purl.type in COLLECTIONS:
                entry["collectionURL"] = COLLECTIONS[purl.type]
                entry["packageName"] = osv._package_name(purl)
    for entry in groups.values():
        if not entry.get("cpes"):
            entry.pop("cpes", None)
    return list(groups.values())


def _metrics(vuln: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = []
    general = [{"lang": "en", "value": "GENERAL"}]
    if vuln["cvss_v4"]:
        v4 = vuln["cvss_v4"]
        metrics.append({"format": "CVSS", "scenarios": general, "cvssV4_0": {
            "version": "4.0", "vectorString": v4["vector"], "baseScore": float(v4["score"]),
            "baseSeverity": v4["severity"].upper()}})
    if vuln["cvss_v3"]:
        metrics.append({"format": "CVSS", "scenarios": general, "cvssV3_1": dict(vuln["cvss_v3"]["csaf"])})
    return metrics


def _both(content: dict[str, Any], name: str, limit: int = 4096) -> list[dict[str, str]]:
    return [{"lang": lang, "value": content["texts"][lang][name][:limit]}
            for lang in ("en", "ja") if content["texts"][lang].get(name)]


def cve_ids(content: dict[str, Any]) -> list[str]:
    return [v["cve"] for v in content["vulnerabilities"] if v["cve"]]


def build(content: dict[str, Any], cve_id: str, *, published: datetime, updated: datetime) -> dict[str, Any] | None:
    """The CVE record of ``cve_id`` in ``content``, None when the advisory has no such CVE ID; NotReady when
    it lacks the English description or the product a record must have."""
    vuln = next((v for v in content["vulnerabilities"] if v["cve"] == cve_id), None)
    if vuln is None:
        return None
    descriptions = _both(content, "description")
    if not descriptions or descriptions[0]["lang"] != "en":
        raise NotReady(cve_id, "description")
    affected = _affected(content)
    if not affected:
        raise NotReady(cve_id, "products")
    title = vuln["title"]["en"] or content["texts"]["en"].get("title", "")
    page = f"{csaf_doc.base_url()}/advisories/{content['slug']}/"
    references = [{"url": page, "name": content["tracking_id"]}]
    references += [{"url": ref["url"], **({"name": ref["summary"][:512]} if ref.get("summary") else {})}
                   for ref in content["references"] if ref["url"] != page]
    if vuln["cwe"]:
        problem = {"lang": "en", "type": "CWE", "cweId": vuln["cwe"],
                   "description": f"{vuln['cwe']} {vuln['cwe_name'] or ''}".strip()}
    else:
        problem = {"lang": "en", "type": "text", "description": title or descriptions[0]["value"][:4096]}
    cna: dict[str, Any] = {
        "providerMetadata": _provider(),
        "datePublic": _ts(published),
        "descriptions": descriptions,
        "affected": affected,
        "problemTypes": [{"descriptions": [problem]}],
        "references": references,
        "x_generator": {"engine": f"earlywarn {csaf_doc.engine_version()}"},
    }
    if title:
        cna["title"] = title[:256]
    metrics = _metrics(vuln)
    if metrics:
        cna["metrics"] = metrics
    for key, name in (("solutions", "solution"), ("workarounds", "workarounds")):
        texts = _both(content, name)
        if texts:
            cna[key] = texts
    credits = [{**text, "type": "finder"} for text in _both(content, "credits")]
    if credits:
        cna["credits"] = credits
    metadata = {"cveId": cve_id, "assignerOrgId": org_id(), "state": "PUBLISHED",
                "datePublished": _ts(published), "dateUpdated": _ts(updated)}
    if conf.setting("CVE_SHORT_NAME"):
        metadata["assignerShortName"] = conf.setting("CVE_SHORT_NAME")
    return {"dataType": "CVE_RECORD", "dataVersion": DATA_VERSION, "cveMetadata": metadata,
            "containers": {"cna": cna}}
