"""The CSAF 2.0 provider under /.well-known/csaf/ (CSAF 2.0 §7.1, requirements 9–20).

Layout (TLP:WHITE only: every published advisory is public):

    provider-metadata.json                      requirement 7/9, role csaf_provider
    white/index.txt, white/changes.csv          requirements 12, 13 (paths relative to white/)
    white/<year>/<filename>.json                requirement 11 (year of the initial release), filename rule §5.1
    white/<year>/<filename>.json.sha256|.sha512 requirement 18
    white/<year>/<filename>.json.asc            requirement 19 (when a signing key is set up)
    white/csaf-feed-tlp-white.json              requirement 15 (ROLIE feed, JSON)
    openpgp/<fingerprint>.asc                   requirement 20

Only the current revision of each published advisory is served; drafts never are. A revision that carries a
``csaf_vex`` document (vex.py) serves it as a second file listed everywhere the advisory is.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from earlywarn.advisories import conf, csaf_doc, formats, openpgp, vex
from earlywarn.advisories.models import AdvisoryRevision

TLP_DIR = csaf_doc.TLP_LABEL.lower()
FEED_NAME = f"csaf-feed-tlp-{TLP_DIR}.json"
CSAF_SCHEMA_URL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
JSON = "application/json"


@dataclass(frozen=True)
class ServedFile:
    body: bytes
    content_type: str
    modified: datetime | None = None  # Last-Modified: the publication of a served document (views.csaf_file)


def root_url() -> str:
    return f"{csaf_doc.base_url()}/.well-known/csaf"


def documents() -> QuerySet[AdvisoryRevision]:
    """The served documents: the current revision of every published advisory, newest change first."""
    return AdvisoryRevision.objects.filter(is_current=True).order_by("-published_at", "-id")


def _dumps(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def provider_metadata() -> dict[str, object]:
    latest = documents().values_list("published_at", flat=True).first()
    key = openpgp.public_key()
    metadata: dict[str, object] = {
        "canonical_url": f"{root_url()}/provider-metadata.json",
        "distributions": [
            {"directory_url": f"{root_url()}/{TLP_DIR}/"},
            {"rolie": {"feeds": [{"summary": f"All TLP:{csaf_doc.TLP_LABEL} advisories",
                                  "tlp_label": csaf_doc.TLP_LABEL, "url": f"{root_url()}/{TLP_DIR}/{FEED_NAME}"}]}},
        ],
        "last_updated": formats.iso_utc(latest or timezone.now().replace(microsecond=0)),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {"category": conf.setting("CSAF_PUBLISHER_CATEGORY"),
                      "name": conf.setting("CSAF_PUBLISHER_NAME"),
                      "namespace": csaf_doc.base_url()},
        "role": "csaf_provider",
    }
    if key is not None:
        metadata["public_openpgp_keys"] = [{"fingerprint": key.fingerprint,
                                            "url": f"{root_url()}/openpgp/{key.fingerprint}.asc"}]
    return metadata


def _paths(revision: AdvisoryRevision) -> list[str]:
    """The served paths of a revision: the advisory, then its VEX document if it has one."""
    return [revision.csaf_path, *([revision.vex_csaf_path] if revision.vex_csaf_path else [])]


def index_txt() -> bytes:
    return "".join(f"{path.removeprefix(TLP_DIR + '/')}\n" for r in documents().only("csaf_path", "vex_csaf_path")
                   for path in _paths(r)).encode()


def changes_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for revision in documents().only("csaf_path", "vex_csaf_path", "published_at"):
        for path in _paths(revision):
            writer.writerow([path.removeprefix(TLP_DIR + "/"), formats.iso_utc(revision.published_at)])
    return out.getvalue().encode()


def rolie_feed() -> dict[str, object]:
    entries = []
    for revision in documents().only("csaf_path", "tracking_id", "published_at", "initial_published_at", "content",
                                     "csaf_signature", "vex_csaf_path", "vex_csaf_signature", "vex_csaf"):
        title = revision.content["texts"]["en"].get("title") or revision.content["texts"]["ja"].get("title", "")
        kinds = [(revision.csaf_path, revision.tracking_id, title, revision.csaf_signature,
                  revision.initial_published_at)]
        if revision.vex_csaf_path:
            initial = json.loads(revision.vex_csaf)["document"]["tracking"]["initial_release_date"]
            kinds.append((revision.vex_csaf_path, vex.tracking_id(revision.tracking_id), title + vex.TITLE_SUFFIX,
                          revision.vex_csaf_signature, formats.parse_iso(initial)))
        for path, tracking_id, entry_title, signature, published in kinds:
            url = f"{root_url()}/{path}"
            links = [{"rel": "self", "href": url}, {"rel": "hash", "href": f"{url}.sha256"},
                     {"rel": "hash", "href": f"{url}.sha512"}]
            if signature:
                links.append({"rel": "signature", "href": f"{url}.asc"})
            entries.append({
                "id": tracking_id, "title": entry_title, "link": links,
                "published": formats.iso_utc(published), "updated": formats.iso_utc(revision.published_at),
                "summary": {"content": entry_title}, "content": {"type": JSON, "src": url},
                "format": {"schema": CSAF_SCHEMA_URL, "version": "2.0"},
            })
    latest = documents().values_list("published_at", flat=True).first()
    return {"feed": {
        "id": f"{conf.setting('CSAF_PUBLISHER_NAME')}-csaf-feed-tlp-{TLP_DIR}",
        "title": f"{conf.setting('CSAF_PUBLISHER_NAME')} CSAF feed (TLP:{csaf_doc.TLP_LABEL})",
        "link": [{"rel": "self", "href": f"{root_url()}/{TLP_DIR}/{FEED_NAME}"}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "updated": formats.iso_utc(latest or timezone.now().replace(microsecond=0)),
        "entry": entries,
    }}


def served_file(path: str) -> ServedFile | None:
    """The file at ``path`` below /.well-known/csaf/, or None (answered 404 like anything else missing)."""
    if path == f"{TLP_DIR}/index.txt":
        return ServedFile(index_txt(), "text/plain; charset=utf-8")
    if path == f"{TLP_DIR}/changes.csv":
        return ServedFile(changes_csv(), "text/csv; charset=utf-8")
    if path == f"{TLP_DIR}/{FEED_NAME}":
        return ServedFile(_dumps(rolie_feed()), JSON)
    if path.startswith("openpgp/") and path.endswith(".asc"):
        key = openpgp.public_key()
        if key is not None and path == f"openpgp/{key.fingerprint}.asc":
            return ServedFile(key.armored.encode(), "application/pgp-keys")
        return None
    for suffix in ("", ".sha256", ".sha512", ".asc"):
        if not path.endswith(".json" + suffix):
            continue
        document_path = path.removesuffix(suffix)
        revision = (documents().filter(Q(csaf_path=document_path) | Q(vex_csaf_path=document_path))
                    .only("csaf_path", "csaf", "csaf_signature", "vex_csaf", "vex_csaf_signature", "published_at")
                    .first())  # not the content snapshot: a mirror fetching hashes should not decode it
        if revision is None:
            return None
        is_vex = revision.csaf_path != document_path
        body = (revision.vex_csaf if is_vex else revision.csaf).encode()
        signature = revision.vex_csaf_signature if is_vex else revision.csaf_signature
        name = document_path.rsplit("/", 1)[-1]
        if suffix == "":
            return ServedFile(body, JSON, revision.published_at)
        if suffix == ".asc":
            return ServedFile(signature.encode(), "application/pgp-signature", revision.published_at) \
                if signature else None
        digest = hashlib.new(suffix[1:], body).hexdigest()
        return ServedFile(f"{digest}  {name}\n".encode(), "text/plain; charset=utf-8", revision.published_at)
    return None


def provider_metadata_file() -> ServedFile:
    return ServedFile(_dumps(provider_metadata()), JSON)
