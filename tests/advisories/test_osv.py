"""OSV 1.7 records validate against the official schema (shared/conformance/osv, offline)."""

from __future__ import annotations

import pytest
from django.test import Client

from earlywarn.advisories import osv
from tests.advisories.conftest import PRODUCTS, make_draft, publish
from tests.advisories.csaf_schema import errors

pytestmark = pytest.mark.django_db


def test_published_osv_record_validates(published):
    record = Client().get(f"/advisories/{published.slug}/osv.json").json()
    assert errors(record, "osv") == []
    assert record["id"] == osv.osv_id(published.tracking_id)
    assert record["id"].startswith("x_")
    assert record["aliases"] == ["CVE-2026-12345"]
    (affected,) = record["affected"]  # only the affected product with a purl ecosystem
    assert affected["package"] == {"ecosystem": "npm", "name": "widgetlib", "purl": "pkg:npm/widgetlib"}
    assert affected["ranges"] == [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.4.2"}]}]
    assert {s["type"] for s in record["severity"]} == {"CVSS_V3", "CVSS_V4"}


def test_no_osv_without_a_package_ecosystem(author, approver):
    revision = publish(make_draft(author), author, approver)
    assert Client().get(f"/advisories/{revision.slug}/osv.json").status_code == 200
    assert osv.applies(revision.content)
    assert "osv.json" in Client().get(f"/advisories/{revision.slug}/").content.decode()
    cpe_only = [dict(PRODUCTS[0])]
    from earlywarn.advisories import services
    from earlywarn.cases.policy import Actor

    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=revision.advisory, products=cpe_only)
    second = publish(advisory, author, approver)
    assert Client().get(f"/advisories/{second.slug}/osv.json").status_code == 404
    assert not osv.applies(second.content)
    assert "osv.json" not in Client().get(f"/advisories/{second.slug}/").content.decode()  # no link to a 404


@pytest.mark.parametrize(("vers", "events", "versions"), [
    ("vers:npm/>=1.0.0|<1.4.2", [{"introduced": "1.0.0"}, {"fixed": "1.4.2"}], []),
    ("vers:pypi/<=2.0", [{"introduced": "0"}, {"last_affected": "2.0"}], []),
    ("vers:npm/*", [{"introduced": "0"}], []),
    ("vers:npm/1.0.0|1.0.1", [], ["1.0.0", "1.0.1"]),
    ("vers:npm/>=1.0.0|<1.1.0|>=2.0.0|<2.0.5",
     [{"introduced": "1.0.0"}, {"fixed": "1.1.0"}, {"introduced": "2.0.0"}, {"fixed": "2.0.5"}], []),
])
def test_vers_to_osv_events(vers, events, versions):
    assert osv.events_of(vers) == (events, versions)


@pytest.mark.parametrize("vers", ["vers:npm/>1.0.0", "vers:npm/!=1.0.0"])
def test_ranges_osv_cannot_say_exactly_are_kept_verbatim(vers, author, approver):
    assert osv.events_of(vers) is None
    products = [{**PRODUCTS[1], "versions": vers}]
    revision = publish(make_draft(author), author, approver)
    from earlywarn.advisories import services
    from earlywarn.cases.policy import Actor

    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=revision.advisory, products=products)
    record = Client().get(f"/advisories/{publish(advisory, author, approver).slug}/osv.json").json()
    assert errors(record, "osv") == []
    assert record["affected"][0]["database_specific"] == {"versions": vers}
    assert "ranges" not in record["affected"][0]
