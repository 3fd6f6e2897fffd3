"""/feeds/{ja,en}/advisories.{rdf,atom}: parse in a standard feed reader (feedparser), RSS 1.0 in JVNRSS style with
the right namespaces, published advisories only, and incremental updates (ETag, Last-Modified, 304, revisions)."""

from __future__ import annotations

import calendar
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import feedparser
import pytest
from django.test import Client
from django.utils import translation
from django.utils.http import http_date
from django.utils.translation import gettext as _

from earlywarn.advisories import feeds, services
from earlywarn.cases.policy import Actor
from tests.advisories.conftest import TEXTS, make_draft, publish

pytestmark = pytest.mark.django_db

FEEDS = [(lang, fmt) for lang in ("ja", "en") for fmt in ("rdf", "atom")]
NS = {"rdf": feeds.RDF_NS, "rss": feeds.RSS_NS, "dc": feeds.DC_NS, "dcterms": feeds.DCTERMS_NS, "sec": feeds.SEC_NS}


def _url(lang: str, fmt: str) -> str:
    return f"/feeds/{lang}/advisories.{fmt}"


def _parsed(lang: str, fmt: str) -> Any:
    response = Client().get(_url(lang, fmt))
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def _when(struct: Any) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)


@pytest.mark.parametrize(("lang", "fmt"), FEEDS)
def test_feeds_parse_with_titles_links_and_dates(lang, fmt, published):
    response = Client().get(_url(lang, fmt))
    assert response["Content-Type"] == ("application/rdf+xml; charset=utf-8" if fmt == "rdf"
                                        else "application/atom+xml; charset=utf-8")
    parsed = _parsed(lang, fmt)
    assert parsed.version == ("rss10" if fmt == "rdf" else "atom10")
    with translation.override(lang):
        assert parsed.feed.title == _("%(publisher)s vulnerability advisories") % {"publisher": "earlywarn"}
    assert parsed.feed.language == lang
    (entry,) = parsed.entries
    assert entry.title == f"{TEXTS['title_' + lang]} ({published.tracking_id})"
    assert entry.link.endswith(f"/advisories/{published.slug}/")
    assert entry.summary == TEXTS["overview_" + lang]
    assert _when(entry.published_parsed) == published.initial_published_at.replace(microsecond=0)
    assert _when(entry.updated_parsed) == published.published_at.replace(microsecond=0)


def test_rss10_is_jvnrss_shaped_rdf(published):
    root = ET.fromstring(Client().get(_url("ja", "rdf")).content)  # noqa: S314 - our own output
    assert root.tag == f"{{{feeds.RDF_NS}}}RDF"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ja"
    channel = root.find("rss:channel", NS)
    assert channel is not None
    assert channel.get(f"{{{feeds.RDF_NS}}}about").endswith("/feeds/ja/advisories.rdf")
    assert channel.findtext("dc:language", namespaces=NS) == "ja"
    (item,) = root.findall("rss:item", NS)
    seq = [li.get(f"{{{feeds.RDF_NS}}}resource") for li in channel.findall("rss:items/rdf:Seq/rdf:li", NS)]
    assert seq == [item.get(f"{{{feeds.RDF_NS}}}about")] == [item.findtext("rss:link", namespaces=NS)]
    assert item.findtext("sec:identifier", namespaces=NS) == published.tracking_id
    refs = {(r.get("source"), r.get("id")): r.text for r in item.findall("sec:references", NS)}
    assert refs[("CVE", "CVE-2026-12345")] == "https://www.cve.org/CVERecord?id=CVE-2026-12345"
    assert refs[("CWE", "CWE-79")] == "https://cwe.mitre.org/data/definitions/79.html"
    assert "https://example.test/security/2026-01" in refs.values()
    cvss = {c.get("version"): c.attrib for c in item.findall("sec:cvss", NS)}
    assert cvss["3.1"] == {"version": "3.1", "score": "6.1", "severity": "Medium", "type": "Base",
                           "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}
    assert set(cvss) == {"3.1", "4.0"}
    (cpe,) = item.findall("sec:cpe", NS)
    assert (cpe.text, cpe.get("version"), cpe.get("vendor")) == (
        "cpe:2.3:a:example:examplecms:4.2:*:*:*:*:*:*:*", "2.3", "Example Corp")
    assert item.findtext("dcterms:issued", namespaces=NS).startswith(str(published.initial_published_at.date()))
    assert item.findtext("dcterms:modified", namespaces=NS) == item.findtext("dc:date", namespaces=NS)


def test_atom_entries_carry_mod_sec_and_the_csaf_link(published):
    parsed = _parsed("en", "atom")
    (entry,) = parsed.entries
    assert entry.id.endswith(f"/advisories/{published.slug}/")
    assert entry.sec_identifier == published.tracking_id
    assert any(link.href.endswith(published.csaf_path) for link in entry.links if link.rel == "related")
    assert [tag.term for tag in entry.tags] == ["CVE-2026-12345"]


def test_a_draft_never_appears(published, author):
    canary = f"canary-feed-draft-{uuid.uuid4().hex[:12]}"
    make_draft(author, title_ja=canary, title_en=canary, overview_ja=canary, overview_en=canary)
    for lang, fmt in FEEDS:
        body = Client().get(_url(lang, fmt)).content.decode()
        assert canary not in body
        assert published.tracking_id in body


def test_a_revised_advisory_comes_back_with_its_new_date(published, author, approver):
    other = publish(make_draft(author, title_en="Second advisory"), author, approver)
    assert _parsed("en", "atom").entries[0].link.endswith(f"/{other.slug}/")
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=published.advisory,
                                        fields={"revision_summary_en": "Fixed version", "revision_summary_ja": "修正"})
    revised = publish(advisory, author, approver)
    for lang, fmt in FEEDS:
        entries = _parsed(lang, fmt).entries
        assert len(entries) == 2  # one entry per advisory, never one per revision
        assert entries[0].link.endswith(f"/advisories/{revised.slug}/")
        assert _when(entries[0].updated_parsed) == revised.published_at.replace(microsecond=0)
        assert _when(entries[0].published_parsed) == published.initial_published_at.replace(microsecond=0)


def test_newest_n_only(author, approver, monkeypatch):
    revisions = [publish(make_draft(author, title_en=f"Advisory {n}"), author, approver) for n in range(3)]
    monkeypatch.setattr(feeds, "FEED_SIZE", 2)
    entries = _parsed("en", "rdf").entries
    assert [e.link.rsplit("/", 2)[1] for e in entries] == [revisions[2].slug, revisions[1].slug]
    assert [e.title.split(" (")[0] for e in entries] == ["Advisory 2", "Advisory 1"]


@pytest.mark.parametrize(("lang", "fmt"), FEEDS)
def test_conditional_get(lang, fmt, published, author, approver):
    first = Client().get(_url(lang, fmt))
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, no-cache"
    assert modified == http_date(published.published_at.timestamp())
    again = Client().get(_url(lang, fmt), headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert Client().get(_url(lang, fmt), headers={"if-modified-since": modified}).status_code == 304
    other = [Client().get(_url(ol, of))["ETag"] for ol, of in FEEDS if (ol, of) != (lang, fmt)]
    assert etag not in other
    publish(make_draft(author), author, approver)
    changed = Client().get(_url(lang, fmt), headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert len(feedparser.parse(changed.content).entries) == 2


def test_empty_feeds_are_valid():
    for lang, fmt in FEEDS:
        response = Client().get(_url(lang, fmt))
        assert response.status_code == 200
        assert "Last-Modified" not in response
        assert _parsed(lang, fmt).entries == []


def test_unknown_feeds_are_404():
    for url in ("/feeds/fr/advisories.rdf", "/feeds/ja/advisories.rss", "/feeds/ja/advisories.rdf/"):
        assert Client().get(url).status_code == 404


def test_the_list_page_links_the_feeds(published):
    page = Client().get("/advisories/").content.decode()
    for lang, fmt in FEEDS:
        kind = "application/rss+xml" if fmt == "rdf" else "application/atom+xml"
        assert f'<link rel="alternate" type="{kind}"' in page
        assert f'href="{_url(lang, fmt)}"' in page


def test_head_is_answered_like_get(published):
    response = Client().head(_url("en", "atom"))
    assert response.status_code == 200
    assert response["ETag"] == Client().get(_url("en", "atom"))["ETag"]
    assert Client().post(_url("en", "atom")).status_code == 405
