"""Canary-leak scan (security.md test 2; threats 1, 2 and 3).

The world of ``tests/security/matrix.py`` plants a unique marker in every confidential thing: internal notes,
audit-trail reasons, organisation-only messages (also of an organisation the reader is not in), the finder's
name and address (with and without consent), case titles and descriptions, attachment names and contents,
status-link secrets, API token names and raw tokens. Every principal then reads every readable route; no
response body, header or cookie may carry a marker the principal is not entitled to, and no mail in the outbox
may carry one its recipient is not entitled to. Positive controls make sure the markers are found where they
belong, so a scan that sees nothing cannot pass by accident.
"""

from __future__ import annotations

import json

import pytest
from django.core import mail

from earlywarn.notify.models import OutboxMessage
from tests.security import matrix
from tests.security.conftest import FIGURES
from tests.security.matrix import API, PRINCIPAL_LIST, PRINCIPALS, ROUTES, Principal, World

pytestmark = pytest.mark.django_db

EXTRA_READS = [
    f"{API}/cases", f"{API}/cases?flow=product", f"{API}/cases?flow=website", f"{API}/cases?state=received",
    f"{API}/cases?limit=1&offset=1", "/console/?state=all", "/console/?state=all&flow=website", "/my/reports/",
    f"{API}/openapi.json", "/accounts/tokens/",
]


def _read_everything(w: World, principal: Principal) -> dict[str, str]:
    """Every GET route of the matrix on every object, plus list variants: {description: readable text}."""
    texts: dict[str, str] = {}
    for route in ROUTES:
        if route.method != "GET":
            continue
        for obj in route.objects:
            request = matrix.build_request(w, route, principal, obj)
            response = matrix.perform(w, principal, request)
            texts[f"{route} [{obj}]"] = matrix.visible_text(response, matrix.body_of(response))
    for url in EXTRA_READS:
        response = w.client(principal).get(url, headers=w.headers(principal))
        texts[url] = matrix.visible_text(response, matrix.body_of(response))
    return texts


def _must_see(w: World, principal: Principal) -> set[matrix.Marker]:
    """Markers the principal is entitled to and that some page shows it (the positive controls)."""
    viewer = matrix.viewer_of(principal)
    out = set()
    for marker in w.markers:
        if not matrix.entitled(marker, viewer, principal.user) or marker.case is None:
            continue
        role = matrix.case_role(viewer, marker.case)
        if marker.kind == "message" or (marker.kind in {"case", "identity", "attachment", "event"}
                                        and role in {"staff", "participant", "committee"}):
            out.add(marker)
    return out


@pytest.mark.parametrize("principal", PRINCIPAL_LIST, ids=str)
def test_no_marker_reaches_a_principal_not_entitled_to_it(w: World, principal: Principal):
    texts = _read_everything(w, principal)
    leaked: dict[str, list[str]] = {}
    seen: set[matrix.Marker] = set()
    for where, text in texts.items():
        FIGURES["markers_checked"] += len(w.markers)
        found = matrix.leaks(w, principal, text)
        if found:
            leaked[where] = found
        seen.update(marker for marker in w.markers if marker.text in text)
    FIGURES["leaks"] += sum(len(found) for found in leaked.values())
    assert not leaked, f"LEAK to {principal}: " + json.dumps(leaked, indent=1, ensure_ascii=False)
    missing = _must_see(w, principal) - seen
    assert not missing, (f"positive control: {principal} should read these markers somewhere but did not "
                         f"(the scan would be blind to them): {sorted(map(str, missing))}")


def test_positive_controls_cover_each_kind_of_secret(w: World):
    """The scan is only as good as its markers: each kind is planted and visible to someone entitled."""
    kinds = {marker.kind for marker in w.markers}
    assert kinds == {"case", "identity", "message", "attachment", "event", "status_token", "token_name", "raw_token",
                     "advisory_draft", "priority"}
    information = next(m for m in w.markers if m.kind == "priority")  # priority information of ``own``
    own = w.cases["own"].id
    assert information.text in w.client(PRINCIPALS["recipient"]).get(f"/priority/{own}/").content.decode()
    assert information.text in w.client(PRINCIPALS["coordinator"]).get(f"/console/cases/{own}/").content.decode()
    draft = next(m for m in w.markers if m.kind == "advisory_draft")  # an unpublished advisory's title
    preview = f"/console/advisories/{w.advisories['draft'].id}/preview/"
    assert draft.text in w.client(PRINCIPALS["coordinator"]).get(preview).content.decode()
    handler = _must_see(w, PRINCIPALS["handler"])
    assert {m.kind for m in handler} == {"case", "identity", "message", "attachment", "event"}
    dev = _must_see(w, PRINCIPALS["dev"])
    assert any(m.kind == "identity" and m.case == "other" for m in dev), "consented identity reaches developers"
    assert not any(m.kind == "identity" and m.case == "own" for m in dev)
    operator = {m for m in w.markers if matrix.entitled(m, "operator")}
    assert not any(m.kind == "identity" for m in operator), "operators never see the finder's identity"
    finder = {m for m in w.markers if matrix.entitled(m, "link:own") and m.kind == "message"}
    assert {m.extra[0] for m in finder} == {"finder"}


def _recipient(w: World, address: str) -> tuple[str | None, str | None]:
    """(viewer, account) behind a mail address: a world user, or the finder address of a case."""
    for key, user in w.users.items():
        if user.email == address.lower() and key not in matrix.FINDER_OF.values():
            return key, key
    for case_key, case in w.cases.items():
        if case.report.finder_email == address.lower():
            return f"mail:{case_key}", matrix.FINDER_OF.get(case_key)
    return None, None


def test_mail_reaches_only_entitled_recipients_and_carries_no_secret(w: World):
    handler, admin, dev = (PRINCIPALS[name] for name in ("handler", "admin", "dev"))
    own, web = w.cases["own"], w.cases["web"]
    # More mail-worthy events on top of the world's acknowledgements and staff-to-finder messages.
    assert w.client(handler).post(f"{API}/cases/{own.id}/actions/accept", data="{}", content_type="application/json",
                                  headers=w.headers(handler)).status_code == 200
    secret = "canary-mail-internal-note"
    w.markers.append(matrix.Marker(secret, "message", "own", ("internal", "")))
    try:
        for body, visibility, who in [(secret, "internal", admin), ("to the finder", "finder", admin),
                                      ("from the developer", "internal", dev)]:
            response = w.client(who).post(f"{API}/cases/{own.id}/messages", content_type="application/json",
                                          data=json.dumps({"body": body, "visibility": visibility}))
            assert response.status_code == 201, response.content
        assert w.client(handler).post(f"/console/cases/{web.id}/act/", {"action": "reject",
                                      "reason_code": "out_of_scope"}).status_code == 302
        status = w.client(PRINCIPALS["finder_link"]).post(f"/status/{w.status_tokens['own']}/", {"body": "thanks"})
        assert status.status_code == 302

        mails = list(OutboxMessage.objects.select_related("case"))
        assert len(mails) >= len(w.cases) + 2, "acknowledgements, staff-to-finder messages, status changes"
        problems = []
        for message in mails:
            viewer, account = _recipient(w, message.to)
            case_key = next(key for key, case in w.cases.items() if case.id == message.case_id)
            if matrix.case_role(viewer, case_key) is None:
                problems.append(f"{message.template} about {case_key} sent to {message.to}, who may not see it")
            text = f"{message.subject}\n{message.body_text}"
            FIGURES["markers_checked"] += len(w.markers)
            for marker in w.markers:
                if marker.text not in text:
                    continue
                if not matrix.entitled(marker, viewer, account):
                    problems.append(f"{message.template} to {message.to} carries {marker}")
                if marker.kind in {"message", "attachment", "event"}:  # mail says "log in to view", never the content
                    problems.append(f"{message.template} to {message.to} carries case content {marker}")
        for sent in mail.outbox:
            text = f"{sent.subject}\n{sent.body}"
            problems.extend(f"mail sent directly to {sent.to} carries {m}" for m in w.markers if m.text in text)
        FIGURES["leaks"] += len(problems)
        assert not problems, "\n".join(problems)
    finally:
        w.markers.pop()
