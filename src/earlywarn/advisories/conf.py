"""Typed access to the advisory settings of ``settings.EARLYWARN`` (defaults documented in docs/advisories.md)."""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, str] = {
    "CSAF_LANG": "ja",
    "CSAF_PUBLISHER_NAME": "earlywarn",
    "CSAF_PUBLISHER_CATEGORY": "coordinator",
    "OPENPGP_HOME": "",
    "CVE_ORG_ID": "",  # the CNA's organisation UUID in CVE Services (cve.py)
    "CVE_SHORT_NAME": "",
}


def setting(key: str) -> str:
    value = settings.EARLYWARN.get(key)
    return str(value) if value else DEFAULTS[key]


def csaf_lang() -> str:
    return "en" if setting("CSAF_LANG") == "en" else "ja"


def id_prefixes() -> list[str]:
    value = settings.EARLYWARN.get("ADVISORY_ID_PREFIXES")
    prefixes = [str(p) for p in value] if isinstance(value, (list, tuple)) else []
    return prefixes or ["EW#", "EWVU#"]
