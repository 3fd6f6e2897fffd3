"""Ending a website case: the handler's re-check of a reported fix, the closures of §3.5, and alerts (注意喚起)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.cases.errors import ValidationFailed, clean_text
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, ActionDenied, Actor
from earlywarn.cases.services import case_transition, cases_transition_bulk, event_record
from earlywarn.websites.contacts import require_website
from earlywarn.websites.models import Alert, ContactRole, FixKind, FixReport

FIX_ACTIONS = {FixKind.FIXED: "close_fixed", FixKind.PAGE_DELETED: "close_page_deleted",
               FixKind.WORKAROUND: "close_workaround"}
CLOSE_ACTIONS = frozenset({"close_not_vulnerability", "close_unable_no_response", "close_unable_operator_declined",
                           "close_unable_no_contact", "close_alert"})
CHECK_RESULTS = frozenset({"fixed", "not_fixed"})


def _fix_moment(report: FixReport | None) -> datetime:
    """The fix date the statistics count (S13): the day the operator says it fixed, else the closure."""
    if report is None:
        return timezone.now()
    if timezone.localdate(report.created_at) == report.fixed_on:
        return report.created_at
    return timezone.make_aware(datetime.combine(report.fixed_on, time(0, 0)))


def closure_mail(case: Case, alert: Alert | None = None) -> int:
    """A polite word to every contact that was written to: the case is closed, and how (no details, §4.12)."""
    from earlywarn.websites.notification import active_contacts, contact_mail

    sent = 0
    fixed = case.state in {"fixed", "fixed_page_deleted", "fixed_workaround"}
    category, sub = case.published_category, case.sub_status
    outcomes = {language: " — ".join(getattr(c, language) for c in (category, sub) if c is not None)
                for language in ("ja", "en")}
    for contact in active_contacts(case):
        if contact.notified_at is None and contact.role == ContactRole.OPERATOR:
            continue  # never notified: a closure is not the first thing it should hear from us
        contact_mail(case, contact, "operator_closed", outcome=outcomes.get(contact.language, outcomes["ja"]),
                     fixed=fixed, alert_url=alert_public_url(alert) if alert else "")
        sent += 1
    return sent


def _closed(case: Case) -> None:
    closure_mail(case)


def alert_public_url(alert: Alert) -> str:
    from django.conf import settings
    from django.urls import reverse

    return alert.url or f"{settings.BASE_URL}{reverse('websites:alert', kwargs={'alert_id': alert.id})}"


def fix_close(*, actor: Actor, case: Case, action: str, reason: str = "", verified: bool = False) -> Case:
    """修正完了 (or its sub-kinds): closed_at is the fix date the operator reported."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE, frozenset({"operator_notified"}))
    kind = next(k for k, a in FIX_ACTIONS.items() if a == action)
    report = case.fix_reports.filter(kind=kind).order_by("-created_at").first()
    if kind == FixKind.WORKAROUND and not reason.strip() and report is not None:
        reason = report.description
    closed_at = _fix_moment(report)
    return case_transition(actor=actor, case=case, action=action, reason=reason, fields={"closed_at": closed_at},
                           effects=_closed, data={"fix_kind": str(kind), "verified": verified,
                                 "fixed_on": timezone.localdate(closed_at).isoformat(),
                                 "fix_report": report.pk if report else None})


def fix_verify(*, actor: Actor, case: Case, result: str, note: str = "", kind: str = "") -> Case:
    """Record the handler's re-check of the site. Fixed: close as the reported kind. Not fixed: tell the operator."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE, frozenset({"operator_notified"}))
    if result not in CHECK_RESULTS:
        raise ValidationFailed(_("Choose a value from the list."), field="result")
    note = note.strip()
    if result == "not_fixed":
        if not note:
            raise ValidationFailed(_("Say what the re-check found."), field="note")
        with transaction.atomic():
            event_record(case=case, actor=actor, tag="case:website:fix_checked", reason=note,
                         data={"result": result})
        return case
    latest = case.fix_reports.order_by("-created_at").first()
    kind = kind or (latest.kind if latest else FixKind.FIXED)
    if kind not in FixKind.values:
        raise ValidationFailed(_("Choose a value from the list."), field="kind")
    return fix_close(actor=actor, case=case, action=FIX_ACTIONS[FixKind(kind)],
                     reason=note or _("Re-checked by the handler."), verified=True)


def website_close(*, actor: Actor, case: Case, action: str, reason: str = "") -> Case:
    """The other closures of §3.5: 脆弱性ではない, 取扱不能 (three reasons) and 注意喚起 of one case."""
    if action in FIX_ACTIONS.values():
        return fix_close(actor=actor, case=case, action=action, reason=reason)
    if action not in CLOSE_ACTIONS:
        raise ValidationFailed(_("“%(action)s” is not an action available here.") % {"action": action})
    return case_transition(actor=actor, case=case, action=action, reason=reason, effects=_closed)


def alert_publish(*, actor: Actor, title: str, body: str, url: str = "", case_ids: list[Any]) -> Alert:
    """Publish an alert and close the chosen open cases as 注意喚起, all in one transaction, one event each."""
    if not actor.staff_may(Action.CASE_HANDLE_WEBSITE):
        raise ActionDenied
    title, url = clean_text(title, "title", 300), clean_text(url, "url", 500)
    body = clean_text(body, "body", 100_000)
    if not title:
        raise ValidationFailed(_("Give the alert a title."), field="title")
    if not body:
        raise ValidationFailed(_("Write the alert's text."), field="body")
    if url and not url.startswith("https://"):
        raise ValidationFailed(_("Enter an https address."), field="url")
    try:
        ids = list(dict.fromkeys(uuid.UUID(str(pk)) for pk in case_ids))
    except ValueError as exc:
        raise ValidationFailed(_("Some of the chosen cases do not exist or are not in this flow."),
                               field="cases") from exc
    with transaction.atomic():
        alert = Alert.objects.create(title=title, body=body, url=url, published_by=actor.user,
                                     cases_closed=len(ids))
        cases_transition_bulk(actor=actor, case_ids=ids, action="close_alert", flow="website",
                              reason=title, data={"alert": str(alert.id)})
        notified = Case.objects.filter(pk__in=ids, website_contacts__notified_at__isnull=False).distinct()
        for case in notified.select_related("report"):
            closure_mail(case, alert)
    return alert
