"""A CSAF client walks /.well-known/csaf/provider-metadata.json: finds, downloads and verifies every advisory.

The walk follows CSAF 2.0 §7 as a client would: provider metadata (checked against the official schema),
the ROLIE feed and the directory distribution (index.txt, changes.csv), each document with its .sha256,
.sha512 and OpenPGP .asc, the key fetched from the URL the metadata names and checked against its fingerprint.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
from typing import Any
from urllib.parse import urlsplit

import gnupg
import pytest
from django.test import Client

from earlywarn.advisories.csaf_check import csaf_findings
from earlywarn.advisories.models import AdvisoryRevision
from tests.advisories.conftest import make_draft, publish
from tests.advisories.csaf_schema import errors

pytestmark = pytest.mark.django_db
ROOT = "/.well-known/csaf"


def _get(client: Client, url: str) -> Any:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, url
    return response


def walk(client: Client, tmp_path) -> dict[str, dict[str, Any]]:
    """Every advisory a client finds: {url: document}, each hash and signature verified."""
    try:
        return _walk(client, tmp_path)
    finally:  # the client's keyring starts a gpg-agent: stop it, or every run leaves one behind
        if (tmp_path / "client-gnupg").exists():
            subprocess.run(["gpgconf", "--homedir", str(tmp_path / "client-gnupg"), "--kill", "gpg-agent"],
                           check=False)


def _walk(client: Client, tmp_path) -> dict[str, dict[str, Any]]:
    metadata = _get(client, f"{ROOT}/provider-metadata.json").json()
    assert errors(metadata, "provider_json_schema.json") == []
    assert metadata["canonical_url"].endswith("/.well-known/csaf/provider-metadata.json")
    gpg = None
    keys = metadata.get("public_openpgp_keys", [])
    if keys:
        (tmp_path / "client-gnupg").mkdir(mode=0o700)
        gpg = gnupg.GPG(gnupghome=str(tmp_path / "client-gnupg"), encoding="utf-8")
        imported = gpg.import_keys(_get(client, keys[0]["url"]).content.decode())
        assert imported.fingerprints == [keys[0]["fingerprint"]]
    found: dict[str, dict[str, Any]] = {}
    for distribution in metadata["distributions"]:
        urls: list[str] = []
        if "rolie" in distribution:
            for feed_ref in distribution["rolie"]["feeds"]:
                assert feed_ref["tlp_label"] == "WHITE"
                feed = _get(client, feed_ref["url"]).json()["feed"]
                assert {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"} in feed["category"]
                for entry in feed["entry"]:
                    links = {(link["rel"], link["href"]) for link in entry["link"]}
                    url = entry["content"]["src"]
                    assert ("self", url) in links
                    assert ("hash", f"{url}.sha512") in links
                    urls.append(url)
        if "directory_url" in distribution:
            base = distribution["directory_url"]
            index = _get(client, f"{base}index.txt").content.decode().split()
            changes = list(csv.reader(io.StringIO(_get(client, f"{base}changes.csv").content.decode())))
            assert sorted(index) == sorted(row[0] for row in changes)
            assert [row[1] for row in changes] == sorted((row[1] for row in changes), reverse=True)
            urls += [f"{base}{name}" for name in index]
        for url in urls:
            body = _get(client, url).content
            for algorithm in ("sha256", "sha512"):
                digest, name = _get(client, f"{url}.{algorithm}").content.decode().split()
                assert digest == hashlib.new(algorithm, body).hexdigest()
                assert name == url.rsplit("/", 1)[1]
            if gpg is not None:
                signature = tmp_path / "sig.asc"
                signature.write_bytes(_get(client, f"{url}.asc").content)
                verified = gpg.verify_data(str(signature), body)
                assert verified.valid, verified.status
                assert verified.fingerprint == keys[0]["fingerprint"]
            document = json.loads(body)
            assert url.endswith(f"/{document['document']['tracking']['initial_release_date'][:4]}/"
                                f"{url.rsplit('/', 1)[1]}")
            found[url] = document
    return found


def test_a_client_finds_downloads_and_verifies_every_advisory(author, approver, signing_key, tmp_path):
    revisions = [publish(make_draft(author), author, approver) for _ in range(3)]
    draft = make_draft(author)  # never published: must not be found
    found = walk(Client(), tmp_path)
    # Both kinds: each advisory and its csaf_vex document (the fixtures' developers gave per-product status).
    assert {doc["document"]["tracking"]["id"] for doc in found.values()} == {
        tid for r in revisions for tid in (r.tracking_id, f"{r.tracking_id}-vex")}
    kinds = {doc["document"]["tracking"]["id"]: doc["document"]["category"] for doc in found.values()}
    assert sorted(set(kinds.values())) == ["csaf_security_advisory", "csaf_vex"]
    assert all(kind == "csaf_vex" for tid, kind in kinds.items() if tid.endswith("-vex"))
    assert draft.tracking_id not in json.dumps(list(found.values()))
    for document in found.values():
        assert csaf_findings(document) == []
        assert errors(document, "csaf_json_schema.json") == []
    assert all(r.csaf_signature for r in AdvisoryRevision.objects.all())


def test_without_a_key_nothing_claims_a_signature(published, tmp_path, settings):
    client = Client()
    metadata = client.get(f"{ROOT}/provider-metadata.json").json()
    assert "public_openpgp_keys" not in metadata
    assert client.get(f"{ROOT}/{published.csaf_path}.asc").status_code == 404
    assert client.get(f"{ROOT}/{published.vex_csaf_path}.asc").status_code == 404
    assert sorted(walk(client, tmp_path)) == sorted(f"{settings.BASE_URL}{ROOT}/{path}"
                                                    for path in (published.csaf_path, published.vex_csaf_path))


def test_only_the_current_revision_is_served(published, author, approver):
    from earlywarn.advisories import services
    from earlywarn.cases.policy import Actor

    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=published.advisory,
                                        fields={"title_ja": "改訂後のタイトル"})
    second = publish(advisory, author, approver)
    assert second.csaf_path == published.csaf_path
    served = Client().get(f"{ROOT}/{second.csaf_path}").json()
    assert served["document"]["tracking"]["version"] == "2"
    assert served["document"]["title"] == "改訂後のタイトル"
    assert Client().get(f"{ROOT}/white/index.txt").content.decode().count("\n") == 2  # advisory + VEX
    vex = Client().get(f"{ROOT}/{second.vex_csaf_path}").json()
    assert vex["document"]["tracking"]["version"] == "2"
    assert vex["document"]["title"].startswith("改訂後のタイトル")


@pytest.mark.parametrize("path", ["white/2026/nothing.json", "white/2026/nothing.json.sha256", "white/../x",
                                  "openpgp/ABC.asc", "white/", "red/index.txt", "white/2026/x.json.md5"])
def test_unknown_paths_are_404(path):
    assert Client().get(f"{ROOT}/{path}").status_code == 404


def test_feed_example_shape_matches_the_standard(published):
    """The feed has the keys of the standard's own example feed (examples/ROLIE)."""
    from tests.advisories.conftest import CONFORMANCE

    example = json.loads((CONFORMANCE / "csaf-2.0/examples/ROLIE/example-01-feed-tlp-white.json").read_text())
    feed = Client().get(f"{ROOT}/white/csaf-feed-tlp-white.json").json()
    assert set(feed["feed"]) == set(example["feed"])
    assert set(feed["feed"]["entry"][0]) == set(example["feed"]["entry"][0])
