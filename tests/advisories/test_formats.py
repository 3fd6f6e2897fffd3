"""purl and vers handling against the official test suites in shared/conformance (purl-spec, vers-spec).

We use packageurl-python to check purls and univers to parse vers ranges. Where a library disagrees with the
suite, the case is listed below with the reason, and the test fails when the list goes stale.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from packageurl import PackageURL

from earlywarn.advisories import formats
from earlywarn.advisories.osv import ECOSYSTEMS
from earlywarn.cases.errors import ValidationFailed
from tests.advisories.conftest import CONFORMANCE

PURL_FILES = [CONFORMANCE / "purl/tests/spec/specification-test.json",
              *sorted((CONFORMANCE / "purl/tests/types").glob("*.json"))]
PURL_CASES = [(path.name, case) for path in PURL_FILES for case in json.loads(path.read_text())["tests"]
              if case["test_type"] in {"parse", "validate"}]
# Type-specific rules packageurl-python 0.17.6 does not enforce (it accepts these must-fail purls).
PURL_GAPS = {
    ("gem-test.json", "pkg:gem/jruby-launcher@1.1.2?Platform=java"): "qualifier keys must be lower case",
    ("swift-test.json", "pkg:swift/Alamofire@5.4.3"): "swift purls need a namespace",
    ("swift-test.json", "pkg:swift/github.com/Alamofire/@5.4.3"): "empty name segment",
}
OSV_TYPES = set(ECOSYSTEMS) | {"generic"}


def _components(purl: PackageURL) -> tuple[Any, ...]:
    return (purl.type, purl.namespace, purl.name, purl.version, tuple(sorted((purl.qualifiers or {}).items())),
            purl.subpath)


def _purl_cases() -> list[tuple[str, dict[str, Any]]]:
    """The cases of the spec file and of every type we export to OSV (the others we only store as text)."""
    keep = []
    for name, case in PURL_CASES:
        purl_type = name.removesuffix("-test.json")
        if name == "specification-test.json" or purl_type in OSV_TYPES:
            keep.append((name, case))
    return keep


@pytest.mark.parametrize(("name", "case"), _purl_cases(), ids=lambda value: value if isinstance(value, str) else
                         value["input"] if isinstance(value["input"], str) else "build")
def test_purl_suite(name: str, case: dict[str, Any]):
    text = case["input"]
    if (name, text) in PURL_GAPS:
        formats.check_purl(text)  # still accepted: the gap is open
        pytest.xfail(PURL_GAPS[(name, text)])
    if case.get("expected_failure"):
        with pytest.raises(ValidationFailed):
            formats.check_purl(text)
        return
    stored = formats.check_purl(text)
    expected = case["expected_output"]
    if isinstance(expected, dict):
        expected = PackageURL(**expected).to_string()
    assert _components(PackageURL.from_string(stored)) == _components(PackageURL.from_string(expected))


def test_purl_is_stored_as_written():
    """packageurl-python re-encodes ':' and '/' in qualifier values, which the current spec keeps: we store the
    purl as the editor wrote it (after checking it parses), not the library's re-serialisation."""
    text = "pkg:maven/groovy/groovy@1.0?repository_url=https://maven.google.com"
    assert formats.check_purl(f"  {text} ") == text


VERS_CASES = [(path.name, case) for path in sorted((CONFORMANCE / "vers/tests").glob("*.json"))
              for case in json.loads(path.read_text())["tests"]
              if case["test_type"] in {"containment", "validate", "parse"}]
VERS_GAPS = {  # univers 32.0.1 is lenient where vers-spec's canonical parse must fail
    "vers:npm/>=1.0.0| <2.0.0": "whitespace around a constraint", "vers:npm/|>=1.0.0|<2.0.0": "empty constraint",
    "vers:npm/>=1.0.0|<2.0.0|": "empty constraint", "vers:npm/>=2.0.0|<1.0.0": "constraints out of order",
    "vers:npm/1.0%252F0": "percent-decoding", "vers:npm/1.0%2G0": "invalid percent-encoding",
}


@pytest.mark.parametrize(("name", "case"), VERS_CASES,
                         ids=lambda v: v if isinstance(v, str) else json.dumps(v["input"]))
def test_vers_suite(name: str, case: dict[str, Any]):
    kind, value = case["test_type"], case["input"]
    if kind == "containment":
        version_range = formats.parse_vers(value["vers"])
        assert (version_range.version_class(value["version"]) in version_range) is case["expected_output"]
        return
    if value in VERS_GAPS:
        pytest.xfail(VERS_GAPS[value])
    if case.get("expected_failure"):
        with pytest.raises(ValidationFailed):
            formats.check_versions(value)
        return
    if kind == "validate":
        assert formats.check_versions(value) == case["expected_output"]
    else:
        parsed = formats.parse_vers(value)
        constraints = [[c.comparator, str(c.version)] for c in parsed.constraints]
        assert {"scheme": parsed.scheme, "version_constraints": constraints} == case["expected_output"]


def test_case_counts():
    print(f"\npurl cases run: {len(_purl_cases())} of {len(PURL_CASES)}; vers cases: {len(VERS_CASES)}")
    assert len(VERS_CASES) == 42
    assert set(PURL_GAPS) <= {(n, c["input"]) for n, c in PURL_CASES}


@pytest.mark.parametrize(("pair", "language", "expected"), [
    ({"ja": "日本語", "en": "English"}, "en", "English"),
    ({"ja": "日本語", "en": ""}, "en", "日本語"),  # a missing translation falls back to Japanese
    ({"ja": "", "en": "English"}, "ja", "English"),  # and to English when Japanese is missing too
    ({"ja": "", "en": ""}, "ja", ""),
    ({}, "en", ""),
])
def test_a_bilingual_value_falls_back_to_the_other_language_never_to_nothing(pair, language, expected):
    from earlywarn.advisories.snapshot import either

    assert either(pair, language) == expected


def test_document_date_times_keep_their_offset_and_utc_is_written_with_z():
    from datetime import UTC, datetime, timedelta, timezone

    assert formats.parse_iso("2024-01-01T05:00:00+09:00").utcoffset() == timedelta(hours=9)  # the year stays 2024
    assert formats.parse_iso("2024-01-01T05:00:00+09:00").year == 2024
    assert formats.parse_iso("2023-12-31T20:00:00Z") == datetime(2023, 12, 31, 20, tzinfo=UTC)
    assert formats.parse_iso("2023-12-31T20:00:00z") == formats.parse_iso("2024-01-01T05:00:00+09:00")
    assert formats.parse_iso("2023-12-31T20:00:00").tzinfo is not None  # no offset: UTC, never naive
    assert formats.iso_utc(datetime(2023, 12, 31, 20, tzinfo=UTC)) == "2023-12-31T20:00:00Z"
    assert formats.iso_utc(datetime(2024, 1, 1, 5, tzinfo=timezone(timedelta(hours=9)))) == "2024-01-01T05:00:00+09:00"
