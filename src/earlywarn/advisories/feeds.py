"""Feeds of published advisories: RSS 1.0 in the style of JVNRSS and Atom 1.0, each in Japanese and English.

Both are written by ``django.utils.feedgenerator``: Atom by its ``Atom1Feed``; RSS 1.0 (RDF), which Django does
not ship, by a ``SyndicationFeed`` subclass that writes through the same ``SimplerXMLGenerator`` (escaping and
control-character checks included), so both feeds share one item model. Items carry the mod_sec elements
JVNRSS uses (``sec:identifier``, ``sec:references``, ``sec:cpe``, ``sec:cvss``).

Incremental updates: an item is the current revision of an advisory, ordered by the date of that revision, so a
revised advisory comes back to the top; its id/link stays the advisory's page while ``updated`` /
``dcterms:modified`` carry the revision's date, which is how readers show it as updated. Only published revisions
are read; a draft is never in a feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.xmlreader import AttributesImpl

from django.utils import feedgenerator, translation
from django.utils.feedgenerator import rfc3339_date
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator

from earlywarn.advisories import conf, csaf_doc, snapshot, withdrawal
from earlywarn.advisories.models import AdvisoryRevision

FEED_SIZE = 50  # newest revisions per feed
LANGUAGES = ("ja", "en")
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS_NS = "http://purl.org/rss/1.0/"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
SEC_NS = "http://jvn.jp/rss/mod_sec/3.0/"  # the mod_sec namespace of JVNRSS / MyJVN


@dataclass(frozen=True)
class SecData:
    """The mod_sec elements of one item."""

    identifier: str
    references: list[dict[str, str]] = field(default_factory=list)  # source, id, title, url
    cpes: list[dict[str, str]] = field(default_factory=list)  # version, vendor, product, name
    cvss: list[dict[str, str]] = field(default_factory=list)  # version, score, severity, vector, type


def _write_sec(handler: SimplerXMLGenerator, sec: SecData) -> None:
    handler.addQuickElement("sec:identifier", sec.identifier)
    for ref in sec.references:
        attrs = {key: ref[key] for key in ("source", "id", "title") if ref.get(key)}
        handler.addQuickElement("sec:references", ref["url"], attrs)
    for cpe in sec.cpes:
        handler.addQuickElement("sec:cpe", cpe["name"], {k: cpe[k] for k in ("version", "vendor", "product")})
    for score in sec.cvss:
        handler.addQuickElement("sec:cvss", None, score)


class Rss10Feed(feedgenerator.SyndicationFeed):
    """RSS 1.0 (RDF Site Summary) with Dublin Core, DC terms and mod_sec, shaped like JVNRSS."""

    content_type = "application/rdf+xml; charset=utf-8"

    def write(self, outfile: Any, encoding: str) -> None:
        handler = SimplerXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("rdf:RDF", AttributesImpl({
            "xmlns": RSS_NS, "xmlns:rdf": RDF_NS, "xmlns:dc": DC_NS, "xmlns:dcterms": DCTERMS_NS,
            "xmlns:sec": SEC_NS, "xml:lang": self.feed["language"]}))
        handler.startElement("channel", AttributesImpl({"rdf:about": self.feed["feed_url"]}))
        handler.addQuickElement("title", self.feed["title"])
        handler.addQuickElement("link", self.feed["link"])
        handler.addQuickElement("description", self.feed["description"])
        handler.addQuickElement("dc:language", self.feed["language"])
        handler.addQuickElement("dc:creator", self.feed["author_name"])
        handler.addQuickElement("dc:date", rfc3339_date(self.latest_post_date()))
        handler.startElement("items", AttributesImpl({}))
        handler.startElement("rdf:Seq", AttributesImpl({}))
        for item in self.items:
            handler.addQuickElement("rdf:li", None, {"rdf:resource": item["link"]})
        handler.endElement("rdf:Seq")
        handler.endElement("items")
        handler.endElement("channel")
        for item in self.items:
            handler.startElement("item", AttributesImpl({"rdf:about": item["link"]}))
            handler.addQuickElement("title", item["title"])
            handler.addQuickElement("link", item["link"])
            handler.addQuickElement("description", item["description"])
            handler.addQuickElement("dc:creator", item["author_name"])
            _write_sec(handler, item["sec"])
            handler.addQuickElement("dc:date", rfc3339_date(item["updateddate"]))
            handler.addQuickElement("dcterms:issued", rfc3339_date(item["pubdate"]))
            handler.addQuickElement("dcterms:modified", rfc3339_date(item["updateddate"]))
            handler.endElement("item")
        handler.endElement("rdf:RDF")


class AdvisoryAtomFeed(feedgenerator.Atom1Feed):
    """Atom 1.0 with the same mod_sec elements and a link to each advisory's CSAF document."""

    def root_attributes(self) -> dict[str, str]:
        return {**super().root_attributes(), "xmlns:sec": SEC_NS}

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("link", "", {"rel": "related", "type": "application/json", "href": item["csaf_url"],
                                             "title": "CSAF 2.0"})
        _write_sec(handler, item["sec"])


FORMATS: dict[str, type[Rss10Feed | AdvisoryAtomFeed]] = {"rdf": Rss10Feed, "atom": AdvisoryAtomFeed}


def feed_url(language: str, fmt: str) -> str:
    return f"{csaf_doc.base_url()}/feeds/{language}/advisories.{fmt}"


def sec_data(content: dict[str, Any]) -> SecData:
    references: list[dict[str, str]] = []
    best: dict[str, dict[str, str]] = {}
    for vuln in content["vulnerabilities"]:
        if vuln["cve"]:
            references.append({"source": "CVE", "id": vuln["cve"],
                               "url": f"https://www.cve.org/CVERecord?id={vuln['cve']}"})
        if vuln["cwe"]:
            number = vuln["cwe"].removeprefix("CWE-")
            references.append({"source": "CWE", "id": vuln["cwe"], "title": vuln["cwe_name"] or "",
                               "url": f"https://cwe.mitre.org/data/definitions/{number}.html"})
        for key in ("cvss_v3", "cvss_v4"):
            score = vuln[key]
            if score and (score["version"] not in best or float(score["score"]) > float(
                    best[score["version"]]["score"])):
                best[score["version"]] = {"version": score["version"], "score": score["score"],
                                          "severity": score["severity"].capitalize(), "vector": score["vector"],
                                          "type": "Base"}
    references += [{"title": ref.get("summary") or "", "url": ref["url"]} for ref in content["references"]]
    cpes = []
    for product in content["products"]:
        if product["cpe"]:
            cpes.append({"name": product["cpe"], "version": "2.3" if product["cpe"].startswith("cpe:2.3:") else "2.2",
                         "vendor": product["developer"]["en"] or product["developer"]["ja"],
                         "product": product["product"]["en"] or product["product"]["ja"]})
    return SecData(identifier=content["tracking_id"], references=references, cpes=cpes,
                   cvss=[best[v] for v in sorted(best)])


def build(revisions: Iterable[AdvisoryRevision], language: str, fmt: str) -> Rss10Feed | AdvisoryAtomFeed:
    """The feed of ``revisions`` (current revisions of published advisories, newest first) in ``language``."""
    publisher = conf.setting("CSAF_PUBLISHER_NAME")
    with translation.override(language):
        feed = FORMATS[fmt](
            title=_("%(publisher)s vulnerability advisories") % {"publisher": publisher},
            link=f"{csaf_doc.base_url()}/advisories/",
            description=_("Published vulnerability advisories, the most recently published or revised first."),
            language=language, feed_url=feed_url(language, fmt), feed_guid=feed_url(language, fmt),
            author_name=publisher)
    for revision in revisions:
        content = revision.content
        page = f"{csaf_doc.base_url()}/advisories/{revision.slug}/"
        title = f"{snapshot.text(content, 'title', language)[0]} ({revision.tracking_id})"
        description = snapshot.text(content, "overview", language)[0]
        notice = withdrawal.public_notice(content, language)
        if notice is not None:  # the withdrawing revision (withdrawal.py)
            with translation.override(language):
                title = _("[Withdrawn] %(title)s") % {"title": title}
                description = _("Withdrawn: %(reason)s") % {"reason": notice["reason"]}
        feed.add_item(
            title=title, link=page, unique_id=page, unique_id_is_permalink=True, description=description,
            pubdate=revision.initial_published_at, updateddate=revision.published_at,
            author_name=publisher, categories=[v["cve"] for v in content["vulnerabilities"] if v["cve"]],
            sec=sec_data(content), csaf_url=f"{csaf_doc.base_url()}/.well-known/csaf/{revision.csaf_path}")
    return feed


def render(revisions: Iterable[AdvisoryRevision], language: str, fmt: str) -> tuple[bytes, str]:
    """(the feed's bytes in UTF-8, its content type)."""
    feed = build(revisions, language, fmt)
    return feed.writeString("utf-8").encode(), feed.content_type
