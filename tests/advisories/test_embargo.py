"""One person publishes an advisory only once its embargo has ended; the embargo of a case's advisory is the date
agreed in the case's coordination, not the draft's own (editable) date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from earlywarn.advisories import services
from earlywarn.advisories.models import AdvisoryRevision
from earlywarn.cases.errors import InvalidTransition, ValidationFailed
from earlywarn.cases.policy import Actor
from earlywarn.coordination.models import PublicationSchedule
from tests.advisories.conftest import PRODUCTS, TEXTS, VULNERABILITIES, make_draft, publish
from tests.coordination.helpers import coordinating_case

pytestmark = pytest.mark.django_db


def _case_draft(author, case, **fields):
    advisory = services.advisory_create(actor=Actor.for_user(author), case=case, fields={**TEXTS, **fields})
    return services.advisory_update(actor=Actor.for_user(author), advisory=advisory,
                                    vulnerabilities=[dict(v) for v in VULNERABILITIES],
                                    products=[dict(p) for p in PRODUCTS])


@pytest.fixture
def case_draft(handler, author):
    case, _first, _second = coordinating_case(handler, author)
    agreed = timezone.now() + timedelta(days=30)
    PublicationSchedule.objects.create(case=case, proposed_at=agreed, agreed_at=agreed, agreed_on=timezone.now())
    return _case_draft(author, case, agreed_publication_at=agreed), agreed


def test_the_draft_date_of_a_case_advisory_does_not_end_its_embargo(case_draft, author):
    advisory, agreed = case_draft
    soon = timezone.now() + timedelta(hours=1)
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=advisory,
                                        fields={"agreed_publication_at": soon})
    with pytest.raises(InvalidTransition):
        services.advisory_publish(actor=Actor.for_user(author), advisory=advisory, now=soon + timedelta(minutes=1))
    assert not AdvisoryRevision.objects.exists()
    assert Client().get(f"/advisories/{advisory.slug}/").status_code == 404
    revision = services.advisory_publish(actor=Actor.for_user(author), advisory=advisory, now=agreed)
    assert revision.number == 1  # on the case's agreed date one person publishes


def test_a_case_advisory_without_an_agreed_date_needs_a_second_person(handler, author, approver):
    case, _first, _second = coordinating_case(handler, author)
    advisory = _case_draft(author, case, agreed_publication_at=timezone.now() + timedelta(minutes=5))
    with pytest.raises(InvalidTransition):
        services.advisory_publish(actor=Actor.for_user(author), advisory=advisory,
                                  now=timezone.now() + timedelta(days=1))
    assert publish(advisory, author, approver).number == 1


def test_a_date_in_the_past_is_refused_and_an_unchanged_one_kept(author):
    advisory = make_draft(author)
    for past in (timezone.now() - timedelta(days=365 * 6), timezone.now() - timedelta(seconds=1)):
        with pytest.raises(ValidationFailed) as refused:
            services.advisory_update(actor=Actor.for_user(author), advisory=advisory,
                                     fields={"agreed_publication_at": past})
        assert refused.value.field == "agreed_publication_at"
    advisory.refresh_from_db()
    assert advisory.agreed_publication_at is None
    soon = (timezone.now() + timedelta(minutes=2)).replace(second=30)
    advisory = services.advisory_update(actor=Actor.for_user(author), advisory=advisory,
                                        fields={"agreed_publication_at": soon})
    later = services.advisory_update(actor=Actor.for_user(author), advisory=advisory, fields={
        "agreed_publication_at": soon.replace(second=0), "title_en": "Edited after the date"})  # as a form sends it
    assert later.title_en == "Edited after the date"


def test_the_preview_says_when_the_embargo_ends_and_that_now_is_early(case_draft, author, approver):
    from django.utils import timezone as tz

    from tests.advisories.conftest import client_for

    advisory, agreed = case_draft
    url = f"/console/advisories/{advisory.id}/preview/"
    page = client_for(author).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Agreed publication date-time in the case's coordination" in page
    assert tz.localtime(agreed).strftime("%Y-%m-%d %H:%M") in page
    assert "Publishing now is early" in page
    assert 'value="publish"' in page
    publish(advisory, author, approver)  # early, with a second person's approval
    page = client_for(author).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This version is published." in page
    assert f'href="/advisories/{advisory.slug}/"' in page
    assert 'value="publish"' not in page
    assert 'value="approve"' not in page


def test_the_preview_links_only_the_formats_the_advisory_will_have(author):
    from tests.advisories.conftest import client_for

    with_package = make_draft(author)  # conftest's products have a purl and developer statements
    page = client_for(author).get(f"/console/advisories/{with_package.id}/preview/").content.decode()
    assert 'href="?format=osv"' in page
    assert 'href="?format=vex"' in page
    plain = services.advisory_update(actor=Actor.for_user(author), advisory=with_package, products=[
        {"developer_name_ja": "開発者", "product_name_ja": "製品", "versions": "1.0"}])
    page = client_for(author).get(f"/console/advisories/{plain.id}/preview/").content.decode()
    assert 'href="?format=osv"' not in page  # no package ecosystem: no OSV record
    assert 'href="?format=vex"' not in page  # no per-product status from a developer: no VEX document
    assert 'href="?format=csaf"' in page
