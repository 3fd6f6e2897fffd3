"""Writing and publishing advisories: permissions, validation, two-person rule, revisions, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from earlywarn.advisories import services
from earlywarn.advisories.models import Advisory, AdvisoryEvent, AdvisoryRevision
from earlywarn.cases.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from earlywarn.cases.policy import ActionDenied, Actor
from earlywarn.intake.models import ImmutableError
from tests import factories
from tests.advisories.conftest import PRODUCTS, make_draft, publish

pytestmark = pytest.mark.django_db


def test_identifiers_follow_the_configured_prefixes(author, settings):
    settings.EARLYWARN = {**settings.EARLYWARN, "ADVISORY_ID_PREFIXES": ["JVN#", "JVNVU#"]}
    single = services.advisory_create(actor=Actor.for_user(author), kind="single")
    multi = services.advisory_create(actor=Actor.for_user(author), kind="multi")
    assert single.tracking_id.startswith("JVN#")
    assert len(single.tracking_id) == 12
    assert multi.tracking_id.startswith("JVNVU#")
    assert single.slug == single.tracking_id.replace("#", "")
    assert AdvisoryEvent.objects.filter(advisory=single, tag="advisory:draft:created").count() == 1


@pytest.mark.parametrize("who", ["handler", "developer", "anonymous"])
def test_only_advisory_staff_write_drafts(who, author):
    user = {"handler": factories.handler, "developer": lambda: factories.member("developer", "member"),
            "anonymous": lambda: None}[who]()
    actor = Actor.for_user(user)
    with pytest.raises(ActionDenied):
        services.advisory_create(actor=actor)
    advisory = make_draft(author)
    for call in (lambda: services.advisory_update(actor=actor, advisory=advisory, fields={"title_en": "x"}),
                 lambda: services.advisory_approve(actor=actor, advisory=advisory),
                 lambda: services.advisory_publish(actor=actor, advisory=advisory)):
        with pytest.raises(ActionDenied):
            call()
    assert not AdvisoryRevision.objects.exists()
    assert Advisory.objects.get(pk=advisory.pk).title_en != "x"


@pytest.mark.parametrize(("row", "field"), [
    ({"vulnerabilities": [{"cvss_v3": "CVSS:3.1/AV:X/AC:L"}]}, "vulnerabilities.0.cvss_v3"),
    ({"vulnerabilities": [{"cvss_v4": "CVSS:4.0/AV:N"}]}, "vulnerabilities.0.cvss_v4"),
    ({"vulnerabilities": [{"cvss_v3": "AV:N/AC:L"}]}, "vulnerabilities.0.cvss_v3"),
    ({"vulnerabilities": [{"cwe": "CWE-99999999"}]}, "vulnerabilities.0.cwe"),
    ({"vulnerabilities": [{"cve": "CVE-26-1"}]}, "vulnerabilities.0.cve"),
    ({"products": [{**PRODUCTS[0], "purl": "npm/widget"}]}, "products.1.purl"),
    ({"products": [{**PRODUCTS[0], "cpe": "cpe:9.9:nonsense"}]}, "products.1.cpe"),
    ({"products": [{**PRODUCTS[0], "versions": "vers:npm/>>1.0"}]}, "products.1.versions"),
    ({"products": [{**PRODUCTS[0], "status": "maybe"}]}, "products.0.status"),
    ({"products": [{**PRODUCTS[0], "colour": "red"}]}, "products.0"),
    ({"fields": {"references": [{"url": "javascript:alert(1)"}]}}, "references.0"),
    ({"fields": {"agreed_publication_at": timezone.now().replace(tzinfo=None)}}, "agreed_publication_at"),
])
def test_bad_input_is_refused_with_its_field_and_changes_nothing(draft, author, row, field):
    before = (draft.version, list(draft.products.values()), list(draft.vulnerabilities.values()),
              AdvisoryEvent.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.advisory_update(actor=Actor.for_user(author), advisory=draft, **row)
    assert caught.value.field == field
    fresh = Advisory.objects.get(pk=draft.pk)
    assert (fresh.version, list(fresh.products.values()), list(fresh.vulnerabilities.values()),
            AdvisoryEvent.objects.count()) == before


def test_scores_are_computed_from_the_vectors(published):
    vuln = published.content["vulnerabilities"][0]
    assert (vuln["cvss_v3"]["score"], vuln["cvss_v3"]["severity"]) == ("6.1", "medium")
    assert vuln["cvss_v4"]["severity"] in {"low", "medium"}
    assert vuln["cwe_name"] == "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"
    assert published.max_score is not None


def test_publishing_early_needs_a_second_person(draft, author, approver):
    with pytest.raises(InvalidTransition):
        services.advisory_publish(actor=Actor.for_user(author), advisory=draft)
    approved_by_self = services.advisory_approve(actor=Actor.for_user(author), advisory=draft)
    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        services.advisory_publish(actor=Actor.for_user(author), advisory=approved_by_self)
    assert "someone else must publish" in str(refused.value.message)  # not "needs an approval": it has one
    approved = services.advisory_approve(actor=Actor.for_user(approver), advisory=approved_by_self)
    assert approved.approved
    edited = services.advisory_update(actor=Actor.for_user(author), advisory=approved, fields={"title_en": "Changed"})
    assert not edited.approved  # an edit lapses the approval
    with pytest.raises(InvalidTransition):  # the approval was for the previous version
        services.advisory_publish(actor=Actor.for_user(author), advisory=edited)
    assert not AdvisoryRevision.objects.exists()


def test_on_or_after_the_agreed_time_one_person_publishes(author):
    agreed = timezone.now() + timedelta(hours=1)
    advisory = make_draft(author, agreed_publication_at=agreed)
    with pytest.raises(InvalidTransition):
        services.advisory_publish(actor=Actor.for_user(author), advisory=advisory, now=agreed - timedelta(seconds=1))
    revision = services.advisory_publish(actor=Actor.for_user(author), advisory=advisory, now=agreed)
    assert revision.number == 1


def test_a_stale_version_is_refused(draft, author):
    stale = Advisory.objects.get(pk=draft.pk)
    services.advisory_update(actor=Actor.for_user(author), advisory=draft, fields={"title_en": "New"})
    with pytest.raises(ConcurrentChange):
        services.advisory_update(actor=Actor.for_user(author), advisory=stale, fields={"title_en": "Old"})


def test_incomplete_draft_is_not_published(author, approver):
    advisory = make_draft(author, impact_ja="")
    with pytest.raises(ValidationFailed, match="impact"):
        publish(advisory, author, approver)
    assert not AdvisoryRevision.objects.exists()


def test_revisions_keep_history_and_only_the_latest_is_current(published, author, approver):
    advisory = published.advisory
    with pytest.raises(InvalidTransition):  # the same version twice (a retried request)
        publish(advisory, author, approver)
    advisory = Advisory.objects.get(pk=advisory.pk)
    edited = services.advisory_update(actor=Actor.for_user(author), advisory=advisory, fields={
        "solution_ja": "バージョン 4.3 にアップデートしてください。", "revision_summary_ja": "対策方法を更新",
        "revision_summary_en": "Solution updated"})
    second = publish(edited, author, approver)
    assert [r.number for r in AdvisoryRevision.objects.filter(advisory=advisory).order_by("number")] == [1, 2]
    assert list(AdvisoryRevision.objects.filter(is_current=True).values_list("number", flat=True)) == [2]
    assert second.initial_published_at == published.published_at
    history = second.csaf_document()["document"]["tracking"]["revision_history"]
    assert [(h["number"], h["summary"]) for h in history] == [("1", "初版公開"), ("2", "対策方法を更新")]
    first = AdvisoryRevision.objects.get(pk=published.pk)
    assert first.content["texts"]["ja"]["solution"] != second.content["texts"]["ja"]["solution"]
    tags = list(AdvisoryEvent.objects.filter(advisory=advisory).values_list("tag", flat=True))
    assert tags.count("advisory:revision:published") == 2
    assert tags.count("advisory:publication:approved") == 3  # the refused retry had approved again


def test_revisions_and_events_are_append_only(published):
    published.content = {}
    with pytest.raises(ImmutableError):
        published.save()
    with pytest.raises(ImmutableError):
        published.delete()
    with pytest.raises(ImmutableError):
        AdvisoryEvent.objects.first().delete()


def test_exploitation_is_published_only_with_the_developers_agreement(author, approver):
    without = publish(make_draft(author, exploited=True), author, approver)
    agreed = publish(make_draft(author, exploited=True, exploitation_agreed=True), author, approver)
    assert without.content["exploited"] is False
    assert without.exploited is False
    assert "threats" not in without.csaf_document()["vulnerabilities"][0]
    assert agreed.content["exploited"] is True
    assert agreed.csaf_document()["vulnerabilities"][0]["threats"][0]["category"] == "exploit_status"
