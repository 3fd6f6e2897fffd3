"""Conditional GET on an advisory by id: the page, the OSV record and the CSAF files answer 304 when unchanged."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.utils.http import http_date

from earlywarn.advisories import services
from earlywarn.cases.policy import Actor
from tests.advisories.conftest import client_for, publish

pytestmark = pytest.mark.django_db


def _urls(revision) -> dict[str, str]:
    return {"html": f"/advisories/{revision.slug}/", "osv": f"/advisories/{revision.slug}/osv.json",
            "csaf": f"/.well-known/csaf/{revision.csaf_path}",
            "sha256": f"/.well-known/csaf/{revision.csaf_path}.sha256"}


@pytest.mark.parametrize("kind", ["html", "osv", "csaf", "sha256"])
def test_unchanged_answers_304_and_a_new_revision_200(kind, published, author, approver):
    url = _urls(published)[kind]
    first = Client().get(url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert modified == http_date(published.published_at.timestamp())
    assert "no-cache" in first["Cache-Control"]
    again = Client().get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert Client().get(url, headers={"if-modified-since": modified}).status_code == 304
    assert Client().get(url, headers={"if-none-match": '"other"'}).status_code == 200
    edited = services.advisory_update(actor=Actor.for_user(author), advisory=published.advisory,
                                      fields={"revision_summary_en": "Credits", "credits_en": "Taro Yamada (ACME)"})
    publish(edited, author, approver)
    changed = Client().get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_csaf_etag_is_the_hash_of_the_served_bytes(published):
    response = Client().get(_urls(published)["csaf"])
    assert response["ETag"] == f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    assert response.content == published.csaf.encode()
    assert response["Cache-Control"] == "public, no-cache"


def test_the_page_etag_differs_by_language(published):
    url = _urls(published)["html"]
    ja = Client().get(url, headers={"accept-language": "ja"})
    en = Client().get(url, headers={"accept-language": "en"})
    assert ja["ETag"] != en["ETag"]
    assert Client().get(url, headers={"accept-language": "en", "if-none-match": ja["ETag"]}).status_code == 200
    assert ja["Cache-Control"] == "private, no-cache"


def test_signed_in_users_always_get_the_full_page(published, author):
    url = _urls(published)["html"]
    etag = Client().get(url)["ETag"]
    response = client_for(author).get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "ETag" not in response
    assert "Last-Modified" not in response


def test_missing_advisories_stay_404_with_validators():
    for url in ("/advisories/EW00000000/", "/advisories/EW00000000/osv.json",
                "/.well-known/csaf/white/2026/ew_00000000.json"):
        assert Client().get(url, headers={"if-none-match": "*"}).status_code == 404
