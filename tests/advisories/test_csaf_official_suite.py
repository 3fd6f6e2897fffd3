"""The whole official CSAF 2.0 conformance suite through the platform's one validator path.

For every test of testcases.json, each must-fail file is rejected by ``csaf_findings(doc, {test id})`` and
each must-pass file accepted. Cases the ``csaf`` package cannot decide here are listed in KNOWN_GAPS with the
reason, and the test fails if the list goes stale (a gap closed by a newer ``csaf``, or a new one).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from earlywarn.advisories.csaf_check import csaf_findings
from tests.advisories.conftest import CONFORMANCE

DATA = CONFORMANCE / "csaf-2.0" / "test" / "validator" / "data"
CASES = [(test["id"], test["group"], item["name"], kind == "valid")
         for test in json.loads((DATA / "testcases.json").read_text())["tests"]
         for kind in ("failures", "valid") for item in test.get(kind, [])]

# (test id, file): why the csaf package cannot decide it here.
_NETWORK = "needs to resolve URLs on the internet; the csaf package skips the check offline (no URL checker)"
_SPELL = "spell check: not implemented by the csaf package (catalogue status not_implemented)"
KNOWN_GAPS = {
    ("6.3.6", "informative/oasis_csaf_tc-csaf_2_0-2021-6-3-06-01.json"): _NETWORK,
    ("6.3.6", "informative/oasis_csaf_tc-csaf_2_0-2021-6-3-06-02.json"): _NETWORK,
    ("6.3.7", "informative/oasis_csaf_tc-csaf_2_0-2021-6-3-07-01.json"): _NETWORK,
    ("6.3.8", "informative/oasis_csaf_tc-csaf_2_0-2021-6-3-08-01.json"): _SPELL,
    ("6.3.8", "informative/oasis_csaf_tc-csaf_2_0-2021-6-3-08-02.json"): _SPELL,
    ("6.3.8", "informative/oasis_csaf_tc-csaf_2_0-2021-6-3-08-11.json"): _SPELL,
    ("6.3.8", "informative/oasis_csaf_tc-csaf_2_0-2021-6-3-08-12.json"): _SPELL,
}


def _decided(test_id: str, name: str) -> tuple[bool, list[str]]:
    """(accepted?, finding test ids) with the finding 'not implemented' treated as no decision."""
    findings = csaf_findings(json.loads((DATA / name).read_text()), frozenset({test_id}))
    real = [f for f in findings if f.message != "not implemented by the validator"]
    return not real, [f.test for f in real]


@pytest.mark.parametrize(("test_id", "group", "name", "valid"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_official_case(test_id: str, group: str, name: str, valid: bool):
    accepted, tests = _decided(test_id, name)
    if (test_id, name) in KNOWN_GAPS:
        if valid:
            assert csaf_findings(json.loads((DATA / name).read_text()), frozenset({test_id})), "gap closed?"
        else:
            assert accepted, f"gap closed: {test_id} {name} is now rejected; remove it from KNOWN_GAPS"
        pytest.xfail(KNOWN_GAPS[(test_id, name)])
    if valid:
        assert accepted, f"must-pass {name} rejected by {tests}"
    else:
        assert not accepted, f"must-fail {name} accepted by test {test_id}"
        assert set(tests) & {"schema", test_id, test_id.rsplit(".", 1)[0]}, (test_id, tests)


def test_mandatory_must_pass_files_pass_every_mandatory_test():
    """The documents the standard calls valid for a mandatory test are publishable by our full check."""
    for test_id, group, name, valid in CASES:
        if group == "mandatory" and valid:
            assert csaf_findings(json.loads((DATA / name).read_text())) == [], (test_id, name)


def test_suite_size():
    counts = Counter((group, valid) for _id, group, _name, valid in CASES)
    print(f"\nCSAF 2.0 official suite: {len(CASES)} files over {len({c[0] for c in CASES})} tests; "
          f"{dict(counts)}; known gaps {len(KNOWN_GAPS)}")
    assert len(CASES) == 239
    assert all(key in {(c[0], c[2]) for c in CASES} for key in KNOWN_GAPS)
