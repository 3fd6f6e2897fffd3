"""Demo advisories for `earlywarn manage load_demo`: one published (two developers' products), one draft."""

from __future__ import annotations

from datetime import date
from typing import Any

from earlywarn.advisories import services
from earlywarn.advisories.models import Advisory, AdvisoryKind
from earlywarn.cases.policy import Actor

PUBLISHED_TEXTS: dict[str, Any] = {
    "title_ja": "DemoBoard および PageKit における認証回避の脆弱性",
    "title_en": "Authentication bypass in DemoBoard and PageKit",
    "overview_ja": "掲示板ソフトウエア DemoBoard と、それが利用する PageKit に認証回避の脆弱性が存在します。",
    "overview_en": "The bulletin-board software DemoBoard and the PageKit library it uses allow authentication "
                   "to be bypassed.",
    "description_ja": "セッション検証処理に不備があり、細工されたクッキーで管理画面にアクセスできます。",
    "description_en": "The session check is incomplete: a crafted cookie opens the administration pages.",
    "impact_ja": "第三者に管理者として操作される可能性があります。",
    "impact_en": "A third party may act as an administrator.",
    "solution_ja": "開発者が提供する最新版にアップデートしてください。",
    "solution_en": "Update to the latest version provided by each developer.",
    "workarounds_ja": "管理画面へのアクセスを信頼できるネットワークに限定してください。",
    "workarounds_en": "Allow access to the administration pages from trusted networks only.",
    "credits_ja": "デモ発見者 氏",
    "credits_en": "Demo Finder",
    "references": [{"url": "https://developer.demo.earlywarn.test/security/2026-01",
                    "summary": "Developer advisory"}],
}
PUBLISHED_VULNERABILITIES: list[dict[str, Any]] = [
    {"cve": "CVE-2026-40001", "cwe": "CWE-287", "title_ja": "不適切な認証", "title_en": "Improper authentication",
     "cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
     "cvss_v4": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N"},
]
PUBLISHED_PRODUCTS: list[dict[str, Any]] = [
    {"developer_name_ja": "デモ開発株式会社", "developer_name_en": "Demo Developer Inc.",
     "product_name_ja": "DemoBoard", "product_name_en": "DemoBoard", "versions": "3.0",
     "cpe": "cpe:2.3:a:demo:demoboard:3.0:*:*:*:*:*:*:*", "status": "affected",
     "statement_ja": "修正版 3.1 を公開しました。", "statement_en": "We released the fixed version 3.1.",
     "statement_date": date(2026, 10, 1)},
    {"developer_name_ja": "ページキット合同会社", "developer_name_en": "PageKit LLC",
     "product_name_ja": "PageKit", "product_name_en": "PageKit", "versions": "vers:pypi/>=2.0|<2.5.1",
     "purl": "pkg:pypi/pagekit", "status": "affected"},
]
DRAFT_TEXTS: dict[str, Any] = {
    "title_ja": "デモルーター X100 における認証の欠如",
    "title_en": "Missing authentication in ExampleRouter X100",
    "overview_ja": "ExampleRouter X100 の管理 API に認証がありません。",
    "overview_en": "The management API of ExampleRouter X100 requires no authentication.",
}


def demo_advisories_load(*, author: Any, approver: Any) -> list[Advisory]:
    """Publish one advisory (written by ``author``, approved by ``approver``) and leave one draft."""
    by, second = Actor.for_user(author), Actor.for_user(approver)
    published = services.advisory_create(actor=by, kind=AdvisoryKind.MULTI)
    published = services.advisory_update(actor=by, advisory=published, fields=dict(PUBLISHED_TEXTS),
                                         vulnerabilities=[dict(v) for v in PUBLISHED_VULNERABILITIES],
                                         products=[dict(p) for p in PUBLISHED_PRODUCTS])
    published = services.advisory_approve(actor=second, advisory=published)
    services.advisory_publish(actor=by, advisory=published)
    draft = services.advisory_create(actor=by, kind=AdvisoryKind.SINGLE, fields=dict(DRAFT_TEXTS))
    return [published, draft]
