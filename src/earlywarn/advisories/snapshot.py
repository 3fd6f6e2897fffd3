"""The published content of an advisory: one plain dict, frozen into each revision and read by every renderer.

``content_of`` turns the editable draft into that dict (re-checking every identifier and score), so the page,
CSAF, OSV and search of a revision all come from the same data, and a preview is exactly what would go out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from earlywarn.advisories import formats
from earlywarn.advisories.models import LANGUAGES, TEXT_FIELDS, Advisory


def _pair(obj: Any, name: str) -> dict[str, str]:
    return {lang: str(getattr(obj, f"{name}_{lang}") or "").strip() for lang in LANGUAGES}


def _score(vector: str, field: str) -> dict[str, Any] | None:
    if not vector.strip():
        return None
    score = formats.cvss_score(vector, field)
    return {"version": score.version, "vector": score.vector, "score": str(score.base_score),
            "severity": score.severity, "csaf": score.csaf}


def content_of(advisory: Advisory) -> dict[str, Any]:
    vulnerabilities: list[dict[str, Any]] = []
    for index, vuln in enumerate(advisory.vulnerabilities.all()):
        cwe = formats.check_cwe(vuln.cwe, f"vulnerabilities.{index}.cwe")
        vulnerabilities.append({
            "cve": formats.check_cve(vuln.cve, f"vulnerabilities.{index}.cve"),
            "cwe": cwe, "cwe_name": formats.cwe_name(cwe) if cwe else None,
            "title": _pair(vuln, "title"),
            "cvss_v3": _score(vuln.cvss_v3, f"vulnerabilities.{index}.cvss_v3"),
            "cvss_v4": _score(vuln.cvss_v4, f"vulnerabilities.{index}.cvss_v4"),
        })
    products = []
    for index, product in enumerate(advisory.products.all(), start=1):
        products.append({
            "id": f"EWPID-{index:04d}",
            "developer": _pair(product, "developer_name"), "product": _pair(product, "product_name"),
            "versions": formats.check_versions(product.versions, f"products.{index}.versions"),
            "status": product.status,
            "purl": formats.check_purl(product.purl, f"products.{index}.purl"),
            "cpe": formats.check_cpe(product.cpe, f"products.{index}.cpe"),
            "statement": _pair(product, "statement"),
            "statement_date": product.statement_date.isoformat() if product.statement_date else None,
        })
    scores = [Decimal(s["score"]) for v in vulnerabilities for s in (v["cvss_v4"], v["cvss_v3"]) if s]
    top = max(scores, default=None)
    return {
        "tracking_id": advisory.tracking_id, "slug": advisory.slug, "kind": advisory.kind,
        "texts": {lang: {name: advisory.text(name, lang).strip() for name in TEXT_FIELDS} for lang in LANGUAGES},
        "exploited": advisory.exploitation_shown,  # §4.10: only with the developer's agreement
        "ssvc": advisory.ssvc or None,
        "references": list(advisory.references or []),
        "vulnerabilities": vulnerabilities, "products": products,
        "max_score": str(top) if top is not None else None, "severity": severity_of(top),
    }


def severity_of(score: Decimal | None) -> str:
    """The CVSS qualitative band of a base score (the same bands in 3.1 and 4.0)."""
    if score is None:
        return ""
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"


def text(content: dict[str, Any], name: str, language: str) -> tuple[str, str]:
    """(text, its language): the requested language, else the other one (marked, never silently empty)."""
    own = content["texts"][language].get(name, "")
    if own:
        return own, language
    other = "en" if language == "ja" else "ja"
    fallback = content["texts"][other].get(name, "")
    return fallback, other if fallback else language


def either(pair: dict[str, str], language: str) -> str:
    """A ``{"ja": …, "en": …}`` value in ``language``, else in Japanese, else in English ("" if neither)."""
    return str(pair.get(language) or pair.get("ja") or pair.get("en") or "")


def names(content: dict[str, Any], key: str) -> list[str]:
    """Distinct developer or product names in both languages, for filters and search."""
    seen: list[str] = []
    for product in content["products"]:
        for value in product[key].values():
            if value and value not in seen:
                seen.append(value)
    return seen
