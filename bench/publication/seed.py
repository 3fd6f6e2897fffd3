"""The Django side of the publication benchmark: fill the database and publish through the real service.

Imported by run.py after ``django.setup()``. Drafts are bulk-inserted (``Advisory`` with ``Vulnerability`` and
``AffectedProduct`` rows), with bilingual texts, developers, products, CWE, CVSS and purls drawn from small pools
so that search has something to find. For the "existing" advisories the published revision is built with the
service's own pieces (``snapshot.content_of``, ``csaf_doc.build``, ``search.index_text``) and bulk-inserted: the
stored CSAF is a real document of that content, but it is not validated, not signed and has no VEX document. The
search index follows by itself (SQLite: triggers on the revision table; PostgreSQL: a generated column with a GIN
index; search.py). The advisories of the publication phase go through ``services.advisory_publish`` one by one,
with a signing key.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.db import transaction

from earlywarn.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from earlywarn.advisories import csaf_doc, openpgp, search, services, snapshot
from earlywarn.advisories.models import Advisory, AdvisoryKind, AdvisoryRevision, AffectedProduct, Vulnerability
from earlywarn.cases.policy import Actor

WORDS_EN = ("stored", "reflected", "cross-site", "scripting", "injection", "traversal", "overflow", "buffer",
            "authentication", "bypass", "privilege", "escalation", "remote", "code", "execution", "denial",
            "service", "information", "disclosure", "hard-coded", "credentials", "forgery", "request", "router",
            "camera", "firmware", "plugin", "library", "console", "administrator", "session", "upload")
WORDS_JA = ("クロスサイトスクリプティング", "SQLインジェクション", "ディレクトリトラバーサル", "バッファオーバーフロー",
            "認証回避", "権限昇格", "任意のコード実行", "サービス運用妨害", "情報漏えい", "ハードコードされた認証情報",
            "クロスサイトリクエストフォージェリ", "ルータ", "ネットワークカメラ", "ファームウェア", "プラグイン",
            "管理画面", "セッション", "ファイルアップロード")
DEVELOPERS = [(f"株式会社サンプル{i:03d}", f"Sample Corp {i:03d}") for i in range(300)]
PRODUCTS = ("Router", "Camera", "CMS", "Mailer", "Gateway", "Viewer", "Agent", "Portal", "Library", "Printer")
CWES = ("CWE-79", "CWE-89", "CWE-22", "CWE-120", "CWE-287", "CWE-269", "CWE-94", "CWE-400", "CWE-200",
        "CWE-798", "CWE-352", "CWE-434")
CVSS = ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N")
EPOCH = datetime(2018, 1, 1, tzinfo=UTC)


def say(line: str) -> None:
    print(f"… {line}", flush=True)


def publisher() -> Actor:
    """A coordinator with MFA, as the console's publisher (as tests/factories.py and tests/advisories make one)."""
    organisation = Organisation.objects.create(kind=OrganisationKind.COORDINATING, name="調整機関",
                                               name_en="Coordination centre")
    user = User.objects.create(email="publisher@example.test", display_name="Publisher")
    Membership.objects.create(user=user, organisation=organisation, role=Role.COORDINATOR)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return Actor.for_user(user)


def _sentence(rng: random.Random, words: tuple[str, ...], n: int, sep: str) -> str:
    return sep.join(rng.choice(words) for _ in range(n))


def _draft(i: int, rng: random.Random) -> tuple[Advisory, list[Vulnerability], list[AffectedProduct]]:
    developer = rng.choice(DEVELOPERS)
    product = f"{rng.choice(PRODUCTS)}{i % 97}"
    what_ja, what_en = rng.choice(WORDS_JA), _sentence(rng, WORDS_EN, 2, " ")
    texts: dict[str, str] = {
        "title_ja": f"{developer[0]}製 {product} における{what_ja}の脆弱性",
        "title_en": f"{what_en.capitalize()} vulnerability in {developer[1]} {product}",
        "overview_ja": f"{developer[0]}が提供する {product} には、{what_ja}の脆弱性が存在します。",
        "overview_en": f"{product} provided by {developer[1]} contains a {what_en} vulnerability.",
        "description_ja": "。".join(_sentence(rng, WORDS_JA, 3, "および") for _ in range(4)) + "。",
        "description_en": ". ".join(_sentence(rng, WORDS_EN, 8, " ").capitalize() for _ in range(4)) + ".",
        "impact_ja": f"{rng.choice(WORDS_JA)}が行われる可能性があります。",
        "impact_en": f"An attacker may cause {_sentence(rng, WORDS_EN, 3, ' ')}.",
        "solution_ja": "開発者が提供する情報をもとに、最新版へアップデートしてください。",
        "solution_en": "Update to the latest version according to the information provided by the developer.",
        "credits_ja": f"報告者 {i} 氏", "credits_en": f"Reporter {i}",
    }
    number = 10_000_000 + i
    agreed = EPOCH + timedelta(minutes=37 * i % (8 * 365 * 24 * 60))
    advisory = Advisory(tracking_id=f"EW#{number}", slug=f"EW{number}", kind=AdvisoryKind.SINGLE,
                        agreed_publication_at=agreed, created_at=agreed, updated_at=agreed,
                        references=[{"url": f"https://example.test/security/{i}", "summary": "Vendor advisory"}],
                        **texts)
    vulns = [Vulnerability(advisory=advisory, position=v, cve=f"CVE-{2018 + i % 8}-{10000 + i * 2 + v}",
                           cwe=rng.choice(CWES), title_ja=what_ja, title_en=what_en.capitalize(),
                           cvss_v3=rng.choice(CVSS)) for v in range(1 + (i % 3 == 0))]
    products = [AffectedProduct(advisory=advisory, position=p, developer_name_ja=developer[0],
                                developer_name_en=developer[1], product_name_ja=f"{product}{suffix}",
                                product_name_en=f"{product}{suffix}", versions=f"vers:npm/>=1.0.0|<1.{i % 9 + 1}.0",
                                purl=f"pkg:npm/sample-{i % 997}{suffix.strip().lower()}", status="affected",
                                statement_ja="修正版を公開しました。", statement_en="We released a fixed version.")
                for p, suffix in enumerate(("", " Pro")[: 1 + (i % 2)])]
    return advisory, vulns, products


def _chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for first in range(start, stop, size):
        yield range(first, min(first + size, stop))


def insert_drafts(total: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    for block in _chunks(0, total, 2000):
        rows = [_draft(i, rng) for i in block]
        with transaction.atomic():
            Advisory.objects.bulk_create([a for a, _, _ in rows])
            Vulnerability.objects.bulk_create([v for _, vs, _ in rows for v in vs])
            AffectedProduct.objects.bulk_create([p for _, _, ps in rows for p in ps])
        if block.stop % 20000 == 0 or block.stop == total:
            say(f"drafts {block.stop:,}/{total:,} ({time.perf_counter() - started:.0f} s)")


def insert_revisions(slugs: list[str]) -> None:
    """Published revision 1 of each draft in ``slugs``, bulk-inserted (content and CSAF built, not validated)."""
    started = time.perf_counter()
    done = 0
    for first in range(0, len(slugs), 2000):
        advisories = Advisory.objects.filter(slug__in=slugs[first:first + 2000]).prefetch_related(
            "vulnerabilities", "products")
        revisions = []
        for advisory in advisories:
            at = advisory.agreed_publication_at
            assert at is not None
            content = snapshot.content_of(advisory)
            history = [{"number": 1, "date": at, "summary": "初版公開"}]
            doc = csaf_doc.build(content, history=history, initial=at, current=at)
            revisions.append(AdvisoryRevision(
                advisory=advisory, number=1, advisory_version=advisory.version, is_current=True, published_at=at,
                summary_ja="初版公開", content=content, csaf=csaf_doc.dumps(doc), tracking_id=advisory.tracking_id,
                slug=advisory.slug, initial_published_at=at, csaf_path=csaf_doc.document_path(advisory.tracking_id, at),
                developers="\n".join(snapshot.names(content, "developer")),
                products="\n".join(snapshot.names(content, "product")), max_score=content["max_score"],
                severity=content["severity"], exploited=content["exploited"],
                search_tokens=search.index_text(content)))
        with transaction.atomic():
            AdvisoryRevision.objects.bulk_create(revisions)
        done += len(revisions)
        if done % 20000 == 0 or done == len(slugs):
            say(f"revisions {done:,}/{len(slugs):,} ({time.perf_counter() - started:.0f} s)")


def publish(slugs: list[str], actor: Actor, *, profile: int = 0) -> dict[str, Any]:
    """Publish each draft through ``services.advisory_publish``; per-advisory times, and a profile of the first
    ``profile`` publications (cumulative time of the top functions)."""
    key = openpgp.create_key("earlywarn bench", "csaf@example.test")
    times: list[float] = []
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    for n, slug in enumerate(slugs):
        advisory = Advisory.objects.get(slug=slug)
        t0 = time.perf_counter()
        if profiler is not None and n < profile:
            profiler.enable()
        revision = services.advisory_publish(actor=actor, advisory=advisory)
        if profiler is not None and n < profile:
            profiler.disable()
        times.append(time.perf_counter() - t0)
        assert revision.csaf_signature.startswith("-----BEGIN PGP SIGNATURE-----")
        if (n + 1) % 200 == 0 or n + 1 == len(slugs):
            say(f"published {n + 1:,}/{len(slugs):,} ({time.perf_counter() - started:.0f} s)")
    total = time.perf_counter() - started
    out: dict[str, Any] = {"published": len(slugs), "seconds": round(total, 2), "key": key.fingerprint,
                           "with_vex": AdvisoryRevision.objects.filter(slug__in=slugs).exclude(vex_csaf="").count()}
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        out["profile"] = text.getvalue()
    out["times"] = times
    return out
