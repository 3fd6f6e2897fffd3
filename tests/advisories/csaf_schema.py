"""Offline JSON-schema validation against the official schemas in shared/conformance (a local registry)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

from tests.advisories.conftest import CONFORMANCE

CSAF = CONFORMANCE / "csaf-2.0"


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


@cache
def registry() -> Registry:
    resources = []
    for path in sorted((CSAF / "json_schema").glob("*.json")):
        schema = _load(path)
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)))
    for path in sorted((CSAF / "referenced_schema" / "first").glob("cvss-v*.json")):
        if "strict" in path.name:
            continue
        schema = _load(path)
        resource = Resource.from_contents(schema, default_specification=DRAFT7)
        resources.append((f"https://www.first.org/cvss/{path.name}", resource))
    osv = _load(CONFORMANCE / "osv" / "schema.json")
    resources.append((osv["$id"], Resource.from_contents(osv, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def errors(instance: Any, schema_file: str) -> list[str]:
    """Schema errors of ``instance`` against ``csaf_json_schema.json``, ``provider_json_schema.json`` or
    ``osv``; never fetches anything (an unknown $ref raises)."""
    schema = _load(CONFORMANCE / "osv" / "schema.json") if schema_file == "osv" else _load(
        CSAF / "json_schema" / schema_file)
    validator = Draft202012Validator(schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]
