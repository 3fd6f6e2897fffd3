"""Load demonstration organisations, accounts and reports (idempotent; see docs/demo.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from earlywarn.accounts.management.commands._staff import ensure_membership, ensure_totp, ensure_user
from earlywarn.accounts.models import Organisation, OrganisationKind, Role
from earlywarn.advisories.demo import demo_advisories_load
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import case_judge
from earlywarn.intake.services import report_submit
from earlywarn.stats.demo_history import demo_history_load

DEMO_ORGANISATION = "情報処理推進機構 デモ"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - public demo password, documented in docs/demo.md
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - public demo secret (base32)

ORGANISATIONS = [
    # key, kind, name, name_en, sector, contact
    ("receiving", OrganisationKind.RECEIVING, DEMO_ORGANISATION, "Demo Receiving Org", "", "vuln@demo.earlywarn.test"),
    ("coordinating", OrganisationKind.COORDINATING, "調整機関 デモ", "Demo Coordinating Org", "",
     "coord@demo.earlywarn.test"),
    ("developer_a", OrganisationKind.DEVELOPER, "サンプルソフト株式会社", "Sample Soft Inc.", "",
     "security@samplesoft.demo.earlywarn.test"),
    ("developer_b", OrganisationKind.DEVELOPER, "Example Router Co.", "Example Router Co.", "",
     "psirt@router.demo.earlywarn.test"),
    ("operator", OrganisationKind.OPERATOR, "デモ通販サイト運営", "Demo Shop Operator", "",
     "webmaster@shop.demo.earlywarn.test"),
    ("critical", OrganisationKind.CRITICAL_INFRASTRUCTURE, "デモ電力株式会社", "Demo Electric Power Co.",
     "electric_power", "csirt@power.demo.earlywarn.test"),
]

USERS = [
    # email, display name, language, organisation key, role, staff (gets TOTP)
    ("admin@demo.earlywarn.test", "デモ管理者", "ja", "receiving", Role.ADMINISTRATOR, True),
    ("handler@demo.earlywarn.test", "デモ受付担当", "ja", "receiving", Role.HANDLER, True),
    ("coordinator@demo.earlywarn.test", "Demo Coordinator", "en", "coordinating", Role.COORDINATOR, True),
    ("developer@demo.earlywarn.test", "Demo Developer", "en", "developer_a", Role.MEMBER, False),
    ("finder@demo.earlywarn.test", "デモ発見者", "ja", None, None, False),
    ("recipient@demo.earlywarn.test", "デモ電力 CSIRT", "ja", "critical", Role.MEMBER, False),
    ("committee1@demo.earlywarn.test", "デモ委員 一", "ja", None, None, False),
    ("committee2@demo.earlywarn.test", "デモ委員 二", "ja", None, None, False),
    ("committee3@demo.earlywarn.test", "Demo Committee Member", "en", None, None, False),
]
COMMITTEE = ("committee1@demo.earlywarn.test", "committee2@demo.earlywarn.test", "committee3@demo.earlywarn.test")

_BASE = {"exploitation": "unknown", "vendor_informed": False, "finder_organisation": "", "credit": "name",
         "credit_name": "", "consent_share_identity": False}

REPORTS: list[dict[str, Any]] = [
    {"kind": "product", "language": "ja", "judge": "accept", "submission": {
        **_BASE, "title": "サンプルCMS 管理画面における格納型クロスサイトスクリプティング",
        "description": "コメント欄の入力がエスケープされずに管理画面に表示されます。",
        "reproduction": "1. コメントに <script>alert(1)</script> を投稿する。\n2. 管理画面を開く。",
        "impact": "管理者のセッションが窃取される可能性があります。",
        "finder_name": "山田 太郎", "finder_email": "finder@demo.earlywarn.test",
        "product_name": "サンプルCMS", "vendor_name": "サンプルソフト株式会社", "product_version": "4.2",
        "cwe": "CWE-79", "self_report": False}},
    {"kind": "product", "language": "en", "judge": "accept", "submission": {
        **_BASE, "title": "Authentication bypass in Example Router web UI",
        "description": "The /cgi-bin/admin endpoint does not check the session cookie.",
        "reproduction": "1. Send GET /cgi-bin/admin?action=reboot without logging in.",
        "impact": "An attacker on the LAN can reconfigure or reboot the router.",
        "finder_name": "Alex Finder", "finder_email": "alex@finder.demo.earlywarn.test",
        "product_name": "ExampleRouter X100", "vendor_name": "Example Router Co.", "product_version": "1.0.3",
        "cwe": "CWE-306", "self_report": False}},
    {"kind": "product", "language": "ja", "judge": None, "submission": {
        **_BASE, "title": "制御用ゲートウェイにおけるハードコードされた認証情報",
        "description": "ファームウェアに保守用アカウントのパスワードが埋め込まれています。",
        "reproduction": "ファームウェアを展開し /etc/shadow を確認する。",
        "impact": "遠隔から管理者権限でログインされる可能性があります。",
        "finder_name": "佐藤 花子", "finder_email": "hanako@finder.demo.earlywarn.test",
        "product_name": "PowerGate GW-1", "vendor_name": "サンプルソフト株式会社", "product_version": "2.1",
        "cwe": "CWE-798", "self_report": False}},
    {"kind": "website", "language": "ja", "judge": "accept", "submission": {
        **_BASE, "title": "デモ通販サイトの検索機能における SQL インジェクション",
        "description": "検索パラメータがそのまま SQL 文に連結されています。",
        "reproduction": "1. q=1' OR '1'='1 で検索する。",
        "impact": "顧客情報が漏えいする可能性があります。",
        "finder_name": "鈴木 一郎", "finder_email": "ichiro@finder.demo.earlywarn.test",
        "url": "https://shop.demo.earlywarn.test/search?q=1", "website_type": "sql_injection",
        "threat": "data_tampering"}},
    {"kind": "website", "language": "en", "judge": None, "submission": {
        **_BASE, "title": "Reflected XSS on the demo shop login page",
        "description": "The 'next' parameter is echoed into the page without escaping.",
        "reproduction": "Open /login?next=\"><script>alert(1)</script>",
        "impact": "Phishing and session theft.",
        "finder_name": "", "finder_email": "",
        "url": "https://shop.demo.earlywarn.test/login", "website_type": "sql_injection",
        "threat": "data_tampering"}},
    {"kind": "website", "language": "en", "judge": "reject", "submission": {
        **_BASE, "title": "Missing security headers on a personal blog",
        "description": "The blog does not send X-Frame-Options.",
        "reproduction": "curl -I https://blog.demo.earlywarn.test/",
        "impact": "None demonstrated.",
        "finder_name": "Sam Finder", "finder_email": "sam@finder.demo.earlywarn.test",
        "url": "https://blog.demo.earlywarn.test/", "website_type": "sql_injection",
        "threat": "data_tampering"}},
]


def coordination_demo_load(users: dict[str, Any], orgs: dict[str, Organisation]) -> None:
    """The committee's pool, and the first product report under coordination with サンプルソフト, a publication
    date proposed five weeks ahead, so that the developer portal and the coordinators' dashboard show something."""
    from earlywarn.committee.models import CommitteeMember
    from earlywarn.coordination.schedule import publication_propose
    from earlywarn.coordination.services import coordination_start

    for email in COMMITTEE:
        CommitteeMember.objects.create(user=users[email], note="demo")
    coordinator = Actor.for_user(users["coordinator@demo.earlywarn.test"])
    case = Case.objects.filter(flow="product", state="content_check").order_by("created_at").first()
    if case is None:
        return
    case = coordination_start(actor=coordinator, case=case, organisations=str(orgs["developer_a"].id))
    when = timezone.localtime() + timedelta(weeks=5)
    publication_propose(actor=coordinator, case=case, publish_at=when.strftime("%Y-%m-%d 10:00"),
                        time_zone="Asia/Tokyo")


class Command(BaseCommand):
    help = "Load demo organisations, users (see docs/demo.md) and reports. Does nothing if already loaded."

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.filter(name=DEMO_ORGANISATION).exists():
            self.stdout.write(f"Demo data already loaded ({DEMO_ORGANISATION} exists); nothing to do.")
            return
        with transaction.atomic():
            orgs = {}
            for key, kind, name, name_en, sector, contact in ORGANISATIONS:
                orgs[key] = Organisation.objects.create(kind=kind, name=name, name_en=name_en, sector=sector,
                                                        contact_email=contact)
                self.stdout.write(f"organisation: {name} / {name_en} ({kind})")
            users = {}
            for email, display_name, language, org_key, role, staff in USERS:
                user = ensure_user(email, DEMO_PASSWORD, display_name=display_name, language=language)
                users[email] = user
                if org_key is not None and role is not None:
                    ensure_membership(user, orgs[org_key], role)
                if staff:
                    ensure_totp(user, DEMO_TOTP_SECRET)
                self.stdout.write(f"user: {email} ({role or 'finder'}{', TOTP' if staff else ''})")
            judge = Actor.for_user(users["handler@demo.earlywarn.test"])
            finder = Actor.for_user(users["finder@demo.earlywarn.test"])
            for number, spec in enumerate(REPORTS, start=1):
                receipt = report_submit(actor=finder if number == 1 else Actor.anonymous(), kind=spec["kind"],
                                        submission=dict(spec["submission"]), language=spec["language"],
                                        idempotency_key=f"demo-report-{number}")
                case = receipt.case
                if spec["judge"] == "accept":
                    case = case_judge(actor=judge, case=case, accept=True, reason="Demo: accepted")
                elif spec["judge"] == "reject":
                    case = case_judge(actor=judge, case=case, accept=False, reason="Demo: out of scope",
                                      reason_code="out_of_scope")
                self.stdout.write(f"report: {receipt.report.tracking_id} {spec['kind']} [{case.state}] "
                                  f"{spec['submission']['title']}")
            coordination_demo_load(users, orgs)
            for advisory in demo_advisories_load(author=users["coordinator@demo.earlywarn.test"],
                                                 approver=users["admin@demo.earlywarn.test"]):
                self.stdout.write(f"advisory: {advisory.tracking_id} {advisory.title_en}")
            history = demo_history_load()  # so that the statistics of the last quarters show something
            self.stdout.write(f"history: {history.imported} past reports of the last eight quarters")
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Accounts and passwords: docs/demo.md"))
