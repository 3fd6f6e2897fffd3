"""The status link through the API, and attachments: sent with a report, downloadable only by the right people."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from allauth.mfa.models import Authenticator

from earlywarn.accounts.services import token_create
from earlywarn.cases.models import Attachment, Message
from tests.factories import product_submission, submit

pytestmark = pytest.mark.django_db


def test_status_link_api_shows_status_and_takes_messages(client):
    receipt = submit("website")
    url = f"/api/v1/status/{receipt.status_token}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["status"] == "in_handling"
    assert response.json()["tracking_id"] == receipt.report.tracking_id

    posted = client.post(f"{url}/messages", data=json.dumps({"body": "追加情報"}), content_type="application/json")
    assert posted.status_code == 201
    message = Message.objects.get(case=receipt.case)
    assert message.from_finder
    assert message.visibility == "finder"
    assert [m["body"] for m in client.get(url).json()["messages"]] == ["追加情報"]

    assert client.get("/api/v1/status/not-a-real-token").status_code == 404
    empty = client.post(f"{url}/messages", data=json.dumps({"body": "  "}), content_type="application/json")
    assert empty.status_code == 422
    assert Message.objects.count() == 1


def test_attachment_round_trip_and_download_headers(client, handler):
    content = b"PoC: <script>alert(1)</script>"
    body = {"kind": "product", **product_submission(),
            "attachments": [{"name": "poc.html", "content_type": "text/html",
                             "content_base64": base64.b64encode(content).decode()}]}
    created = client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()

    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    _token, raw = token_create(user=handler, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    case_id = attachment.case_id
    listed = client.get(f"/api/v1/cases/{case_id}/attachments", **auth)
    assert [a["name"] for a in listed.json()] == ["poc.html"]
    download = client.get(f"/api/v1/cases/{case_id}/attachments/{attachment.id}", **auth)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Content-Security-Policy"] == "sandbox"

    stranger_token = token_create(user=submit("product").report.submitted_by or _user(), name="x")[1]
    denied = client.get(f"/api/v1/cases/{case_id}/attachments/{attachment.id}",
                        HTTP_AUTHORIZATION=f"Bearer {stranger_token}")
    assert denied.status_code == 404


def _user():
    from tests.factories import UserFactory

    return UserFactory()


@pytest.mark.parametrize(("accept", "judgment", "html"), [
    (True, "accepted", "Accepted on"),
    (False, "not_accepted", "Not accepted: Duplicate of an existing report"),
    (None, "pending", "Awaiting judgment"),
])
def test_the_finder_sees_the_acceptance_judgment(client, handler, accept, judgment, html):
    from earlywarn.cases.policy import Actor
    from earlywarn.cases.services import case_judge

    receipt = submit("product")
    if accept is not None:
        case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=accept, reason_code="duplicate")
    body = client.get(f"/api/v1/status/{receipt.status_token}").json()
    assert body["judgment"] == judgment
    assert body["rejection_reason"] == ("duplicate" if accept is False else None)
    assert body["status"] == ("not_accepted" if accept is False else "in_handling")
    page = client.get(f"/status/{receipt.status_token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html in page


def test_a_failed_submission_leaves_no_attachment_file_behind(settings, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from earlywarn.cases.policy import Actor
    from earlywarn.intake import services

    def broken_write(message):  # the last write of the transaction, after the file was stored
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "mail_write", broken_write)
    upload = SimpleUploadedFile("poc.txt", b"proof of concept", content_type="text/plain")
    with pytest.raises(RuntimeError):
        services.report_submit(actor=Actor.anonymous(), kind="product", submission=product_submission(),
                               language="ja", attachments=[upload])
    assert Attachment.objects.count() == 0
    files = settings.MEDIA_ROOT / "attachments"
    assert not files.exists() or list(files.iterdir()) == []


def test_my_reports_links_each_report_to_its_status_page(client):
    from tests.factories import UserFactory

    finder = UserFactory()
    client.force_login(finder)
    from earlywarn.cases.policy import Actor

    receipt = submit("website", actor=Actor.for_user(finder))
    page = client.get("/my/reports/").content.decode()
    link = f'href="/status/{receipt.status_token}/"'
    assert link in page
    assert client.get(f"/status/{receipt.status_token}/").status_code == 200


def test_a_status_link_expires_a_configured_time_after_the_case_closed(client, handler, settings):
    import time_machine
    from django.utils import timezone

    from earlywarn.cases.policy import Actor
    from earlywarn.cases.services import case_judge

    settings.EARLYWARN = {**settings.EARLYWARN, "STATUS_LINK_DAYS": 30}
    receipt = submit("product")
    url = f"/api/v1/status/{receipt.status_token}"
    case_judge(actor=Actor.for_user(handler), case=receipt.case, accept=False, reason_code="spam")  # closes it
    with time_machine.travel(timezone.now() + timezone.timedelta(days=29)):
        assert client.get(url).status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(days=31)):
        assert client.get(url).status_code == 404
        assert client.get(f"/status/{receipt.status_token}/").status_code == 404
