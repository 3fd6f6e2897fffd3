"""Import of CSAF 2.0 documents: round trip of our own provider, the official suite, refusals, CLI."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from earlywarn.advisories import csaf_import, provider, services, snapshot
from earlywarn.advisories.csaf_import import ImportRefused, advisory_import_batch, advisory_import_csaf
from earlywarn.advisories.models import (
    Advisory,
    AdvisoryEvent,
    AdvisoryKind,
    AdvisoryOrigin,
    AdvisoryRevision,
    AffectedProduct,
    Vulnerability,
)
from earlywarn.cases.policy import Action, ActionDenied, Actor
from tests.advisories.conftest import CONFORMANCE, client_for, make_draft, publish

pytestmark = pytest.mark.django_db
SUITE = CONFORMANCE / "csaf-2.0" / "test" / "validator" / "data"
EXAMPLES = CONFORMANCE / "csaf-2.0" / "examples" / "csaf"
SYSTEM = Actor.system(frozenset({Action.ADVISORY_PUBLISH}))


@pytest.fixture(autouse=True)
def _english_messages():
    """The refusals are matched in English (the platform's default language is Japanese)."""
    with translation.override("en"):
        yield


def served_documents() -> dict[str, bytes]:
    """Every CSAF security advisory the provider serves, found like a client does (index.txt). The csaf_vex
    documents next to them are derived from the advisories (vex.py), not imported: they are made again on the
    advisory's next publication (docs/advisories.md)."""
    index = provider.served_file("white/index.txt")
    assert index is not None
    files = {}
    for line in index.body.decode().splitlines():
        served = provider.served_file(f"white/{line}")
        assert served is not None
        if json.loads(served.body)["document"]["category"] != "csaf_vex":
            files[line] = served.body
    return files


def project(content: dict, lang: str) -> dict:
    """What a CSAF document in ``lang`` says about an advisory's content."""
    def name(pair: dict) -> str:
        return pair[lang] or pair["ja"]

    return {
        "tracking_id": content["tracking_id"], "slug": content["slug"], "kind": content["kind"],
        "texts": content["texts"][lang], "exploited": content["exploited"], "references": content["references"],
        "vulnerabilities": [{"cve": v["cve"], "cwe": v["cwe"], "title": v["title"][lang],
                             "cvss_v3": v["cvss_v3"] and v["cvss_v3"]["vector"],
                             "cvss_v4": v["cvss_v4"] and v["cvss_v4"]["vector"]} for v in content["vulnerabilities"]],
        "products": sorted((name(p["developer"]), name(p["product"]), p["versions"], p["status"], p["purl"], p["cpe"],
                            p["statement"][lang]) for p in content["products"]),
        "max_score": content["max_score"], "severity": content["severity"],
    }


def history(advisory: Advisory, lang: str) -> list[tuple]:
    return [(r.number, r.published_at, getattr(r, f"summary_{lang}"))
            for r in AdvisoryRevision.objects.filter(advisory=advisory).order_by("number")]


def wipe() -> None:
    """A fresh platform (queryset deletes bypass the append-only guards of single rows)."""
    AdvisoryEvent.objects.all().delete()
    AdvisoryRevision.objects.all().delete()
    Vulnerability.objects.all().delete()
    AffectedProduct.objects.all().delete()
    Advisory.objects.all().delete()


def test_every_document_our_provider_serves_reimports_into_an_equal_advisory(author, approver, settings):
    advisories = [make_draft(author)]
    advisories.append(make_draft(author, kind=AdvisoryKind.SINGLE, exploited=True, exploitation_agreed=True,
                                 stop_using_ja="利用を中止してください。", stop_using_en="Stop using it."))
    single = advisories[-1]
    services.advisory_update(actor=Actor.for_user(author), advisory=single, products=[
        {"developer_name_ja": "単独株式会社", "product_name_ja": "単独製品", "status": "affected"}],
        vulnerabilities=[{"cve": "CVE-2026-0001", "cwe": "CWE-89", "title_ja": "",
                          "cvss_v4": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
                         {"cve": "CVE-2026-0002", "title_ja": "二つ目"}])
    for advisory in advisories:
        publish(Advisory.objects.get(pk=advisory.pk), author, approver)
    revised = Advisory.objects.get(pk=advisories[0].pk)
    revised = services.advisory_update(actor=Actor.for_user(author), advisory=revised,
                                       fields={"title_ja": "改訂したタイトル", "revision_summary_ja": "タイトルを修正"})
    publish(revised, author, approver)
    settings.EARLYWARN = {**settings.EARLYWARN, "CSAF_LANG": "en"}
    english = make_draft(author, references=[])
    publish(english, author, approver)
    languages = {a.tracking_id: "ja" for a in advisories} | {english.tracking_id: "en"}
    expected = {}
    for advisory in Advisory.objects.all():
        current = advisory.revisions.get(is_current=True)
        lang = languages[advisory.tracking_id]
        expected[advisory.tracking_id] = (project(current.content, lang), history(advisory, lang),
                                          current.initial_published_at, current.csaf_path)
    served = served_documents()
    assert len(served) == 3
    wipe()

    results = advisory_import_batch(actor=SYSTEM, documents=list(served.items()))

    assert {r.outcome for r in results} == {"created"}
    assert served_documents() == served  # the provider serves the same bytes again
    for result in results:
        advisory = result.advisory
        lang = languages[advisory.tracking_id]
        current = advisory.revisions.get(is_current=True)
        content, revisions, initial, path = expected[advisory.tracking_id]
        assert project(snapshot.content_of(advisory), lang) == content
        assert project(current.content, lang) == content
        assert history(advisory, lang) == revisions
        assert (current.initial_published_at, current.csaf_path) == (initial, path)
        assert advisory.origin == AdvisoryOrigin.DOMESTIC
        assert result.warnings == []
    again = advisory_import_batch(actor=SYSTEM, documents=list(served.items()))
    assert {r.outcome for r in again} == {"unchanged"}


def test_our_document_reimported_on_the_same_platform_is_a_no_op(published):
    events = AdvisoryEvent.objects.count()
    result = advisory_import_csaf(actor=SYSTEM, document=published.csaf.encode())
    assert result.outcome == "unchanged"
    assert result.advisory.pk == published.advisory_id
    assert AdvisoryEvent.objects.count() == events
    assert AdvisoryRevision.objects.count() == 1


def _bsi() -> dict:
    return json.loads((EXAMPLES / "bsi-2022-0001.json").read_text())


def _next_version(doc: dict, title: str) -> dict:
    newer = copy.deepcopy(doc)
    tracking = newer["document"]["tracking"]
    when = "2022-04-01T10:00:00.000Z"
    tracking["revision_history"].append({"number": "2", "date": when, "summary": "Title corrected"})
    tracking.update(version="2", current_release_date=when)
    newer["document"]["title"] = title
    return newer


def test_a_newer_version_adds_a_revision_and_an_older_one_is_refused():
    first = advisory_import_csaf(actor=SYSTEM, document=_bsi(), origin=AdvisoryOrigin.OVERSEAS_CSIRT)
    assert first.outcome == "created"
    advisory = first.advisory
    assert (advisory.tracking_id, advisory.slug, advisory.origin) == ("BSI-2022-0001", "BSI-2022-0001",
                                                                      "overseas_csirt")
    assert advisory.title_en.startswith("CVRF-CSAF-Converter")
    assert advisory.title_ja == ""
    newer = _next_version(_bsi(), "A corrected title")
    second = advisory_import_csaf(actor=SYSTEM, document=json.dumps(newer).encode())
    assert second.outcome == "updated"
    assert second.revision.number == 2
    advisory.refresh_from_db()
    assert advisory.title_en == "A corrected title"
    assert advisory.origin == "overseas_csirt"
    assert [(r.number, r.is_current) for r in advisory.revisions.order_by("number")] == [(1, False), (2, True)]
    assert second.revision.csaf_document() == newer
    assert advisory.events.filter(tag="advisory:revision:imported").count() == 2
    with pytest.raises(ImportRefused, match="not newer"):
        advisory_import_csaf(actor=SYSTEM, document=_next_version(_bsi(), "Something else"))
    with pytest.raises(ImportRefused, match="not newer"):
        advisory_import_csaf(actor=SYSTEM, document=_bsi())
    assert advisory_import_csaf(actor=SYSTEM, document=newer).outcome == "unchanged"


def test_a_batch_with_two_versions_imports_them_oldest_first(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.json").write_text(json.dumps(_next_version(_bsi(), "Second")))
    (tmp_path / "b" / "first.json").write_text(json.dumps(_bsi()))
    call_command("import_csaf", str(tmp_path))
    advisory = Advisory.objects.get()
    assert advisory.title_en == "Second"
    assert advisory.revisions.count() == 2


def test_mapping_of_a_third_party_advisory(client):
    result = advisory_import_csaf(actor=SYSTEM, document=(EXAMPLES / "rhsa-2021_5186.json").read_bytes())
    advisory = result.advisory
    assert advisory.tracking_id == "RHSA-2021:5186"
    assert advisory.slug == "RHSA-2021-5186"
    assert {v.cve for v in advisory.vulnerabilities.all()} == {"CVE-2021-4104", "CVE-2021-4125"}
    assert advisory.vulnerabilities.get(cve="CVE-2021-4104").cwe == "CWE-20"
    statuses = set(advisory.products.values_list("status", flat=True))
    assert statuses == {"fixed", "not_affected"}
    assert all(p.developer_name_en == "Red Hat" for p in advisory.products.all())
    assert advisory.overview_en
    assert advisory.solution_en
    assert advisory.references
    current = result.revision
    assert current.published_at.isoformat().startswith("2021-12-16T22:34")
    assert (EXAMPLES / "rhsa-2021_5186.json").read_bytes() == provider.served_file(current.csaf_path).body
    page = client.get(f"/advisories/{advisory.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "RHSA-2021:5186" in page.content.decode()


def test_japanese_and_english_documents_fill_their_own_fields(published):
    doc = published.csaf_document()
    doc["document"]["tracking"]["id"] = "EW#99999999"
    doc["document"]["lang"] = "en"
    advisory = advisory_import_csaf(actor=SYSTEM, document=doc).advisory
    assert advisory.title_en == doc["document"]["title"]
    assert advisory.title_ja == ""
    assert advisory.products.first().developer_name_ja == advisory.products.first().developer_name_en


def _mandatory(kind: str) -> list[tuple[str, str]]:
    cases = json.loads((SUITE / "testcases.json").read_text())["tests"]
    return [(test["id"], item["name"]) for test in cases if test["group"] == "mandatory"
            for item in test.get(kind, [])]


def test_must_pass_examples_of_the_official_suite_import():
    """Every mandatory must-pass file that describes a vulnerability (the others have nothing to import)."""
    imported = 0
    for _test, name in _mandatory("valid"):
        doc = json.loads((SUITE / name).read_text())
        if not doc.get("vulnerabilities") or doc["document"]["tracking"]["status"] == "draft":
            continue
        result = advisory_import_csaf(actor=SYSTEM, document=(SUITE / name).read_bytes(), lang="en", source=name)
        assert result.outcome == "created", name
        imported += 1
    assert imported == Advisory.objects.count() >= 25


def test_must_fail_examples_of_the_official_suite_are_refused_naming_the_test():
    for test_id, name in _mandatory("failures"):
        with pytest.raises(ImportRefused) as refused:
            advisory_import_csaf(actor=SYSTEM, document=(SUITE / name).read_bytes(), lang="en", source=name)
        named = {problem.split(" ")[0] for _source, problem in refused.value.problems}
        assert named & {test_id, test_id.rsplit(".", 1)[0], "schema"}, (test_id, name, refused.value.problems)
        assert all(source == name for source, _problem in refused.value.problems)
    assert not Advisory.objects.exists()
    assert not AdvisoryEvent.objects.exists()


def test_report_names_test_and_path():
    doc = _bsi()
    doc["vulnerabilities"][0]["product_status"]["known_affected"].append("CSAFPID-9999")
    with pytest.raises(ImportRefused) as refused:
        advisory_import_csaf(actor=SYSTEM, document=doc, source="bad.json")
    assert any(problem.startswith("6.1.1 Missing Definition of Product ID: /vulnerabilities/0/product_status/")
               for _source, problem in refused.value.problems)
    assert "bad.json" in str(refused.value)


def test_an_older_cwe_name_is_accepted_with_a_warning_and_a_wrong_one_refused():
    doc = _bsi()
    doc["vulnerabilities"][0]["cwe"] = {"id": "CWE-79", "name": "Failure to Preserve Web Page Structure "
                                        "('Cross-site Scripting')"}
    result = advisory_import_csaf(actor=SYSTEM, document=doc)
    assert result.advisory.vulnerabilities.get().cwe == "CWE-79"
    assert any("older CWE catalogue" in warning for warning in result.warnings)
    doc["vulnerabilities"][0]["cwe"]["name"] = "Improper Input Validation"
    doc["document"]["tracking"]["id"] = "BSI-2022-0002"
    with pytest.raises(ImportRefused, match=r"6\.1\.11"):
        advisory_import_csaf(actor=SYSTEM, document=doc)


def _nested(depth: int) -> list:
    branch: dict = {"category": "product_version", "name": "1.0",
                    "product": {"product_id": "DEEP", "name": "Deep 1.0"}}
    for _level in range(depth):
        branch = {"category": "product_family", "name": "family", "branches": [branch]}
    return [branch]


def _with(change) -> dict:
    doc = _bsi()
    change(doc)
    return doc


@pytest.mark.parametrize(("document", "message"), [
    (b'{"document": ', "not JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[1, 2]", "a JSON object"),
    (b'{"a": NaN}', "not JSON"),
    (b" " * (csaf_import.MAX_BYTES + 1), "larger than"),
    (_with(lambda d: d["document"]["distribution"]["tlp"].update(label="AMBER")), "TLP:AMBER"),
    (_with(lambda d: (d["document"].update(category="csaf_base"), d.pop("vulnerabilities"))), "no vulnerability"),
    (_with(lambda d: d["document"].update(lang="de")), "language is de"),
    (_with(lambda d: d["document"]["tracking"].update(id="X" * 41)), "at most 40"),
    (_with(lambda d: d["document"].update(title="a\ud800")), "cannot be stored"),
    (_with(lambda d: d["document"].update(title="a\x00b")), "cannot be stored"),
    (_with(lambda d: d["document"]["tracking"].update(current_release_date="9999-12-31T23:59:59-01:00")),
     "cannot be read"),
    (_with(lambda d: d["vulnerabilities"][0].update(cve="CVE-2022-" + "1" * 40)), "at most 32"),
    (_with(lambda d: d["product_tree"].update(branches=_nested(400))), "nested too deeply"),
])
def test_bad_input_is_refused_clearly_and_changes_nothing(document, message):
    with pytest.raises(ImportRefused, match=message):
        advisory_import_csaf(actor=SYSTEM, document=document, source="input.json")
    assert not Advisory.objects.exists()
    assert not AdvisoryEvent.objects.exists()


def test_a_batch_is_all_or_nothing():
    with pytest.raises(ImportRefused) as refused:
        advisory_import_batch(actor=SYSTEM, documents=[("good.json", _bsi()), ("bad.json", b"{")])
    assert [source for source, _problem in refused.value.problems] == ["bad.json"]
    assert not Advisory.objects.exists()


def test_identifier_conflicts_are_refused(published, author):
    draft = make_draft(author)  # never published
    doc = published.csaf_document()
    doc["document"]["tracking"]["id"] = draft.tracking_id
    with pytest.raises(ImportRefused, match="unpublished draft"):
        advisory_import_csaf(actor=SYSTEM, document=doc)
    other = _bsi()
    other["document"]["tracking"]["id"] = published.tracking_id
    other["document"]["tracking"]["current_release_date"] = "2030-01-01T00:00:00Z"
    with pytest.raises(ImportRefused, match="another publisher"):
        advisory_import_csaf(actor=SYSTEM, document=other)


def test_local_edits_block_an_update(published, author):
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=published.advisory,
                                        fields={"title_ja": "編集中"})
    doc = published.csaf_document()
    tracking = doc["document"]["tracking"]
    later = (published.published_at + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    tracking["revision_history"].append({"number": "2", "date": later, "summary": "更新"})
    tracking.update(version="2", current_release_date=later)
    with pytest.raises(ImportRefused, match="unpublished edits"):
        advisory_import_csaf(actor=SYSTEM, document=doc)
    assert advisory.revisions.count() == 1


def test_only_those_who_may_publish_may_import(handler, coordinator):
    with pytest.raises(ActionDenied):
        advisory_import_csaf(actor=Actor.for_user(handler), document=_bsi())
    assert advisory_import_csaf(actor=Actor.for_user(coordinator), document=_bsi()).outcome == "created"
    event = AdvisoryEvent.objects.get(tag="advisory:revision:imported")
    assert event.actor == coordinator
    assert event.data["created"] is True


def test_command_imports_files_and_reports_failures(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_bytes((EXAMPLES / "bsi-2022-0001.json").read_bytes())
    bad = tmp_path / "bad.json"
    doc = _bsi()
    doc["document"]["tracking"]["id"] = "BSI-2022-0003"
    doc["vulnerabilities"][0]["product_status"]["known_affected"].append("CSAFPID-9999")
    bad.write_text(json.dumps(doc))
    with pytest.raises(CommandError, match="nothing was imported") as failed:
        call_command("import_csaf", str(good), str(bad))
    assert failed.value.returncode == 1
    err = capsys.readouterr().err
    assert f"{bad}: 6.1.1 Missing Definition of Product ID" in err
    assert not Advisory.objects.exists()
    call_command("import_csaf", str(good), "--origin", "overseas_csirt")
    out = capsys.readouterr().out
    assert "created BSI-2022-0001 revision 1" in out
    assert "1 created" in out
    assert Advisory.objects.get().origin == "overseas_csirt"
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_csaf", str(tmp_path / "missing.json"))


def test_imported_page_is_public_and_origin_defaults_to_domestic():
    advisory = advisory_import_csaf(actor=SYSTEM, document=_bsi()).advisory
    assert advisory.origin == AdvisoryOrigin.DOMESTIC
    assert advisory.kind == AdvisoryKind.SINGLE
    assert client_for(None).get(f"/advisories/{advisory.slug}/").status_code == 200


def test_another_publishers_advisory_is_not_republished_under_our_name(author, approver):
    advisory = advisory_import_csaf(actor=SYSTEM, document=_bsi()).advisory
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=advisory,
                                        fields={"title_ja": "翻訳したタイトル"})
    with pytest.raises(services.ValidationFailed, match="another publisher"):
        publish(advisory, author, approver)
    assert advisory.revisions.count() == 1


def test_our_own_imported_advisory_can_be_revised_locally(published, author, approver):
    served = published.csaf
    wipe()
    advisory = advisory_import_csaf(actor=SYSTEM, document=served.encode()).advisory
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=advisory,
                                        fields={"title_ja": "改訂", "revision_summary_ja": "改訂しました"})
    revision = publish(advisory, author, approver)
    history = revision.csaf_document()["document"]["tracking"]["revision_history"]
    assert [h["number"] for h in history] == ["1", "2"]
    assert revision.number == 2


def test_staff_preview_of_an_imported_advisory_names_the_publisher(author):
    advisory = advisory_import_csaf(actor=SYSTEM, document=(EXAMPLES / "cisco-sa-20180328-smi2.json").read_bytes(),
                                    lang="en").advisory
    assert advisory.revisions.count() == 7  # semantic versioning 1.0.0 … 3.0.0, numbered by position
    assert advisory.revisions.get(is_current=True).number == 7
    page = client_for(author).get(f"/console/advisories/{advisory.pk}/preview/")
    assert page.status_code == 200
    with translation.override("en"):  # the request above left the page's language active
        problems = services.publication_problems(advisory, snapshot.content_of(advisory))
    assert any("another publisher" in problem and "https://www.cisco.com" in problem for problem in problems)


def test_a_vex_document_is_refused_with_the_reason(published):
    """A client mirroring our provider also finds our csaf_vex documents; they are not advisories of their own
    (another publisher's VEX documents import like advisories: the official suite's must-pass files do)."""
    revision = published
    assert revision.vex_csaf, "the fixture's products carry statements, so a VEX document is published"
    before = Advisory.objects.count()
    with translation.override("en"), pytest.raises(ImportRefused) as refused:
        advisory_import_csaf(actor=SYSTEM, document=revision.vex_csaf.encode(), source="vex.json")
    assert "VEX document" in refused.value.problems[0][1]
    assert Advisory.objects.count() == before
