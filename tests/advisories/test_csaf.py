"""Every CSAF document the platform serves passes the official schema (offline) and all mandatory tests."""

from __future__ import annotations

import json

import pytest

from earlywarn.advisories import csaf_doc, services
from earlywarn.advisories.csaf_check import csaf_findings
from tests.advisories.conftest import make_draft, publish
from tests.advisories.csaf_schema import errors

pytestmark = pytest.mark.django_db


def test_published_document_passes_schema_and_mandatory_tests(published):
    doc = published.csaf_document()
    assert errors(doc, "csaf_json_schema.json") == []
    assert csaf_findings(doc) == []
    assert doc["document"]["category"] == "csaf_security_advisory"
    assert doc["document"]["distribution"]["tlp"]["label"] == "WHITE"
    assert doc["document"]["tracking"]["id"] == published.tracking_id


def test_both_developers_and_their_versions_are_in_the_product_tree(published):
    doc = published.csaf_document()
    vendors = {branch["name"]: branch for branch in doc["product_tree"]["branches"]}
    assert set(vendors) == {"株式会社エグザンプル", "ウィジェット合同会社"}
    widget = vendors["ウィジェット合同会社"]["branches"][0]
    leaves = {(leaf["category"], leaf["name"]) for leaf in widget["branches"]}
    assert leaves == {("product_version_range", "vers:npm/>=1.0.0|<1.4.2"), ("product_version", "1.4.2")}
    status = doc["vulnerabilities"][0]["product_status"]
    assert len(status["known_affected"]) == 2
    assert len(status["fixed"]) == 1
    assert doc["vulnerabilities"][0]["cwe"]["id"] == "CWE-79"


def test_english_document_when_configured(settings, author, approver):
    settings.EARLYWARN = {**settings.EARLYWARN, "CSAF_LANG": "en"}
    doc = publish(make_draft(author), author, approver).csaf_document()
    assert doc["document"]["lang"] == "en"
    assert doc["document"]["title"].startswith("Cross-site scripting")
    assert csaf_findings(doc) == []
    assert errors(doc, "csaf_json_schema.json") == []


@pytest.mark.parametrize(("tracking_id", "expected"), [
    ("EW#12345678", "ew_12345678.json"), ("JVNVU#99999999", "jvnvu_99999999.json"),
    ("Example Company - 2019-YH3234", "example_company_-_2019-yh3234.json"), ("RHBA-2019:0024", "rhba-2019_0024.json"),
])
def test_filename_rule(tracking_id, expected):
    """CSAF 2.0 §5.1 (the examples are the standard's own)."""
    assert csaf_doc.filename(tracking_id) == expected


def test_a_document_failing_a_mandatory_test_is_not_published(draft, author, approver, monkeypatch):
    original = csaf_doc.build

    def broken(*args, **kwargs):
        doc = original(*args, **kwargs)
        doc["vulnerabilities"][0]["product_status"]["known_affected"].append("EWPID-9999")  # 6.1.1
        return doc

    monkeypatch.setattr(csaf_doc, "build", broken)
    with pytest.raises(services.ValidationFailed, match=r"6\.1\.1"):
        publish(draft, author, approver)
    assert not draft.revisions.exists()


def test_served_bytes_are_the_stored_document(published):
    assert json.loads(published.csaf) == published.csaf_document()
    assert published.csaf.endswith("\n")


def test_the_validator_checks_the_official_schema():
    """csaf_check validates with the schema the csaf package bundles: it must be the official one."""
    from importlib import resources

    from tests.advisories.csaf_schema import CSAF

    bundled = json.loads((resources.files("csaf") / "csaf" / "v20" / "schema" / "csaf.json").read_bytes())
    assert bundled == json.loads((CSAF / "json_schema" / "csaf_json_schema.json").read_text())
