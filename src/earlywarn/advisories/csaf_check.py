"""The one CSAF 2.0 validator path: the official JSON schema and the official tests, run by ``csaf``.

Every document the platform serves passes ``csaf_findings(doc) == []`` (schema + all mandatory tests, §6.1)
before it is stored; the whole official conformance suite runs through this same function in the tests
(tests/advisories/test_csaf_official_suite.py), with ``tests`` naming the test of each case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csaf.csaf.v20 import validate


@dataclass(frozen=True)
class Finding:
    test: str  # "schema", "6.1.1", …
    title: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.test} {self.title}: {self.path} {self.message}".strip()


def rule_of(test_id: str) -> str:
    """The ``csaf`` rule that implements an official test id (``csaf`` runs 6.1.27.1–.11 as one rule 6.1.27)."""
    return "6.1.27" if test_id.startswith("6.1.27.") else test_id


def csaf_findings(doc: dict[str, Any], tests: frozenset[str] | None = None) -> list[Finding]:
    """What is wrong with ``doc``: the schema and every mandatory test, or only the official ``tests`` named
    (any group). A test ``csaf`` does not implement is reported as a finding, never passed silently."""
    if tests is None:
        report = validate(doc, preset="basic")
    else:
        report = validate(doc, preset="full", only_rules=frozenset({"schema"} | {rule_of(t) for t in tests}))
    findings: list[Finding] = []
    for result in report.results:
        if result.skipped:
            if result.id != "schema" or tests is None:
                findings.append(Finding(result.id, result.title, "", "not implemented by the validator"))
            continue
        if not result.passed:
            findings.extend(Finding(result.id, result.title, e.instance_path, e.message) for e in result.errors)
            if not result.errors:
                findings.append(Finding(result.id, result.title, "", "failed"))
    return findings
