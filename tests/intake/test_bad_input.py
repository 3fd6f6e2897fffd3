"""Bad input to intake: a 4xx with field-level messages in the caller's language, nothing saved, never a 500.

Covers ``POST /api/v1/reports``, the public pages ``/report/product/`` and ``/report/website/``, the finder's
status link (page and API) and ``POST /api/v1/cases/{id}/actions/{action}``. Every refusal is checked against a
snapshot of the tables and files a submission writes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import conditional_escape
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from earlywarn.accounts.services import token_create
from earlywarn.cases.models import Attachment, Case, CaseEvent, Message, Vulnerability
from earlywarn.intake.api import REPORT_BODY_SCHEMA
from earlywarn.intake.forms import FORMS
from earlywarn.intake.models import Report
from earlywarn.notify.models import OutboxMessage
from tests.factories import product_submission, submit, website_submission

pytestmark = pytest.mark.django_db

API = "/api/v1/reports"
PAGES = {"product": "/report/product/", "website": "/report/website/"}
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
DROP = object()  # an override that removes the field
KINDS = ("product", "website")
# Required fields come from the forms themselves, so a new required field is covered without editing this file.
REQUIRED = {kind: [name for name, field in FORMS[kind].base_fields.items() if field.required] for kind in KINDS}
SAVED_BY_A_SUBMISSION = (Report, Case, CaseEvent, OutboxMessage, Attachment, Vulnerability, Message, DBTaskResult)


# --- helpers ------------------------------------------------------------------------------------------------


def submission(kind: str, /, **overrides: Any) -> dict[str, Any]:
    data = product_submission() if kind == "product" else website_submission()
    for name, value in overrides.items():
        if value is DROP:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def api_body(kind: str, /, **overrides: Any) -> dict[str, Any]:
    body = {"kind": kind, **submission(kind)}
    for name, value in overrides.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def post_api(client: Client, body: Any, **extra: Any) -> Any:
    return client.post(API, data=json.dumps(body), content_type="application/json", **extra)


def post_raw(client: Client, raw: bytes, content_type: str = "application/json", **extra: Any) -> Any:
    # CONTENT_TYPE explicitly: the test client leaves it out of a request with an empty body.
    return client.generic("POST", API, data=raw, content_type=content_type, CONTENT_TYPE=content_type, **extra)


def page_data(kind: str, /, **overrides: Any) -> dict[str, Any]:
    """The submission as a browser posts it: checkboxes are "on" or absent."""
    out: dict[str, Any] = {}
    for name, value in submission(kind, **overrides).items():
        if value is True:
            out[name] = "on"
        elif value is not False:
            out[name] = value
    return out


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def assert_envelope(response: Any, status: int | set[int], *fields: str) -> dict[str, Any]:
    """The API's error envelope, with a message for each of ``fields`` (a field or a prefix ``name.``)."""
    statuses = {status} if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    for field in fields:
        matching = [name for name in error["fields"] if name == field or name.startswith(f"{field}.")]
        assert matching, (field, error["fields"])
        for name in matching:
            assert error["fields"][name]
            assert all(isinstance(m, str) and m for m in error["fields"][name])
    return error


def assert_form_error(response: Any, field: str) -> list[str]:
    """The page came back (200, not a redirect) with ``field``'s error shown next to the form."""
    assert response.status_code == 200, (response.status_code, response.content[:300])
    form = response.context["form"]
    assert field in form.errors, (field, form.errors)
    messages = [str(m) for m in form.errors[field]]
    content = response.content.decode()
    for message in messages:
        assert str(conditional_escape(message)) in content
    return messages


def _snapshot(media_root: Path) -> tuple[dict[str, int], list[str]]:
    counts = {model.__name__: model.objects.count() for model in SAVED_BY_A_SUBMISSION}
    root = Path(media_root)
    files = sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return counts, files


@pytest.fixture
def nothing_saved(settings) -> Callable[[], None]:
    """Call it after a refused request: no row and no file was added since the test started."""
    before = _snapshot(settings.MEDIA_ROOT)

    def check() -> None:
        assert _snapshot(settings.MEDIA_ROOT) == before

    return check


# --- required fields ----------------------------------------------------------------------------------------

MISSING = [("product", "kind")] + [(kind, name) for kind in KINDS for name in REQUIRED[kind]]


@pytest.mark.parametrize(("kind", "field"), MISSING)
@pytest.mark.parametrize("how", ["absent", "empty", "blank"])
def test_api_refuses_a_missing_required_field(client, nothing_saved, kind, field, how):
    value = {"absent": DROP, "empty": "", "blank": "   "}[how]
    response = post_api(client, api_body(kind, **{field: value}))
    error = assert_envelope(response, 422, field)
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {field}
    nothing_saved()


@pytest.mark.parametrize(("kind", "field"), [pair for pair in MISSING if pair[1] != "kind"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_page_refuses_a_missing_required_field(client, nothing_saved, kind, field, how):
    response = client.post(PAGES[kind], data=page_data(kind, **{field: DROP if how == "absent" else ""}))
    assert_form_error(response, field)
    assert set(response.context["form"].errors) == {field}
    nothing_saved()


@pytest.mark.parametrize("kind", KINDS)
def test_the_published_schema_requires_what_the_form_requires(kind):
    schema = REPORT_BODY_SCHEMA
    then = next(rule["then"] for rule in schema["allOf"] if rule["if"]["properties"]["kind"]["const"] == kind)
    assert {*schema["required"], *then["required"]} == {"kind", *REQUIRED[kind]}
    assert schema["additionalProperties"] is False


def test_api_lists_every_problem_at_once(client, nothing_saved):
    body = api_body("website", title=DROP, url="javascript:alert(1)", vendor_informed="yes", threat="x", extra=1)
    error = assert_envelope(post_api(client, body), 422, "title", "url", "vendor_informed", "threat", "extra")
    assert len(error["fields"]) == 5
    nothing_saved()


# --- wrong types, unknown fields --------------------------------------------------------------------------

WRONG_TYPES = [
    ("kind", 1), ("kind", ["product"]), ("kind", {"product": True}), ("kind", None), ("kind", True),
    ("title", 123), ("title", 1.5), ("title", ["Stored XSS"]), ("title", {"en": "Stored XSS"}), ("title", None),
    ("title", True), ("description", None), ("description", 0), ("reproduction", ["1.", "2."]),
    ("impact", None), ("impact", 3), ("exploitation", None), ("exploitation", 1), ("exploitation", ["yes"]),
    ("credit", None), ("credit", {}), ("finder_name", 42), ("finder_email", ["finder@example.test"]),
    ("finder_email", None), ("finder_organisation", {}), ("credit_name", 7), ("product_name", None),
    ("vendor_name", 1e300), ("product_version", 4.2), ("cwe", 79), ("cwe", None), ("origin", 1),
    ("origin", None), ("origin", ["finder"]),
    # strings (and other things) for booleans
    ("vendor_informed", "true"), ("vendor_informed", "false"), ("vendor_informed", "on"), ("vendor_informed", 1),
    ("vendor_informed", 0), ("vendor_informed", None), ("consent_share_identity", "yes"),
    ("consent_share_identity", []), ("self_report", "1"), ("self_report", {}),
    ("attachments", "poc.txt"), ("attachments", {"name": "poc.txt", "content_base64": "QQ=="}),
    ("attachments", 0), ("attachments", None), ("attachments", True),
]


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES, ids=[f"{f}={v!r}"[:40] for f, v in WRONG_TYPES])
def test_api_refuses_wrong_types(client, nothing_saved, field, value):
    error = assert_envelope(post_api(client, api_body("product", **{field: value})), 422, field)
    assert error["code"] == "validation_failed"
    nothing_saved()


WEBSITE_WRONG_TYPES = [("url", 1), ("url", ["https://example.test/"]), ("url", None), ("website_type", 3),
                       ("website_type", ["xss"]), ("threat", None), ("threat", {"code": "data_tampering"})]


@pytest.mark.parametrize(("field", "value"), WEBSITE_WRONG_TYPES)
def test_api_refuses_wrong_types_of_website_fields(client, nothing_saved, field, value):
    assert_envelope(post_api(client, api_body("website", **{field: value})), 422, field)
    nothing_saved()


@pytest.mark.parametrize("extra", [
    {"unexpected": 1}, {"Title": "x"}, {"status": "closed"}, {"tracking_id": "EW-2026-0000-0000"},
    {"state": "published"}, {"submitted_by": 1}, {"": ""}, {"title ": "x"}, {"__proto__": {}},
])
def test_api_refuses_unknown_fields(client, nothing_saved, extra):
    name = next(iter(extra))
    error = assert_envelope(post_api(client, {**api_body("product"), **extra}), 422, name)
    assert name in error["fields"][name][0]
    nothing_saved()


# --- invalid values -----------------------------------------------------------------------------------------

INVALID_VALUES = [
    ("product", "kind", "vulnerability"), ("product", "kind", "PRODUCT"), ("product", "kind", "web site"),
    ("product", "exploitation", "maybe"), ("product", "exploitation", "YES"), ("product", "credit", "anonymous"),
    ("product", "origin", "vendor"), ("product", "origin", "Finder"),
    ("website", "website_type", "rce"), ("website", "website_type", "XSS"), ("website", "threat", "none"),
    ("website", "threat", "data tampering"),
    ("product", "cwe", "79"), ("product", "cwe", "CWE-0"), ("product", "cwe", "CWE-123456"),
    ("product", "cwe", "CWE-79x"), ("product", "cwe", "CVE-2024-0001"), ("product", "cwe", "CWE-\u0667\u0669"),
    ("product", "cwe", "CWE-07"), ("product", "cwe", "CWE--79"), ("product", "cwe", "x" * 17),
    ("website", "url", "javascript:alert(1)"), ("website", "url", "JAVASCRIPT:alert(1)"),
    ("website", "url", "data:text/html,<script>alert(1)</script>"), ("website", "url", "ftp://ftp.example.test/x"),
    ("website", "url", "ftps://ftp.example.test/x"), ("website", "url", "file:///etc/passwd"),
    ("website", "url", "http://"), ("website", "url", "https://exa mple.test/"), ("website", "url", "http://[::1"),
    ("website", "url", "https://example.test/" + "a" * 2000), ("website", "url", "vbscript:msgbox(1)"),
    ("product", "title", "x" * 201), ("product", "title", "\x00"), ("product", "title", "Stored\x00XSS"),
    ("product", "product_name", "x" * 201), ("product", "description", "x" * 20_001),
    ("product", "finder_email", "not-an-email"), ("product", "finder_email", "finder@"),
    ("product", "finder_name", "x" * 201),
]


@pytest.mark.parametrize(("kind", "field", "value"), INVALID_VALUES,
                         ids=[f"{k}-{f}={v!r}"[:60] for k, f, v in INVALID_VALUES])
def test_api_refuses_invalid_values(client, nothing_saved, kind, field, value):
    error = assert_envelope(post_api(client, api_body(kind, **{field: value})), 422, field)
    assert set(error["fields"]) <= {field, "credit_name"}  # credit by name also misses a refused finder_name
    nothing_saved()


@pytest.mark.parametrize(("kind", "field", "value"), [v for v in INVALID_VALUES if v[1] not in {"kind", "origin"}],
                         ids=[f"{k}-{f}={v!r}"[:60] for k, f, v in INVALID_VALUES if f not in {"kind", "origin"}])
def test_page_refuses_invalid_values(client, nothing_saved, kind, field, value):
    assert_form_error(client.post(PAGES[kind], data=page_data(kind, **{field: value})), field)
    nothing_saved()


@pytest.mark.parametrize("text", ["\ud800", "title \udfff", "\udc00\udbff"])
def test_api_refuses_unpaired_surrogates(client, nothing_saved, text):
    """Escaped lone surrogates are valid JSON but cannot be stored or encoded as UTF-8."""
    for field in ("title", "finder_name", "unknown \ud800"):
        response = post_api(client, api_body("product", **{field: text}))
        assert_envelope(response, 422)
        if field != "unknown \ud800":
            assert field in response.json()["error"]["fields"]
    nothing_saved()


@pytest.mark.parametrize("kind", KINDS)
def test_credit_by_name_needs_a_name(client, nothing_saved, kind):
    overrides = {"credit": "handle", "credit_name": "", "finder_name": ""}
    assert_envelope(post_api(client, api_body(kind, **overrides)), 422, "credit_name")
    assert_form_error(client.post(PAGES[kind], data=page_data(kind, **overrides)), "credit_name")
    nothing_saved()


@pytest.mark.parametrize("key", ["k" * 129, "k" * 15, "1", "k" * 20 + "\x07"])
def test_an_overlong_guessable_or_unprintable_idempotency_key_is_refused(client, nothing_saved, key):
    response = post_api(client, api_body("product"), HTTP_IDEMPOTENCY_KEY=key)
    assert_envelope(response, 422, "Idempotency-Key")
    nothing_saved()


# --- bodies that are not a JSON object -------------------------------------------------------------------

MALFORMED = {
    "truncated": b'{"kind": "product", "title": ',
    "trailing comma": b'{"kind": "product",}',
    "single quotes": b"{'kind': 'product'}",
    "two objects": b'{"kind": "product"}{"kind": "product"}',
    "comment": b'{"kind": "product" /* x */}',
    "bare word": b"product",
    "empty": b"",
    "whitespace": b"   \n",
    "nul": b"\x00",
    "deeply nested": b"[" * 100_000,
    "deeply nested object": b'{"a":' * 50_000,
    "huge integer": b'{"kind": "product", "title": ' + b"1" * 5000 + b"}",
    "array": b"[]",
    "array of object": json.dumps([api_body("product")]).encode(),
    "string": b'"kind"',
    "number": b"1",
    "null": b"null",
    "true": b"true",
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_api_refuses_what_is_not_a_json_object(client, nothing_saved, raw):
    error = assert_envelope(post_raw(client, raw), {400, 422})
    assert error["code"] == "malformed_json"
    nothing_saved()


NOT_UTF8 = {
    "invalid byte": b'{"kind": "product", "title": "\xff"}',
    "latin-1": json.dumps(api_body("product", title="café", finder_name="Zoë"), ensure_ascii=False).encode("latin-1"),
    "shift_jis": json.dumps(api_body("product", title="脆弱性"), ensure_ascii=False).encode("shift_jis"),
    "utf-16": json.dumps(api_body("product")).encode("utf-16"),
    "encoded surrogate": '{"kind": "product", "title": "\ud800"}'.encode("utf-8", "surrogatepass"),
    "truncated sequence": b'{"kind": "product", "title": "\xe3\x81"}',
    "overlong encoding": b'{"kind": "product", "title": "\xc0\xaf"}',
}


@pytest.mark.parametrize("raw", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_api_refuses_bytes_that_are_not_utf8(client, nothing_saved, raw):
    error = assert_envelope(post_raw(client, raw), {400, 422})
    assert error["code"] == "bad_encoding"
    nothing_saved()


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "application/xml", "text/json", "application/jsonp",
    "application/json; charset=latin-1", "application/json; charset=shift_jis", "",
])
def test_api_refuses_a_body_that_is_not_declared_json(client, nothing_saved, content_type):
    raw = json.dumps(api_body("product")).encode()
    error = assert_envelope(post_raw(client, raw, content_type=content_type), 415)
    assert error["code"] == "unsupported_media_type"
    nothing_saved()


def test_api_refuses_a_multipart_form(client, nothing_saved):
    assert_envelope(client.post(API, data={"kind": "product", **page_data("product")}), 415)
    nothing_saved()


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON", "application/json; charset=utf-8",
                                          "application/json; charset=UTF-8"])
def test_api_accepts_json_content_types(client, content_type):
    response = post_raw(client, json.dumps(api_body("product")).encode(), content_type=content_type)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("body", "content_type"), [
    (b"", "application/x-www-form-urlencoded"),
    (json.dumps(page_data("product")).encode(), "application/json"),
    (b"title=x&title=y", "text/plain"),
    (b"--nope\r\nContent-Disposition: form-data; name=title\r\n\r\nx", "multipart/form-data; boundary=nope"),
    (b"x", "multipart/form-data"),  # no boundary
    (b"\xff\xfe", "application/octet-stream"),
], ids=["empty", "json", "text", "truncated multipart", "multipart without boundary", "binary"])
def test_page_refuses_a_body_that_is_not_a_form(client, nothing_saved, body, content_type):
    response = client.generic("POST", PAGES["product"], data=body, content_type=content_type,
                              CONTENT_TYPE=content_type)
    if response.status_code == 200:  # the form again, with the missing fields marked
        assert {"product_name", "vendor_name", "description"} <= set(response.context["form"].errors)
    else:
        assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    nothing_saved()


def test_page_with_non_utf8_bytes_never_half_saves(client):
    """Browsers send the page's form as UTF-8; other bytes are read as U+FFFD, the report is whole or absent."""
    from urllib.parse import urlencode

    raw = urlencode(page_data("product", impact="x")).encode() + b"&finder_organisation=%FF%FE&title=%C0%AF"
    response = client.post(PAGES["product"], data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.submission["finder_organisation"] == "\ufffd\ufffd"
    assert (Case.objects.count(), CaseEvent.objects.count(), OutboxMessage.objects.count()) == (1, 1, 1)


# --- sizes --------------------------------------------------------------------------------------------------


@pytest.fixture
def small_requests(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.EARLYWARN_MAX_REQUEST_BYTES = 4000
    return settings


def test_api_refuses_an_oversized_body(client, nothing_saved, small_requests):
    within = api_body("product", description="x" * 2000)
    assert len(json.dumps(within)) < 4000
    assert post_api(client, within).status_code == 201  # the limit is what refuses the next one
    before = _snapshot(small_requests.MEDIA_ROOT)

    response = post_api(client, api_body("product", description="x" * 5000))
    error = assert_envelope(response, 413)
    assert error["code"] == "too_large"
    assert _snapshot(small_requests.MEDIA_ROOT) == before


def test_api_refuses_an_oversized_body_of_attachments(client, nothing_saved, small_requests):
    body = api_body("product", attachments=[{"name": "poc.bin", "content_base64": b64(b"\0" * 4000)}])
    assert_envelope(post_api(client, body), 413)
    nothing_saved()


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "urlencoded"])
def test_page_refuses_an_oversized_body(client, nothing_saved, small_requests, multipart):
    from urllib.parse import urlencode

    data = page_data("product", description="x" * 5000)
    if multipart:
        response = client.post(PAGES["product"], data=data)
    else:
        response = client.post(PAGES["product"], data=urlencode(data),
                               content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "<html" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response
    nothing_saved()


def test_page_too_large_message_is_in_the_callers_language(client, small_requests):
    data = page_data("website", description="x" * 5000)
    ja = client.post(PAGES["website"], data=data, HTTP_ACCEPT_LANGUAGE="ja")
    en = client.post(PAGES["website"], data=data, HTTP_ACCEPT_LANGUAGE="en")
    assert ja.status_code == en.status_code == 413
    heading = re.compile(r"<h1>(.*?)</h1>", re.S)
    ja_match, en_match = heading.search(ja.content.decode()), heading.search(en.content.decode())
    assert ja_match is not None
    assert en_match is not None
    _assert_translated(ja_match.group(1), en_match.group(1))


def test_page_refuses_a_body_larger_than_every_allowed_attachment(client, small_requests):
    settings = small_requests
    settings.EARLYWARN_MAX_ATTACHMENT_BYTES = 1000
    settings.EARLYWARN_MAX_ATTACHMENTS = 2
    files = [SimpleUploadedFile(f"poc{i}.bin", b"\0" * 1000) for i in range(2)]
    big = SimpleUploadedFile("huge.bin", b"\0" * 20_000)
    assert client.post(PAGES["product"], data={**page_data("product"), "attachments": files}).status_code == 302
    before = _snapshot(settings.MEDIA_ROOT)
    response = client.post(PAGES["product"], data={**page_data("product"), "attachments": [big]})
    assert response.status_code == 413
    assert _snapshot(settings.MEDIA_ROOT) == before


def test_status_message_api_refuses_an_oversized_body(client, small_requests):
    receipt = submit("website")
    response = client.post(f"/api/v1/status/{receipt.status_token}/messages",
                           data=json.dumps({"body": "x" * 5000}), content_type="application/json")
    assert_envelope(response, 413)
    assert Message.objects.count() == 0


@pytest.fixture
def small_attachments(settings):
    settings.EARLYWARN_MAX_ATTACHMENT_BYTES = 100
    settings.EARLYWARN_MAX_ATTACHMENTS = 2
    return settings


def test_api_attachment_limits(client, small_attachments):
    at_limit = [{"name": f"poc{i}.bin", "content_base64": b64(b"a" * 100)} for i in range(2)]
    assert post_api(client, api_body("product", attachments=at_limit)).status_code == 201
    before = _snapshot(small_attachments.MEDIA_ROOT)

    too_big = [{"name": "poc.bin", "content_base64": b64(b"a" * 101)}]
    error = assert_envelope(post_api(client, api_body("product", attachments=too_big)), 422, "attachments")
    assert "poc.bin" in error["fields"]["attachments"][0]
    too_many = [{"name": f"poc{i}.bin", "content_base64": b64(b"a")} for i in range(3)]
    assert_envelope(post_api(client, api_body("product", attachments=too_many)), 422, "attachments")
    assert _snapshot(small_attachments.MEDIA_ROOT) == before


def test_page_attachment_limits(client, small_attachments):
    def files(*sizes: int) -> list[SimpleUploadedFile]:
        return [SimpleUploadedFile(f"poc{i}.bin", b"a" * size) for i, size in enumerate(sizes)]

    ok = client.post(PAGES["product"], data={**page_data("product"), "attachments": files(100, 100)})
    assert ok.status_code == 302
    before = _snapshot(small_attachments.MEDIA_ROOT)

    for sizes in [(101,), (1, 1, 1), (100, 101)]:
        response = client.post(PAGES["website"], data={**page_data("website"), "attachments": files(*sizes)})
        assert_form_error(response, "attachments")
    assert _snapshot(small_attachments.MEDIA_ROOT) == before


BAD_ATTACHMENTS = {
    "not base64": {"name": "poc.txt", "content_base64": "not base64!"},
    "bad padding": {"name": "poc.txt", "content_base64": "QQ="},
    "newline": {"name": "poc.txt", "content_base64": "QUJD\nREVG"},
    "non-ascii": {"name": "poc.txt", "content_base64": "é"},
    "surrogate": {"name": "poc.txt", "content_base64": "\ud800"},
    "no content": {"name": "poc.txt"},
    "no name": {"content_base64": "QQ=="},
    "number name": {"name": 1, "content_base64": "QQ=="},
    "list content": {"name": "poc.txt", "content_base64": ["QQ=="]},
    "number content type": {"name": "poc.txt", "content_base64": "QQ==", "content_type": 5},
    "nul in name": {"name": "poc\x00.txt", "content_base64": "QQ=="},
    "dot-dot name": {"name": "..", "content_base64": "QQ=="},
    "directory name": {"name": "a/", "content_base64": "QQ=="},
    "root name": {"name": "/", "content_base64": "QQ=="},
    "string": "poc.txt",
    "null": None,
    "list": ["poc.txt", "QQ=="],
}


@pytest.mark.parametrize("item", BAD_ATTACHMENTS.values(), ids=BAD_ATTACHMENTS.keys())
def test_api_refuses_a_malformed_attachment(client, nothing_saved, item):
    good = {"name": "ok.txt", "content_base64": b64(b"fine")}
    error = assert_envelope(post_api(client, api_body("product", attachments=[good, item])), 422, "attachments")
    assert set(error["fields"]) <= {"attachments", "attachments.1"}
    nothing_saved()


# --- the caller's language ----------------------------------------------------------------------------------


def _api_messages(client: Client, language: str, body: Any, field: str | None) -> tuple[str, str | None]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = post_raw(client, raw, HTTP_ACCEPT_LANGUAGE=language)
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    return error["message"], (error["fields"][field][0] if field else None)


API_LANGUAGE_CASES = {
    "missing": (api_body("product", title=DROP), "title"),
    "wrong type": (api_body("product", title=12), "title"),
    "string for boolean": (api_body("product", vendor_informed="yes"), "vendor_informed"),
    "unknown field": ({**api_body("product"), "severity": "high"}, "severity"),
    "invalid choice": (api_body("product", credit="everyone"), "credit"),
    "invalid CWE": (api_body("product", cwe="79"), "cwe"),
    "url scheme": (api_body("website", url="ftp://example.test/"), "url"),
    "overlong title": (api_body("product", title="x" * 201), "title"),
    "kind": (api_body("product", kind="thing"), "kind"),
    "base64": (api_body("product", attachments=[{"name": "a", "content_base64": "!"}]), "attachments.0"),
    "malformed json": (b"{", None),
    "not utf-8": (b'{"title": "\xff"}', None),
    "not an object": (b"[]", None),
}


def _assert_translated(ja: str, en: str) -> None:
    assert ja != en, (ja, en)
    assert CJK.search(ja), ja
    assert not CJK.search(en), en


@pytest.mark.parametrize(("body", "field"), API_LANGUAGE_CASES.values(), ids=API_LANGUAGE_CASES.keys())
def test_api_messages_are_in_the_callers_language(client, nothing_saved, body, field):
    ja_message, ja_field = _api_messages(client, "ja", body, field)
    en_message, en_field = _api_messages(client, "en", body, field)
    _assert_translated(ja_message, en_message)
    if field:
        assert ja_field is not None
        assert en_field is not None
        _assert_translated(ja_field, en_field)
    nothing_saved()


def test_api_size_and_media_type_messages_are_in_the_callers_language(client, small_requests):
    for raw, content_type in [(json.dumps(api_body("product", impact="x" * 5000)).encode(), "application/json"),
                              (b"{}", "text/plain")]:
        ja = post_raw(client, raw, content_type=content_type, HTTP_ACCEPT_LANGUAGE="ja").json()["error"]["message"]
        en = post_raw(client, raw, content_type=content_type, HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
        _assert_translated(ja, en)


PAGE_LANGUAGE_CASES = [("product", "title", DROP), ("product", "cwe", "79"), ("website", "url", "javascript:x"),
                       ("website", "threat", "none"), ("product", "credit_name", "")]


@pytest.mark.parametrize(("kind", "field", "value"), PAGE_LANGUAGE_CASES)
def test_page_messages_are_in_the_callers_language(client, nothing_saved, kind, field, value):
    overrides = {field: value}
    if field == "credit_name":
        overrides.update(credit="handle", finder_name="")
    ja = assert_form_error(client.post(PAGES[kind], data=page_data(kind, **overrides), HTTP_ACCEPT_LANGUAGE="ja"),
                           field)
    en = assert_form_error(client.post(PAGES[kind], data=page_data(kind, **overrides), HTTP_ACCEPT_LANGUAGE="en"),
                           field)
    _assert_translated(ja[0], en[0])
    nothing_saved()


# --- never a 500, never half-saved: fuzzing ---------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=()), max_size=20)  # includes lone surrogates and NUL
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | _text
json_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4), max_leaves=10
)
_interesting = st.sampled_from([
    "", " ", "product", "website", "CWE-79", "CWE-0", "javascript:alert(1)", "https://example.test/", "ftp://x",
    "name", "handle", "none", "yes", "unknown", "xss", "data_tampering", "finder", "overseas_csirt",
    "developer_self", "\x00", "\ud800", "x" * 250, "a@example.test", "on", "true",
])
_attachment = st.fixed_dictionaries(
    {"name": _text | st.just("poc.txt"), "content_base64": st.binary(max_size=64).map(b64) | _text},
    optional={"content_type": _text | json_values},
)
_FIELDS = [*sorted(REPORT_BODY_SCHEMA["properties"]), "unknown_field"]


@st.composite
def report_shaped(draw: st.DrawFn) -> dict[str, Any]:
    """A valid submission with a few fields replaced by random values or removed."""
    kind = draw(st.sampled_from(KINDS))
    body = api_body(kind)
    values = st.one_of(_interesting, _text, _scalars, json_values, st.just(DROP),
                       st.lists(_attachment | json_values, max_size=3))
    changes = draw(st.dictionaries(st.sampled_from(_FIELDS), values, max_size=3))
    for name, value in changes.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


@hypothesis_settings(max_examples=100, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.data_too_large])
@given(body=st.one_of(report_shaped(), report_shaped(), report_shaped(), json_values),
       ascii_only=st.booleans())
def test_fuzzed_report_bodies_never_cause_a_500_or_a_partial_save(settings, body, ascii_only):
    client = Client()
    raw = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    before = _snapshot(settings.MEDIA_ROOT)
    response = post_raw(client, raw)
    assert response.status_code in {201, 200, 413, 415, 422, 400}, response.content[:500]
    if response.status_code in {200, 201}:
        assert Report.objects.count() == before[0]["Report"] + (1 if response.status_code == 201 else 0)
        # Accepted only if every field had the JSON type the published schema declares.
        assert isinstance(body, dict)
        for name, value in body.items():
            expected = {"string": str, "boolean": bool, "array": list}[REPORT_BODY_SCHEMA["properties"][name]["type"]]
            assert isinstance(value, expected), (name, value)
    else:
        assert response.json()["error"]["code"]
        assert _snapshot(settings.MEDIA_ROOT) == before


# --- status links -------------------------------------------------------------------------------------------

WRONG_TOKENS = ["not-a-real-token", "x" * 43, "x" * 101, "x" * 5000, "%00", "..", "%2e%2e", "日本語",
                "%ED%A0%80", "a%20b", "-", "_" * 43]


@pytest.mark.parametrize("token", WRONG_TOKENS, ids=[t[:20] for t in WRONG_TOKENS])
def test_wrong_status_links_are_not_found(client, nothing_saved, token):
    assert client.get(f"/status/{token}/").status_code == 404
    assert client.post(f"/status/{token}/", data={"body": "hello"}).status_code == 404
    assert_envelope(client.get(f"/api/v1/status/{token}"), 404)
    posted = client.post(f"/api/v1/status/{token}/messages", data=json.dumps({"body": "hello"}),
                         content_type="application/json")
    assert_envelope(posted, 404)
    nothing_saved()


def test_an_altered_real_status_link_is_not_found(client):
    token = submit("website").status_token
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (altered, token[:-1], token + "A", token.upper() if token.upper() != token else token.lower()):
        assert client.get(f"/status/{wrong}/").status_code == 404
        assert_envelope(client.get(f"/api/v1/status/{wrong}"), 404)
    assert client.get(f"/status/{token}/").status_code == 200


@pytest.mark.parametrize("raw", [b"{", b"\xff", b"[]", b'"hello"', b'{"body": 1}', b'{"body": null}',
                                 b'{"body": ["x"]}', b"{}", b'{"body": "   "}'])
def test_status_link_messages_refuse_bad_bodies(client, raw):
    receipt = submit("website")
    response = client.generic("POST", f"/api/v1/status/{receipt.status_token}/messages", data=raw,
                              content_type="application/json")
    assert_envelope(response, {400, 422})
    assert Message.objects.count() == 0


# --- case actions ---------------------------------------------------------------------------------------------


@pytest.fixture
def handler_auth(handler) -> dict[str, str]:
    Authenticator.objects.create(user=handler, type=Authenticator.Type.TOTP, data={"secret": "x"})
    _token, raw = token_create(user=handler, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


ACTION_BODIES = {
    "malformed": b"{", "trailing garbage": b'{"reason": "x"} x', "not utf-8": b'{"reason": "\xff"}',
    "array": b"[]", "string": b'"because"', "number": b"1", "null": b"null",
    "reason number": b'{"reason": 1}', "reason null": b'{"reason": null}', "reason list": b'{"reason": ["x"]}',
    "reason object": b'{"reason": {"en": "x"}}', "reason bool": b'{"reason": true}',
    "reason_code number": b'{"reason_code": 3}', "unknown field": b'{"reason": "x", "state": "closed"}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000, "huge integer": b'{"reason": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("action", ["accept", "reject", "reclassify"])
@pytest.mark.parametrize("raw", ACTION_BODIES.values(), ids=ACTION_BODIES.keys())
def test_case_actions_refuse_bad_bodies_and_change_nothing(client, handler_auth, action, raw):
    case = submit("product").case
    events = CaseEvent.objects.filter(case=case).count()
    response = client.generic("POST", f"/api/v1/cases/{case.id}/actions/{action}", data=raw,
                              content_type="application/json", **handler_auth)
    assert_envelope(response, {400, 422})
    case.refresh_from_db()
    assert (case.state, case.flow, case.version) == ("received", "product", 0)
    assert CaseEvent.objects.filter(case=case).count() == events


def test_case_action_with_a_good_body_is_accepted(client, handler_auth):
    """The control for the test above: the same request with a well-formed body changes the case."""
    case = submit("product").case
    response = client.post(f"/api/v1/cases/{case.id}/actions/accept", data=json.dumps({"reason": "ok"}),
                           content_type="application/json", **handler_auth)
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.state != "received"


@pytest.mark.parametrize("field", ["website_type", "threat"])
def test_the_website_form_has_no_silent_default_type_or_threat(client, nothing_saved, field):
    page = client.get(PAGES["website"]).content.decode()
    select = re.search(rf'<select name="{field}"[^>]*>\s*<option value="" selected>', page)
    assert select is not None, page[page.find(f'name="{field}"') - 50:][:300]
    assert_form_error(client.post(PAGES["website"], data=page_data("website", **{field: ""})), field)
    nothing_saved()


@pytest.mark.parametrize(("language", "heading"), [("ja", "修正が必要な箇所が 2 か所あります"),
                                                   ("en", "There are 2 problems to correct")])
def test_page_lists_every_problem_at_the_top_with_a_link_to_its_field(client, nothing_saved, language, heading):
    response = client.post(PAGES["product"], data=page_data("product", title="", finder_email="not-an-address"),
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    summary = page[page.index('id="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert heading in summary
    links = re.findall(r'<a href="#(id_[a-z_]+)">', summary)
    assert links == ["id_title", "id_finder_email"]  # in the form's order
    assert page.index('id="error-summary"') < page.index('id="id_title"')  # above the fields
    for anchor in links:
        assert f'id="{anchor}"' in page
