"""Withdrawing a published advisory (security.md test 9): two people, a reason, a new revision, never a deletion.

One holder of ``advisory:publish`` requests the withdrawal with a reason (``withdrawal_request``); a second one
withdraws (``advisory_withdraw``), which appends a revision that says so: the public page shows the advisory as
withdrawn with the reason and date, the CSAF documents (advisory and VEX) get a new version with a revision
history entry and a note, OSV gets ``withdrawn``, the feeds show the revision, the list marks it. The earlier
revisions stay. Each step is one transaction with one ``AdvisoryEvent``.

CSAF 2.0 has no withdrawn state (``tracking.status`` stays ``final``); the new version carries a document note of
category ``description`` titled "Reasoning for Withdrawal", the title prefix ``[WITHDRAWN]``, and a
revision_history entry. This is the note CSAF 2.1 prescribes for its ``csaf_withdrawn`` profile; a 2.1 writer
would also drop ``product_tree`` and ``vulnerabilities``, which CSAF 2.0's profiles require (docs/advisories.md).
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.advisories import conf, csaf_doc, formats, openpgp, public_files, services, snapshot, vex
from earlywarn.advisories.csaf_check import csaf_findings
from earlywarn.advisories.models import Advisory, AdvisoryRevision
from earlywarn.cases.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from earlywarn.cases.policy import Action, Actor

NOTE_TITLE = "Reasoning for Withdrawal"  # the CSAF 2.1 csaf_withdrawn note title, kept in both languages
TITLE_PREFIX = "[WITHDRAWN] "
SUMMARY = {"ja": "取り下げ: %s", "en": "Withdrawn: %s"}
NOTE_TEXT = {"ja": "この文書は %(date)s に取り下げられました。理由: %(reason)s",
             "en": "This document was withdrawn on %(date)s. Reason: %(reason)s"}


def _fresh(actor: Actor, advisory: Advisory) -> Advisory:
    services._require(actor, Action.ADVISORY_PUBLISH, advisory)
    fresh = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if fresh.withdrawn_at is not None:
        raise InvalidTransition(_("This advisory is already withdrawn."))
    if not fresh.revisions.filter(is_current=True).exists():
        raise InvalidTransition(_("Only a published advisory can be withdrawn."))
    return fresh


@transaction.atomic
def withdrawal_request(*, actor: Actor, advisory: Advisory, reason_ja: str = "", reason_en: str = "") -> Advisory:
    """Ask for the withdrawal of a published advisory, with the reason shown to the public (one language at least).
    A second person then withdraws it; asking again replaces the reason and the requester."""
    fresh = _fresh(actor, advisory)
    reasons = {"ja": reason_ja.strip(), "en": reason_en.strip()}
    if not any(reasons.values()):
        raise ValidationFailed(_("Give the reason for the withdrawal."), field="reason")
    if services._imported_from_elsewhere(fresh):
        raise InvalidTransition(_("This advisory was imported from another publisher's CSAF document; that "
                                  "publisher withdraws it."))
    fresh.withdrawal_reason_ja, fresh.withdrawal_reason_en = reasons["ja"], reasons["en"]
    fresh.withdrawal_requested_by = actor.user
    fresh.withdrawal_requested_at = timezone.now()
    fresh.save(update_fields=["withdrawal_reason_ja", "withdrawal_reason_en", "withdrawal_requested_by",
                              "withdrawal_requested_at"])
    services.event_record(advisory=fresh, actor=actor, tag="advisory:withdrawal:requested", data=reasons)
    return fresh


@transaction.atomic
def withdrawal_cancel(*, actor: Actor, advisory: Advisory) -> Advisory:
    """Drop a pending withdrawal request."""
    fresh = _fresh(actor, advisory)
    if fresh.withdrawal_requested_at is None:
        raise InvalidTransition(_("No withdrawal was requested."))
    fresh.withdrawal_reason_ja = fresh.withdrawal_reason_en = ""
    fresh.withdrawal_requested_by = None
    fresh.withdrawal_requested_at = None
    fresh.save(update_fields=["withdrawal_reason_ja", "withdrawal_reason_en", "withdrawal_requested_by",
                              "withdrawal_requested_at"])
    services.event_record(advisory=fresh, actor=actor, tag="advisory:withdrawal:cancelled")
    return fresh


def mark(doc: dict[str, Any], withdrawn: dict[str, Any]) -> dict[str, Any]:
    """A copy of a CSAF document of ours that says it is withdrawn (note and title; status stays final)."""
    lang = conf.csaf_lang()
    out = copy.deepcopy(doc)
    document = out["document"]
    text = NOTE_TEXT[lang] % {"date": withdrawn["at"][:10], "reason": snapshot.either(withdrawn["reason"], lang)}
    document["notes"] = [{"category": "description", "title": NOTE_TITLE, "text": text}, *document.get("notes", [])]
    document["title"] = TITLE_PREFIX + document["title"]
    return out


def render(advisory: Advisory, current: AdvisoryRevision, withdrawn: dict[str, Any],
           now: datetime) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """(advisory document, VEX document or None, summary) of the withdrawing revision."""
    lang = conf.csaf_lang()
    content = {**current.content, "withdrawn": withdrawn}
    summary = (SUMMARY[lang] % snapshot.either(withdrawn["reason"], lang))[:300]
    history = services._history(advisory, current.number + 1, now, summary)
    doc = mark(csaf_doc.build(content, history=history, initial=current.initial_published_at, current=now),
               withdrawn)
    vex_doc = None
    if current.vex_csaf:
        vex_history, initial = vex.history_of(advisory, now, summary)
        vex_doc = mark(vex.build(content, history=vex_history, initial=initial, current=now,
                                 advisory_url=vex.self_url(doc)), withdrawn)
    return doc, vex_doc, summary


@transaction.atomic
def advisory_withdraw(*, actor: Actor, advisory: Advisory, now: datetime | None = None) -> AdvisoryRevision:
    """Withdraw: the second person confirms the request ``advisory`` was loaded with. Appends the withdrawing
    revision (validated like any publication) and records who and when; nothing is deleted."""
    fresh = _fresh(actor, advisory)
    if fresh.withdrawal_requested_at is None:
        raise InvalidTransition(_("Request the withdrawal with a reason first."))
    if fresh.withdrawal_requested_at != advisory.withdrawal_requested_at:
        raise ConcurrentChange(_("Someone else changed this advisory meanwhile. Reload it and try again."))
    if actor.user is not None and fresh.withdrawal_requested_by_id == actor.user.pk:
        raise InvalidTransition(_("Withdrawing an advisory needs a second person: someone else must confirm."))
    now = (now or timezone.now()).replace(microsecond=0)
    current = fresh.revisions.get(is_current=True)
    reasons = {"ja": fresh.withdrawal_reason_ja, "en": fresh.withdrawal_reason_en}
    withdrawn = {"at": formats.iso_utc(now), "reason": reasons}
    doc, vex_doc, summary = render(fresh, current, withdrawn, now)
    findings = csaf_findings(doc) + (csaf_findings(vex_doc) if vex_doc is not None else [])
    if findings:
        raise ValidationFailed(_("The CSAF document fails the official tests: %(findings)s")
                               % {"findings": "; ".join(str(f) for f in findings[:10])})
    body = csaf_doc.dumps(doc)
    current.is_current = False
    current.save(update_fields=["is_current"])
    revision = AdvisoryRevision.objects.create(
        advisory=fresh, number=current.number + 1, advisory_version=fresh.version, is_current=True,
        published_at=now, published_by=actor.user,
        summary_ja=(SUMMARY["ja"] % snapshot.either(reasons, "ja"))[:300],
        summary_en=(SUMMARY["en"] % snapshot.either(reasons, "en"))[:300],
        content={**current.content, "withdrawn": withdrawn}, csaf=body, csaf_path=current.csaf_path,
        csaf_signature=openpgp.sign_detached(body.encode()), tracking_id=current.tracking_id, slug=current.slug,
        initial_published_at=current.initial_published_at, developers=current.developers,
        products=current.products, max_score=current.max_score, severity=current.severity,
        exploited=current.exploited, search_tokens=current.search_tokens, withdrawn=True,
        **vex.revision_fields(vex_doc))
    fresh.withdrawn_at = now
    fresh.withdrawn_by = actor.user
    fresh.save(update_fields=["withdrawn_at", "withdrawn_by"])
    public_files.refresh_on_commit(fresh.slug)  # the files say "withdrawn" once this commits
    services.event_record(advisory=fresh, actor=actor, tag="advisory:revision:withdrawn",
                          data={"number": revision.number, "reason": reasons, "summary": summary,
                                "requested_by": str(fresh.withdrawal_requested_by_id or ""),
                                "sha256": hashlib.sha256(body.encode()).hexdigest()})
    return revision


def public_notice(content: dict[str, Any], language: str) -> dict[str, Any] | None:
    """What the public page says about a withdrawal: {"at", "reason", "lang"} (reason in ``language`` if given),
    or None when the revision does not withdraw the advisory."""
    withdrawn = content.get("withdrawn")
    if not withdrawn:
        return None
    reasons = withdrawn["reason"]
    lang = language if reasons.get(language) else ("en" if language == "ja" else "ja")
    return {"at": formats.parse_iso(withdrawn["at"]), "reason": reasons.get(lang, ""),
            "lang": lang}


def act(*, actor: Actor, advisory: Advisory, action: str, data: dict[str, str]) -> str:
    """The console's withdrawal actions (views.advisory_act): the success message, or a DomainError."""
    if action == "request_withdrawal":
        withdrawal_request(actor=actor, advisory=advisory, reason_ja=data.get("reason_ja", ""),
                           reason_en=data.get("reason_en", ""))
        return _("Withdrawal requested. A second person must confirm it.")
    if action == "cancel_withdrawal":
        withdrawal_cancel(actor=actor, advisory=advisory)
        return _("Withdrawal request cancelled.")
    seen = data.get("requested", "")
    requested = advisory.withdrawal_requested_at
    if requested is None or seen != requested.isoformat():
        raise ConcurrentChange(_("Someone else changed this advisory meanwhile. Reload it and try again."))
    revision = advisory_withdraw(actor=actor, advisory=advisory)
    return _("Withdrawn as revision %(number)s.") % {"number": revision.number}


ACTIONS = frozenset({"request_withdrawal", "cancel_withdrawal", "withdraw"})
