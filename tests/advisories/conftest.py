"""Advisory fixtures: two coordinators (author and approver), a bilingual draft with two developers' products."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from earlywarn.advisories import services
from earlywarn.advisories.models import Advisory, AdvisoryKind, AdvisoryRevision
from earlywarn.cases.policy import Actor
from tests import factories

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"

TEXTS = {
    "title_ja": "ExampleCMS および WidgetLib におけるクロスサイトスクリプティングの脆弱性",
    "title_en": "Cross-site scripting vulnerability in ExampleCMS and WidgetLib",
    "overview_ja": "複数の製品に格納型クロスサイトスクリプティングの脆弱性が存在します。",
    "overview_en": "Several products contain a stored cross-site scripting vulnerability.",
    "description_ja": "コメント欄の入力がエスケープされずに出力されます。",
    "description_en": "Input to the comment field is output without escaping.",
    "impact_ja": "管理者のブラウザ上で任意のスクリプトを実行される可能性があります。",
    "impact_en": "An arbitrary script may be executed in an administrator's browser.",
    "solution_ja": "開発者が提供する最新版にアップデートしてください。",
    "solution_en": "Update to the latest version provided by the developer.",
    "workarounds_ja": "コメント機能を無効にしてください。",
    "workarounds_en": "Disable the comment feature.",
    "credits_ja": "山田 太郎 氏",
    "credits_en": "Taro Yamada",
    "references": [{"url": "https://example.test/security/2026-01", "summary": "Vendor advisory"}],
}
VULNERABILITIES = [{"cve": "CVE-2026-12345", "cwe": "CWE-79", "title_ja": "格納型 XSS", "title_en": "Stored XSS",
                    "cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                    "cvss_v4": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"}]
PRODUCTS = [
    {"developer_name_ja": "株式会社エグザンプル", "developer_name_en": "Example Corp",
     "product_name_ja": "ExampleCMS", "product_name_en": "ExampleCMS", "versions": "4.2",
     "cpe": "cpe:2.3:a:example:examplecms:4.2:*:*:*:*:*:*:*", "status": "affected",
     "statement_ja": "修正版 4.3 を公開しました。", "statement_en": "We released the fixed version 4.3.",
     "statement_date": date(2026, 3, 1)},
    {"developer_name_ja": "ウィジェット合同会社", "developer_name_en": "Widget LLC",
     "product_name_ja": "WidgetLib", "product_name_en": "WidgetLib", "versions": "vers:npm/>=1.0.0|<1.4.2",
     "purl": "pkg:npm/widgetlib", "status": "affected"},
    {"developer_name_ja": "ウィジェット合同会社", "developer_name_en": "Widget LLC",
     "product_name_ja": "WidgetLib", "product_name_en": "WidgetLib", "versions": "1.4.2",
     "purl": "pkg:npm/widgetlib@1.4.2", "status": "fixed"},
]


def with_mfa(user: Any) -> Any:
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def author(db) -> Any:
    return with_mfa(factories.coordinator())


@pytest.fixture
def approver(db) -> Any:
    return with_mfa(factories.coordinator())


def make_draft(user: Any, *, kind: str = AdvisoryKind.MULTI, **overrides: Any) -> Advisory:
    fields = {**TEXTS, **overrides}
    advisory = services.advisory_create(actor=Actor.for_user(user), kind=kind)
    return services.advisory_update(actor=Actor.for_user(user), advisory=advisory, fields=fields,
                                    vulnerabilities=[dict(v) for v in VULNERABILITIES],
                                    products=[dict(p) for p in PRODUCTS])


def publish(advisory: Advisory, author: Any, approver: Any) -> AdvisoryRevision:
    advisory = services.advisory_approve(actor=Actor.for_user(approver), advisory=advisory)
    return services.advisory_publish(actor=Actor.for_user(author), advisory=advisory)


@pytest.fixture
def draft(author) -> Advisory:
    return make_draft(author)


@pytest.fixture
def published(draft, author, approver) -> AdvisoryRevision:
    return publish(draft, author, approver)


def client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def signing_key(tmp_path, settings) -> str:
    """A real OpenPGP signing key in a throw-away GnuPG home; its agent is stopped afterwards."""
    from earlywarn.advisories import openpgp

    home = tmp_path / "openpgp"
    settings.EARLYWARN = {**settings.EARLYWARN, "OPENPGP_HOME": str(home)}
    key = openpgp.create_key("earlywarn test", "csaf@example.test")
    yield key.fingerprint
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
