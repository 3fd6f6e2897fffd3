"""OSV 1.7 records for advisories about packages with a purl ecosystem (https://ossf.github.io/osv-schema/).

Only products the advisory lists as affected, with a purl whose type maps to an OSV ecosystem, are exported.
Their ``vers`` ranges become OSV events when they can be said exactly (introduced/fixed/last_affected, or
listed versions); otherwise the record keeps the ``vers`` string in ``database_specific`` rather than guess.
Ids use the ``x_`` prefix the schema reserves for unregistered databases (docs/advisories.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from packageurl import PackageURL

from earlywarn.advisories import formats, snapshot

OSV_SCHEMA_VERSION = "1.7.5"
# purl type -> OSV ecosystem (purl-spec types and the OSV ecosystem list, both in shared/conformance).
ECOSYSTEMS = {"npm": "npm", "pypi": "PyPI", "maven": "Maven", "gem": "RubyGems", "golang": "Go",
              "cargo": "crates.io", "nuget": "NuGet", "composer": "Packagist", "hex": "Hex", "pub": "Pub",
              "cran": "CRAN", "hackage": "Hackage", "swift": "SwiftURL", "cocoapods": "CocoaPods"}
SEMVER_ECOSYSTEMS = frozenset({"npm", "Go", "crates.io", "Hex", "Pub"})


def osv_id(tracking_id: str) -> str:
    return "x_" + tracking_id.replace("#", "-")


def _package_name(purl: PackageURL) -> str:
    if purl.type == "maven":
        return f"{purl.namespace}:{purl.name}"
    if purl.namespace and purl.type in {"npm", "golang", "composer", "swift"}:
        return f"{purl.namespace}/{purl.name}"
    return str(purl.name)


def events_of(vers: str) -> tuple[list[dict[str, str]], list[str]] | None:
    """(range events, listed versions) for a vers range, or None when OSV cannot say it exactly."""
    constraints = formats.parse_vers(vers).constraints
    events: list[dict[str, str]] = []
    versions: list[str] = []
    open_range = False
    for constraint in constraints:
        comparator, version = constraint.comparator, str(constraint.version)
        if comparator == "=":
            if open_range:
                return None
            versions.append(version)
        elif comparator == ">=" and not open_range:
            events.append({"introduced": version})
            open_range = True
        elif comparator in {"<", "<="}:
            if not open_range:
                events.append({"introduced": "0"})
            events.append({"fixed" if comparator == "<" else "last_affected": version})
            open_range = False
        elif comparator == "*" and not events and not versions:
            events.append({"introduced": "0"})
            open_range = True
        else:
            return None  # ">", "!=" or an unusual order: not exactly expressible
    return events, versions


def _in_ecosystem(product: dict[str, Any]) -> tuple[PackageURL, str] | None:
    """An affected product's purl and its OSV ecosystem, or None (not affected, no purl, no such ecosystem)."""
    if product["status"] != "affected" or not product["purl"]:
        return None
    purl = PackageURL.from_string(product["purl"])
    ecosystem = ECOSYSTEMS.get(purl.type)
    return (purl, ecosystem) if ecosystem is not None else None


def applies(content: dict[str, Any]) -> bool:
    """Whether ``build`` gives a record for this content (without building it)."""
    return any(_in_ecosystem(product) is not None for product in content["products"])


def _affected(product: dict[str, Any]) -> dict[str, Any] | None:
    found = _in_ecosystem(product)
    if found is None:
        return None
    purl, ecosystem = found
    plain = PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name).to_string()
    entry: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": _package_name(purl), "purl": plain}}
    versions = product["versions"]
    said = events_of(versions) if versions.startswith("vers:") else None
    if said is not None:
        events, listed = said
        if events:
            entry["ranges"] = [{"type": "SEMVER" if ecosystem in SEMVER_ECOSYSTEMS else "ECOSYSTEM",
                                "events": events}]
        if listed:
            entry["versions"] = listed
    elif purl.version:
        entry["versions"] = [purl.version]
    if versions and said is None:
        entry["database_specific"] = {"versions": versions}
    return entry


def build(content: dict[str, Any], *, published: datetime, modified: datetime, url: str) -> dict[str, Any] | None:
    """The OSV record of a revision's content, or None when no affected product has a purl ecosystem."""
    affected = [entry for entry in map(_affected, content["products"]) if entry is not None]
    if not affected:
        return None
    title, _lang = snapshot.text(content, "title", "en")
    details, _lang = snapshot.text(content, "description", "en")
    severity: list[dict[str, str]] = []
    for vuln in content["vulnerabilities"]:
        for key, kind in (("cvss_v3", "CVSS_V3"), ("cvss_v4", "CVSS_V4")):
            if vuln[key] and kind not in {s["type"] for s in severity}:
                severity.append({"type": kind, "score": vuln[key]["vector"]})
    record: dict[str, Any] = {
        "schema_version": OSV_SCHEMA_VERSION, "id": osv_id(content["tracking_id"]),
        "modified": formats.iso_utc(modified), "published": formats.iso_utc(published),
        "aliases": [v["cve"] for v in content["vulnerabilities"] if v["cve"]],
        "summary": title[:120], "details": details, "affected": affected,
        "references": [{"type": "ADVISORY", "url": url}]
        + [{"type": "WEB", "url": ref["url"]} for ref in content["references"]],
    }
    if severity:
        record["severity"] = severity
    credits, _lang = snapshot.text(content, "credits", "en")
    if credits:
        record["credits"] = [{"name": credits, "type": "FINDER"}]
    cwes = [v["cwe"] for v in content["vulnerabilities"] if v["cwe"]]
    if cwes:
        record["database_specific"] = {"cwe_ids": cwes}
    if content.get("withdrawn"):  # withdrawal.py: the time the advisory was withdrawn
        record["withdrawn"] = content["withdrawn"]["at"]
    return record
