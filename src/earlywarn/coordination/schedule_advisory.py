"""What publishing a product case does with its advisory (docs/coordination.md "Publication").

* An advisory of the case whose current version a person approved is published (``advisory_publish``, which
  refuses it when the CSAF checks fail; the case is published anyway and the problem is recorded).
* An advisory nobody approved is never published by this step: the case is published, the draft stays a draft
  and the coordinators' dashboard shows it as waiting for approval.
* A case without an advisory gets a minimal record: a draft linked to the case, of the kind its number of
  developers calls for, with the agreed date and the developers' product statements, for the publication issue's
  editor to complete. Nothing of it is public until a person approves and publishes it.

Runs inside the transaction of ``schedule.case_publish``; every advisory service opens its own savepoint, so a
refusal here rolls back only the advisory part.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from earlywarn.advisories.models import Advisory, AdvisoryKind
from earlywarn.advisories.models import ProductStatus as AdvisoryProductStatus
from earlywarn.advisories.services import advisory_create, advisory_publish, advisory_update
from earlywarn.cases.errors import DomainError
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor
from earlywarn.coordination.models import EolAssessment, ProductStatus

_STATUS = {ProductStatus.INVESTIGATING: AdvisoryProductStatus.UNDER_INVESTIGATION,
           ProductStatus.AFFECTED: AdvisoryProductStatus.AFFECTED,
           ProductStatus.NOT_AFFECTED: AdvisoryProductStatus.NOT_AFFECTED,
           ProductStatus.FIXED: AdvisoryProductStatus.FIXED}


def case_products(case: Case) -> list[dict[str, Any]]:
    """The developers' product statements of a case as advisory product rows (the editor and publication use it)."""
    return [{"developer": s.organisation, "developer_name_ja": s.organisation.name,
             "developer_name_en": s.organisation.name_en, "product_name_ja": s.product, "versions": s.version,
             "status": _STATUS.get(ProductStatus(s.status), AdvisoryProductStatus.AFFECTED),
             "statement_ja": s.statement, "statement_date": s.updated_at.date()}
            for s in case.product_statements.select_related("organisation")]


def stop_using_notice(case: Case) -> dict[str, str]:
    """EOL cases C–E (§4.8) publish a "stop using the product" (利用中止) notice: the draft starts with one."""
    eol = EolAssessment.objects.filter(case=case, stop_using=True).select_related("product").first()
    if eol is None:
        return {}
    name, ended = eol.product.name, eol.product.support_ended_on
    day = ended.isoformat() if ended else ""
    return {"stop_using_ja": f"{name} はサポートが終了しています（{day}）。利用を中止し、後継製品などへの移行を"
                             "検討してください。",
            "stop_using_en": f"Support for {name} ended on {day}. Stop using the product and consider moving to "
                             "a successor product."}


def draft_from_case(actor: Actor, case: Case, kind: str, agreed: datetime | None) -> tuple[Advisory, bool]:
    """A draft prefilled from the case: the agreed publication date-time, for an EOL case the 利用中止 notice, and
    its developers' product statements; with whether the products could be taken over (a version text the
    advisory checks refuse leaves them to the editor). The editor's "from a case" and the minimal record."""
    fields: dict[str, Any] = {"agreed_publication_at": agreed} if agreed else {}
    fields |= stop_using_notice(case)
    advisory = advisory_create(actor=actor, kind=kind, case=case, fields=fields or None)
    products = case_products(case)
    if not products:
        return advisory, True
    try:
        return advisory_update(actor=actor, advisory=advisory, products=products), True
    except DomainError:
        return advisory, False


def _minimal_record(actor: Actor, case: Case, agreed: datetime | None) -> Advisory:
    kind = AdvisoryKind.MULTI if case.developer_notices.count() > 1 else AdvisoryKind.SINGLE
    return draft_from_case(actor, case, kind, agreed)[0]


def publish_effects(actor: Actor, case: Case, agreed: datetime | None, now: datetime) -> dict[str, Any]:
    """Handle the case's advisory at publication; returns what happened, for the event."""
    advisory = Advisory.objects.filter(case=case).order_by("-created_at").first()
    if advisory is None:
        created = _minimal_record(actor, case, agreed)
        return {"advisory": "minimal_record", "advisory_id": created.tracking_id}
    out: dict[str, Any] = {"advisory_id": advisory.tracking_id}
    current = advisory.revisions.filter(is_current=True).first()
    if current is not None and current.advisory_version == advisory.version:
        return {**out, "advisory": "already_published",
                "advisory_url": f"{settings.BASE_URL}/advisories/{advisory.slug}/"}
    if not advisory.approved:
        return {**out, "advisory": "awaiting_approval"}
    try:
        advisory_publish(actor=actor, advisory=advisory, now=now)
    except DomainError as exc:
        return {**out, "advisory": "not_published", "problem": str(exc.message)[:500]}
    return {**out, "advisory": "published", "advisory_url": f"{settings.BASE_URL}/advisories/{advisory.slug}/"}
