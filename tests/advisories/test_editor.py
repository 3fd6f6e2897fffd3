"""The advisory editor (docs/advisories.md "Editor"): list, new (blank or from a product case), edit; every save
through advisory_update; bad input answers 422 in the user's language and saves nothing; non-staff get 404."""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from earlywarn.accounts.models import OrganisationKind
from earlywarn.advisories import services
from earlywarn.advisories.models import Advisory, AdvisoryEvent
from earlywarn.cases.policy import Actor
from earlywarn.coordination.models import ProductStatement
from tests import factories
from tests.advisories.conftest import client_for, with_mfa
from tests.advisories.editor_data import post_data

pytestmark = pytest.mark.django_db


def _edit_url(advisory: Advisory) -> str:
    return reverse("advisories:editor_edit", kwargs={"advisory_id": advisory.id})


def _state(advisory: Advisory) -> tuple[object, ...]:
    advisory.refresh_from_db()
    return (advisory.version, AdvisoryEvent.objects.filter(advisory=advisory).count(),
            list(advisory.vulnerabilities.values_list("cve", "cwe", "cvss_v3", "cvss_v4")),
            list(advisory.products.values_list("product_name_ja", "purl", "versions")), advisory.title_ja)


def test_list_shows_drafts_and_published_advisories(author, draft, published):
    other = services.advisory_create(actor=Actor.for_user(author))
    page = client_for(author).get(reverse("advisories:editor_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert other.tracking_id in html
    assert published.tracking_id in html
    assert _edit_url(other) in html
    assert reverse("advisories:preview", kwargs={"advisory_id": other.id}) in html


def test_edit_page_shows_texts_side_by_side_scores_and_missing_translation_marker(author, draft):
    services.advisory_update(actor=Actor.for_user(author), advisory=draft, fields={"impact_en": ""})
    html = client_for(author).get(_edit_url(draft)).content.decode()
    assert 'id="missing-impact-en"' in html
    assert 'id="missing-impact-ja"' not in html
    assert 'id="missing-title-en"' not in html
    assert 'name="title_ja"' in html
    assert 'name="title_en"' in html
    assert "CVSS 3.1: 6.1 (medium)" in html  # computed from the saved vector
    assert 'id="two-person-rule"' in html


def test_saving_unchanged_page_bumps_version_once_and_voids_the_approval(author, approver, draft):
    draft = services.advisory_approve(actor=Actor.for_user(approver), advisory=draft)
    before = _state(draft)
    response = client_for(author).post(_edit_url(draft), post_data(draft), follow=True)
    assert response.status_code == 200
    after = _state(draft)
    assert after[0] == before[0] + 1
    assert after[1] == before[1] + 1  # one event
    assert after[2:] == before[2:]  # rows kept as they were
    assert draft.approved_version is None
    assert draft.events.last().tag == "advisory:draft:edited"
    assert draft.references == [{"url": "https://example.test/security/2026-01", "summary": "Vendor advisory"}]
    assert f"{before[0]}" in response.content.decode()  # "the approval of version N no longer applies"


def test_edit_saves_texts_rows_and_flags(author, draft):
    data = post_data(draft, title_en="New English title", **{
        "vuln-1-cve": "CVE-2026-99999", "vuln-1-cwe": "cwe-89",
        "vuln-1-cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "prod-0-DELETE": "on", "exploited": "on", "exploitation_agreed": "on",
        "agreed_publication_at": "2026-12-01T10:00", "ssvc_decision": "Act"})
    response = client_for(author).post(_edit_url(draft), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title_en == "New English title"
    assert list(draft.vulnerabilities.values_list("cve", "cwe")) == [("CVE-2026-12345", "CWE-79"),
                                                                     ("CVE-2026-99999", "CWE-89")]
    assert draft.products.count() == 2
    assert draft.exploitation_shown
    assert draft.ssvc == {"decision": "Act", "vector": ""}
    assert draft.agreed_publication_at.isoformat() == "2026-12-01T01:00:00+00:00"  # Asia/Tokyo
    html = client_for(author).get(_edit_url(draft)).content.decode()
    assert "CVSS 3.1: 9.8 (critical)" in html


@pytest.mark.parametrize(("field", "value", "message"), [
    ("vuln-0-cvss_v3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L", "この CVSS ベクトルは正しくありません"),
    ("vuln-0-cvss_v4", "CVSS:4.0/AV:X", "この CVSS ベクトルは正しくありません"),
    ("vuln-0-cve", "CVE-26-1", "CVE 番号は CVE-2026-12345 の形式で入力してください。"),
    ("prod-1-purl", "npm/widgetlib", "この package URL（purl）は正しくありません"),
])
def test_bad_input_is_refused_with_422_in_japanese_and_nothing_saved(author, draft, field, value, message):
    before = _state(draft)
    response = client_for(author).post(_edit_url(draft), post_data(draft, title_ja="変更", **{field: value}),
                                       headers={"accept-language": "ja"})
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'class="errorlist"' in html
    assert 'value="変更"' in html  # the page keeps what was typed
    assert _state(draft) == before
    # The problem is also listed at the top of this long page, linked to its field.
    summary = html[html.index('id="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert "修正が必要な箇所が 1 か所あります" in summary
    assert f'<a href="#id_{field}">' in summary
    assert message in summary
    assert html.index('id="error-summary"') < html.index(f'id="id_{field}"')


def test_bad_input_english_message_for_english_user(author, draft):
    client = client_for(author)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(_edit_url(draft), post_data(draft, **{"vuln-0-cve": "CVE-1"}))
    assert response.status_code == 422
    assert "A CVE ID looks like CVE-2026-12345." in response.content.decode()
    assert "There is 1 problem to correct" in response.content.decode()


def test_a_stale_version_is_refused_and_saves_nothing(author, draft):
    data = post_data(draft, title_ja="古い版から")
    services.advisory_update(actor=Actor.for_user(author), advisory=draft, fields={"title_en": "meanwhile"})
    before = _state(draft)
    response = client_for(author).post(_edit_url(draft), data)
    assert response.status_code == 409
    assert _state(draft) == before


def test_new_blank_advisory(author):
    response = client_for(author).post(reverse("advisories:editor_new"), {"kind": "multi"})
    assert response.status_code == 302
    advisory = Advisory.objects.get()
    assert response["Location"] == _edit_url(advisory)
    assert advisory.tracking_id.startswith("EWVU#")
    assert advisory.events.get().tag == "advisory:draft:created"


def test_new_advisory_from_a_product_case_takes_the_developers_statements(author):
    case = factories.submit("product").case
    first = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER, name="株式会社エー", name_en="A Corp")
    second = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER, name="ビー合同会社", name_en="B LLC")
    ProductStatement.objects.create(case=case, organisation=first, product="製品A", version="1.0",
                                    status="fixed", statement="修正版を公開しました。")
    ProductStatement.objects.create(case=case, organisation=second, product="製品B", version="2.0",
                                    status="affected")
    client = client_for(author)
    form = client.get(reverse("advisories:editor_new"), {"case": str(case.id)})
    assert case.tracking_id in form.content.decode()
    response = client.post(reverse("advisories:editor_new"), {"kind": "multi", "case": case.tracking_id})
    assert response.status_code == 302
    advisory = Advisory.objects.get(case=case)
    rows = list(advisory.products.values_list("developer_id", "developer_name_en", "product_name_ja", "status",
                                              "statement_ja"))
    assert sorted(rows, key=lambda row: row[2]) == [(first.id, "A Corp", "製品A", "fixed", "修正版を公開しました。"),
                                                    (second.id, "B LLC", "製品B", "affected", "")]
    again = client.post(reverse("advisories:editor_new"), {"kind": "multi", "case": case.tracking_id})
    assert again.status_code == 422
    assert Advisory.objects.count() == 1


def test_new_from_an_unknown_case_is_refused(author):
    response = client_for(author).post(reverse("advisories:editor_new"), {"kind": "single", "case": "NOPE-1"})
    assert response.status_code == 422
    assert not Advisory.objects.exists()


@pytest.mark.parametrize("role", ["handler", "developer", "anonymous"])
def test_non_advisory_staff_get_404_on_every_editor_url(draft, role):
    user = {"handler": lambda: with_mfa(factories.handler()),
            "developer": lambda: factories.member(OrganisationKind.DEVELOPER, "member"),
            "anonymous": lambda: None}[role]()
    client = client_for(user)
    before = _state(draft)
    requests = [("get", reverse("advisories:editor_list"), None),
                ("get", reverse("advisories:editor_new"), None),
                ("post", reverse("advisories:editor_new"), {"kind": "single"}),
                ("get", _edit_url(draft), None),
                ("post", _edit_url(draft), post_data(draft, title_ja="x")),
                ("get", reverse("advisories:editor_edit", kwargs={"advisory_id": uuid.uuid4()}), None)]
    for method, url, data in requests:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        expected = 302 if user is None else 404
        assert response.status_code == expected, (method, url)
        if user is None:
            assert response["Location"].startswith("/accounts/login/")
    assert _state(draft) == before
    assert Advisory.objects.count() == 1


@pytest.mark.parametrize("prefix", ["vuln", "prod"])
def test_a_negative_row_count_deletes_nothing(author, draft, prefix):
    before = _state(draft)
    response = client_for(author).post(_edit_url(draft), post_data(draft, **{f"{prefix}-TOTAL_FORMS": "-5"}))
    assert response.status_code == 422
    assert _state(draft) == before


def test_the_error_summary_numbers_formset_rows_and_skips_rows_being_deleted(author, draft):
    data = post_data(draft, **{"vuln-0-cve": "CVE-1"})
    response = client_for(author).post(_edit_url(draft), data, headers={"accept-language": "ja"})
    html = response.content.decode()
    summary = html[html.index('id="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert re.search(r"CVE[^<]* \(1\): ", summary), summary  # the row's number after the label
    # The same bad row, ticked for deletion, beside a real problem in the second product row.
    deleting = post_data(draft, **{"vuln-0-cve": "CVE-1", "vuln-0-DELETE": "on", "prod-1-purl": "npm/widgetlib"})
    response = client_for(author).post(_edit_url(draft), deleting, headers={"accept-language": "ja"})
    assert response.status_code == 422
    html = response.content.decode()
    summary = html[html.index('id="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert "修正が必要な箇所が 1 か所あります" in summary
    assert "(2): この package URL（purl）は正しくありません" in summary
    assert "CVE-2026-12345" not in summary
