"""CVE JSON 5 records of published advisories validate against the official CVE Record Format schema (offline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from jsonschema import Draft7Validator

from earlywarn.advisories import cve, services
from earlywarn.cases.policy import Actor
from tests.advisories.conftest import make_draft, publish

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parent / "cve_schema" / "CVE_Record_Format_bundled_5.1.1.json"
ORG = "1f2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d"


@cache
def _validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def errors(record: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(record)]


def _url(revision: Any, cve_id: str = "CVE-2026-12345") -> str:
    return f"/advisories/{revision.slug}/cve/{cve_id}.json"


@pytest.fixture
def cna(settings) -> None:
    settings.EARLYWARN = {**settings.EARLYWARN, "CVE_ORG_ID": ORG, "CVE_SHORT_NAME": "earlywarn"}


def test_published_record_validates_and_says_what_the_advisory_says(published, cna):
    response = Client().get(_url(published))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    record = response.json()
    assert errors(record) == []
    assert record["cveMetadata"] == {
        "cveId": "CVE-2026-12345", "assignerOrgId": ORG, "assignerShortName": "earlywarn", "state": "PUBLISHED",
        "datePublished": cve._ts(published.initial_published_at), "dateUpdated": cve._ts(published.published_at)}
    container = record["containers"]["cna"]
    assert container["providerMetadata"] == {"orgId": ORG, "shortName": "earlywarn"}
    assert container["title"] == "Stored XSS"
    assert [d["lang"] for d in container["descriptions"]] == ["en", "ja"]
    assert container["descriptions"][0]["value"] == "Input to the comment field is output without escaping."
    assert container["datePublic"].endswith("Z")
    affected = {(a["vendor"], a["product"]): a for a in container["affected"]}
    assert set(affected) == {("Example Corp", "ExampleCMS"), ("Widget LLC", "WidgetLib")}
    cms = affected[("Example Corp", "ExampleCMS")]
    assert cms["versions"] == [{"version": "4.2", "status": "affected"}]
    assert cms["cpes"] == ["cpe:2.3:a:example:examplecms:4.2:*:*:*:*:*:*:*"]
    lib = affected[("Widget LLC", "WidgetLib")]
    assert lib["versions"] == [
        {"version": "1.0.0", "status": "affected", "versionType": "semver", "lessThan": "1.4.2"},
        {"version": "1.4.2", "status": "unaffected"}]
    assert (lib["collectionURL"], lib["packageName"]) == ("https://registry.npmjs.org", "widgetlib")
    (problem,) = container["problemTypes"][0]["descriptions"]
    assert problem["cweId"] == "CWE-79"
    assert problem["description"].startswith("CWE-79 Improper Neutralization of Input")
    metrics = {key for m in container["metrics"] for key in m if key.startswith("cvss")}
    assert metrics == {"cvssV3_1", "cvssV4_0"}
    v3 = next(m["cvssV3_1"] for m in container["metrics"] if "cvssV3_1" in m)
    assert (v3["version"], v3["baseScore"], v3["baseSeverity"]) == ("3.1", 6.1, "MEDIUM")
    urls = [r["url"] for r in container["references"]]
    assert urls[0] == f"http://testserver/advisories/{published.slug}/" or urls[0].endswith(
        f"/advisories/{published.slug}/")
    assert "https://example.test/security/2026-01" in urls
    assert {(c["lang"], c["value"], c["type"]) for c in container["credits"]} == {
        ("en", "Taro Yamada", "finder"), ("ja", "山田 太郎 氏", "finder")}
    assert container["solutions"][0]["lang"] == "en"
    assert container["workarounds"][1] == {"lang": "ja", "value": "コメント機能を無効にしてください。"}


def test_the_page_links_its_cve_records(published):
    assert f'href="{_url(published)}"' in Client().get(f"/advisories/{published.slug}/").content.decode()


def test_without_a_configured_organisation_the_placeholder_is_written(published):
    record = Client().get(_url(published)).json()
    assert errors(record) == []
    assert record["cveMetadata"]["assignerOrgId"] == cve.PLACEHOLDER_ORG_ID
    assert record["containers"]["cna"]["providerMetadata"] == {"orgId": cve.PLACEHOLDER_ORG_ID}


def test_the_schema_rejects_what_cve_services_would(published):
    """The vendored schema really checks: no English description, a bad CVE ID, a stray property."""
    record = Client().get(_url(published)).json()
    container = record["containers"]["cna"]
    assert errors({**record, "containers": {"cna": {**container, "descriptions": container["descriptions"][1:]}}})
    assert errors({**record, "cveMetadata": {**record["cveMetadata"], "cveId": "CVE-26-1"}})
    assert errors({**record, "containers": {"cna": {**container, "severity": "high"}}})


def test_drafts_unknown_cves_and_missing_advisories_are_404(author, published):
    assert Client().get(_url(make_draft(author))).status_code == 404
    assert Client().get(_url(published, "CVE-2026-99999")).status_code == 404
    assert Client().get(_url(published, "cve-2026-12345")).status_code == 404
    assert Client().get("/advisories/EW00000000/cve/CVE-2026-12345.json").status_code == 404


def test_a_record_needs_an_english_description(author, approver):
    revision = publish(make_draft(author, description_en=""), author, approver)
    response = Client().get(_url(revision), headers={"accept-language": "ja"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cve_not_ready"


@pytest.mark.parametrize(("vers", "versions", "default"), [
    ("vers:pypi/<=2.0", [{"version": "0", "status": "affected", "versionType": "python", "lessThanOrEqual": "2.0"}],
     None),
    ("vers:npm/*", None, "affected"),
    ("vers:npm/1.0.0|1.0.1", [{"version": "1.0.0", "status": "affected"}, {"version": "1.0.1", "status": "affected"}],
     None),
    ("vers:npm/>1.0.0", [{"version": "vers:npm/>1.0.0", "status": "affected"}], None),
    ("4.2 and earlier", [{"version": "4.2 and earlier", "status": "affected"}], None),
])
def test_version_ranges(vers, versions, default, author, approver, cna):
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=make_draft(author), products=[
        {"developer_name_ja": "ウィジェット合同会社", "developer_name_en": "Widget LLC", "product_name_ja": "WidgetLib",
         "versions": vers, "purl": "pkg:npm/widgetlib", "status": "affected"}])
    record = Client().get(_url(publish(advisory, author, approver))).json()
    assert errors(record) == []
    (affected,) = record["containers"]["cna"]["affected"]
    assert affected.get("versions") == versions
    assert affected.get("defaultStatus") == default


def test_export_command_writes_the_served_records(published, author, approver, tmp_path, capsys, cna):
    make_draft(author)  # a draft with the same CVE ID: never exported
    untranslated = publish(make_draft(author, description_en=""), author, approver)
    call_command("advisory_cve_export", str(tmp_path / "out"))
    out, err = capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["CVE-2026-12345.json"]
    written = json.loads((tmp_path / "out" / "CVE-2026-12345.json").read_text())
    assert errors(written) == []
    assert written == Client().get(_url(published)).json()
    assert "1 written, 1 skipped" in out
    assert f"{untranslated.tracking_id} CVE-2026-12345: no English description" in err
    with pytest.raises(CommandError, match="no published advisory"):
        call_command("advisory_cve_export", str(tmp_path), "--advisory", make_draft(author).slug)


def test_export_keeps_the_newer_record_of_a_cve_listed_twice(published, author, approver, tmp_path, capsys):
    newer = publish(make_draft(author, title_en="Same CVE again"), author, approver)
    call_command("advisory_cve_export", str(tmp_path))
    err = capsys.readouterr().err
    assert f"CVE-2026-12345 is in {published.tracking_id} and {newer.tracking_id}: kept {newer.tracking_id}" in err
    record = json.loads((tmp_path / "CVE-2026-12345.json").read_text())
    assert record["containers"]["cna"]["references"][0]["name"] == newer.tracking_id
    call_command("advisory_cve_export", str(tmp_path / "one"), "--advisory", published.slug)
    one = json.loads((tmp_path / "one" / "CVE-2026-12345.json").read_text())
    assert one["containers"]["cna"]["references"][0]["name"] == published.tracking_id


def test_a_record_needs_a_product():
    content = {"vulnerabilities": [{"cve": "CVE-2026-1"}], "products": [],
               "texts": {"en": {"description": "d"}, "ja": {}}}
    with pytest.raises(cve.NotReady) as refused:
        cve.build(content, "CVE-2026-1", published=datetime.now(UTC), updated=datetime.now(UTC))
    assert refused.value.reason == "products"
