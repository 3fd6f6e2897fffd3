"""csaf_vex documents next to the advisory (vex.py): when they are made, and that each passes the official schema
and every mandatory test, including the VEX-profile tests 6.1.27.x."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from earlywarn.advisories import services, vex
from earlywarn.advisories.csaf_check import csaf_findings
from earlywarn.cases.policy import Actor
from tests.advisories.conftest import PRODUCTS, VULNERABILITIES, client_for, make_draft, publish
from tests.advisories.csaf_schema import errors

pytestmark = pytest.mark.django_db
ROOT = "/.well-known/csaf"
VEX_TESTS = frozenset({"6.1.27.4", "6.1.27.5", "6.1.27.6", "6.1.27.7", "6.1.27.8", "6.1.27.9", "6.1.27.10",
                       "6.1.27.11"})
PLAIN = [{"developer_name_ja": "株式会社エグザンプル", "product_name_ja": "ExampleCMS", "versions": "4.2",
          "status": "affected"}]


def _served(path: str) -> dict[str, Any]:
    response = Client().get(f"{ROOT}/{path}")
    assert response.status_code == 200
    return dict(json.loads(response.content))


def _check(doc: dict[str, Any]) -> None:
    assert csaf_findings(doc) == []
    assert csaf_findings(doc, VEX_TESTS) == []
    assert errors(doc, "csaf_json_schema.json") == []


def test_a_vex_document_is_served_next_to_the_advisory(published):
    assert published.vex_csaf_path == published.csaf_path.replace(".json", "-vex.json")
    doc = _served(published.vex_csaf_path)
    _check(doc)
    document = doc["document"]
    assert document["category"] == "csaf_vex"
    assert document["tracking"]["id"] == f"{published.tracking_id}-vex"
    assert document["tracking"]["version"] == "1"
    assert any(r["category"] == "external" and r["url"].endswith(published.csaf_path) for r in document["references"])
    status = doc["vulnerabilities"][0]["product_status"]
    assert status == {"known_affected": ["EWPID-0001", "EWPID-0002"], "fixed": ["EWPID-0003"]}
    covered = {pid for r in doc["vulnerabilities"][0]["remediations"] for pid in r["product_ids"]}
    assert set(status["known_affected"]) <= covered
    index = Client().get(f"{ROOT}/white/index.txt").content.decode().split()
    assert sorted(index) == sorted(p.removeprefix("white/") for p in (published.csaf_path, published.vex_csaf_path))
    feed = Client().get(f"{ROOT}/white/csaf-feed-tlp-white.json").json()["feed"]
    assert {e["id"] for e in feed["entry"]} == {published.tracking_id, f"{published.tracking_id}-vex"}


def test_not_affected_products_get_an_impact_statement_and_ids_stand_in_for_a_missing_cve(author, approver):
    products = [dict(PRODUCTS[0]), {**PRODUCTS[1], "status": "not_affected", "statement_ja": "影響を受けません。",
                                     "statement_en": "Not affected: the comment feature is absent."},
                {**PRODUCTS[2], "status": "under_investigation"}]
    advisory = make_draft(author)
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=advisory, products=products,
                                        vulnerabilities=[{**VULNERABILITIES[0], "cve": ""}])
    revision = publish(advisory, author, approver)
    doc = json.loads(revision.vex_csaf)
    _check(doc)
    (vuln,) = doc["vulnerabilities"]
    assert vuln["ids"] == [{"system_name": "earlywarn", "text": f"{revision.tracking_id}-1"}]
    assert {"category": "impact", "details": "影響を受けません。", "product_ids": ["EWPID-0002"]} in vuln["threats"]
    # The profile tests really bite: without the impact statement the same document is rejected.
    vuln["threats"] = [t for t in vuln["threats"] if t["category"] != "impact"]
    if not vuln["threats"]:
        del vuln["threats"]
    assert {f.test for f in csaf_findings(doc)} & {"6.1.27", "6.1.27.9"}


def test_no_remediation_in_the_advisory_still_gives_an_action_statement():
    from datetime import UTC, datetime

    content = {"tracking_id": "EW#1", "slug": "EW1", "kind": "single", "exploited": False, "ssvc": None,
               "references": [], "max_score": None, "severity": "",
               "texts": {lang: {"title": "t", "overview": "o", "description": "d", "impact": "i", "solution": "",
                                "workarounds": "", "stop_using": "", "credits": ""} for lang in ("ja", "en")},
               "vulnerabilities": [{"cve": "CVE-2026-10001", "cwe": None, "cwe_name": None,
                                    "title": {"ja": "", "en": ""}, "cvss_v3": None, "cvss_v4": None}],
               "products": [{"id": "EWPID-0001", "developer": {"ja": "d", "en": ""}, "product": {"ja": "p", "en": ""},
                             "versions": "1.0", "status": "affected", "purl": "", "cpe": "",
                             "statement": {"ja": "", "en": ""}, "statement_date": None}]}
    now = datetime(2026, 5, 1, tzinfo=UTC)
    doc = vex.build(content, history=[{"number": 1, "date": now, "summary": "s"}], initial=now, current=now,
                    advisory_url="https://example.test/.well-known/csaf/white/2026/ew_1.json")
    _check(doc)
    assert doc["vulnerabilities"][0]["remediations"][0]["category"] == "none_available"


def test_vex_only_when_developers_gave_status_and_then_kept(author, approver):
    advisory = make_draft(author)
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=advisory, products=PLAIN)
    first = publish(advisory, author, approver)
    assert first.vex_csaf == ""
    assert first.vex_csaf_path == ""
    assert Client().get(f"{ROOT}/white/index.txt").content.decode().count("\n") == 1
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=first.advisory,
                                        products=[{**PLAIN[0], "statement_ja": "修正版を準備中です。"}])
    second = publish(advisory, author, approver)
    assert json.loads(second.vex_csaf)["document"]["tracking"]["version"] == "1"  # its own numbering
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=second.advisory, products=PLAIN)
    third = publish(advisory, author, approver)
    doc = _served(third.vex_csaf_path)  # once published, a VEX document never silently disappears
    _check(doc)
    assert [r["number"] for r in doc["document"]["tracking"]["revision_history"]] == ["1", "2"]


def test_vex_preview(draft, author):
    url = f"/console/advisories/{draft.id}/preview/?format=vex"
    response = client_for(author).get(url)
    assert response.status_code == 200
    _check(json.loads(response.content))
    assert client_for(None).get(url).status_code == 302
