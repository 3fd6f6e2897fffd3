"""Identifiers and scores an editor types: CVSS vectors, CWE, CVE, purl, CPE and version ranges.

Parsing and scoring are done by maintained libraries (``cvss``, ``packageurl-python``, ``univers``); the CPE
pattern and the CWE names come from the data the CSAF validator ships (``csaf``), so what we write is what
the validator checks. Each ``check_*`` raises ``ValidationFailed`` with a translated message and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from packageurl import PackageURL
from univers.version_range import VersionRange

from earlywarn.cases.errors import ValidationFailed

CVE_RE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")
CWE_RE = re.compile(r"^CWE-[1-9][0-9]*$")
SEVERITIES = ("none", "low", "medium", "high", "critical")
SEVERITY_LABELS = {"critical": gettext_lazy("Critical"), "high": gettext_lazy("High"),
                   "medium": gettext_lazy("Medium"), "low": gettext_lazy("Low"), "none": gettext_lazy("None")}


@dataclass(frozen=True)
class Score:
    version: str  # "3.1" | "4.0"
    vector: str  # the normalised vector
    base_score: Decimal
    severity: str  # none | low | medium | high | critical
    csaf: dict[str, Any] | None  # the CSAF 2.0 cvss_v3 object (CVSS 4.0 has none in CSAF 2.0)


def cvss_score(vector: str, field: str = "cvss") -> Score:
    """Parse and score a CVSS 3.1 or 4.0 vector."""
    vector = vector.strip()
    try:
        if vector.startswith("CVSS:3.1/"):
            v3 = CVSS3(vector)
            data = v3.as_json(minimal=True)
            return Score("3.1", v3.clean_vector(), Decimal(str(v3.scores()[0])), v3.severities()[0].lower(), data)
        if vector.startswith("CVSS:4.0/"):
            v4 = CVSS4(vector)
            return Score("4.0", v4.clean_vector(), Decimal(str(v4.base_score)), str(v4.severity).lower(), None)
    except CVSSError as exc:
        raise ValidationFailed(_("This CVSS vector is not valid: %(error)s") % {"error": exc}, field=field) from exc
    raise ValidationFailed(_("A CVSS vector starts with CVSS:3.1/ or CVSS:4.0/."), field=field)


def check_cve(value: str, field: str = "cve") -> str:
    value = value.strip().upper()
    if value and not CVE_RE.match(value):
        raise ValidationFailed(_("A CVE ID looks like CVE-2026-12345."), field=field)
    return value


@cache
def _cwe_catalogue() -> dict[str, Any]:
    path = resources.files("csaf") / "csaf" / "v21" / "cwe" / "catalog.json"
    return dict(json.loads(path.read_bytes()))


def cwe_name(cwe_id: str) -> str | None:
    """The weakness's name in the latest CWE catalogue version the validator knows (docs/advisories.md)."""
    entry = _cwe_catalogue()["weaknesses"].get(cwe_id.removeprefix("CWE-"))
    if entry is None:
        return None
    return next((str(name) for _version, name in reversed(entry["history"]) if name is not None), None)


def cwe_history(cwe_id: str) -> list[str]:
    """Every name the weakness has had in the CWE catalogue versions the validator knows, oldest first."""
    entry = _cwe_catalogue()["weaknesses"].get(cwe_id.removeprefix("CWE-"))
    return [str(name) for _version, name in (entry or {}).get("history", []) if name is not None]


def cwe_catalogue_version() -> str:
    return str(_cwe_catalogue()["latest_version"])


def check_cwe(value: str, field: str = "cwe") -> str:
    value = value.strip().upper()
    if not value:
        return ""
    if not CWE_RE.match(value) or cwe_name(value) is None:
        raise ValidationFailed(_("This is not a known CWE ID (for example CWE-79)."), field=field)
    return value


def check_purl(value: str, field: str = "purl") -> str:
    """A package URL that packageurl-python parses, kept as written (tests/advisories/test_formats.py: the
    library's re-serialisation percent-encodes qualifier values the current purl spec leaves alone)."""
    value = value.strip()
    if not value:
        return ""
    try:
        PackageURL.from_string(value)
        return value
    except ValueError as exc:
        raise ValidationFailed(_("This package URL (purl) is not valid: %(error)s") % {"error": exc},
                               field=field) from exc


@cache
def _cpe_pattern() -> re.Pattern[str]:
    path = resources.files("csaf") / "csaf" / "v20" / "schema" / "csaf.json"
    schema = json.loads(path.read_bytes())
    helper = schema["$defs"]["full_product_name_t"]["properties"]["product_identification_helper"]
    return re.compile(helper["properties"]["cpe"]["pattern"])


def check_cpe(value: str, field: str = "cpe") -> str:
    value = value.strip()
    if value and not _cpe_pattern().match(value):
        raise ValidationFailed(_("This CPE name is not valid (CPE 2.3 or 2.2 URI)."), field=field)
    return value


def parse_vers(value: str) -> VersionRange:
    """A ``vers:`` version range, parsed and normalised by univers."""
    return VersionRange.from_string(value)


def check_versions(value: str, field: str = "versions") -> str:
    """A ``vers:`` range (checked by univers) or free text such as "4.2 and earlier"."""
    value = value.strip()
    if value.startswith("vers:"):
        try:
            return str(parse_vers(value))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValidationFailed(_("This version range (vers) is not valid: %(error)s") % {"error": exc},
                                   field=field) from exc
    return value


def iso_utc(moment: datetime) -> str:
    """A stored (UTC) instant as the documents write it: RFC 3339 with ``Z``."""
    return moment.isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """An RFC 3339 date-time from a document, aware, with the offset it was written with (``Z``/``z`` and a
    missing offset: UTC)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
