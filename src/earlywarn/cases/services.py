"""Every change to a case: one function each, one transaction each, one event each.

Nothing else writes ``Case.state``, ``Case.flow`` or ``Case.state_changed_at`` (a test scans the source to keep it
so; ``intake.services`` creates a case in its first state, the history import writes closed history). Every
state-setting event is dated with the case's ``state_changed_at``, the same value, so the statistics may read the
state at a cut-off from the case when it has not changed since (``stats.tally``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from earlywarn.cases.errors import (
    ConcurrentChange,
    InvalidTransition,
    ValidationFailed,
    refuse_forbidden_characters,
)
from earlywarn.cases.flows import (
    RECLASSIFIABLE_STATES,
    REJECTION_REASONS,
    Flow,
    State,
    Transition,
    definition,
    reclassification_target,
)
from earlywarn.cases.models import Case, CaseEvent, Message, ParticipantRole, Visibility
from earlywarn.cases.policy import Action, ActionDenied, Actor, can, is_finder
from earlywarn.intake.models import ReportKind

STATE_FIELDS = frozenset({"state", "flow", "state_changed_at"})  # set by ``_save_state`` only


def event_record(
    *, case: Case, actor: Actor, tag: str, reason: str = "", data: dict[str, Any] | None = None,
    from_flow: str = "", to_flow: str = "", from_state: str = "", to_state: str = "",
) -> CaseEvent:
    """Append one audit event. Call only inside the service's transaction.

    A state-setting event (``to_state``) is dated with ``case.state_changed_at``, which the service has just set
    with the state; any other event with the current time.
    """
    at: datetime = timezone.now()
    if to_state:
        if case.state_changed_at is None:
            raise ValueError("a state-setting event needs the case's state_changed_at (set with the state)")
        at = case.state_changed_at
    return CaseEvent.objects.create(
        case=case, tag=tag, actor=actor.user, actor_label=actor.label, reason=reason, data=data or {},
        from_flow=from_flow, to_flow=to_flow, from_state=from_state, to_state=to_state, created_at=at,
    )


def _label(item: State | Transition) -> str:
    """The declared label of a state or transition in the language of the current request."""
    return item.en if (get_language() or "ja").startswith("en") else item.ja


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock (Postgres) / the write lock (SQLite IMMEDIATE) and check its version."""
    fresh = Case.objects.select_for_update().select_related("report").get(pk=case.pk)
    if fresh.version != case.version:
        raise ConcurrentChange(_("Someone else changed this case meanwhile. Reload it and try again."))
    return fresh


def _save_state(case: Case, *, flow: str, state: str, extra: dict[str, Any] | None = None) -> Case:
    now = timezone.now()
    fields: dict[str, Any] = {"flow": flow, "state": state, "updated_at": now, "state_changed_at": now}
    if definition(flow).state(state).terminal:
        fields["closed_at"] = now
    fields.update(extra or {})  # a service may date the closure itself (websites: the fix date)
    updated = Case.objects.filter(pk=case.pk, version=case.version).update(version=F("version") + 1, **fields)
    if updated != 1:
        raise ConcurrentChange(_("Someone else changed this case meanwhile. Reload it and try again."))
    case.refresh_from_db()
    return case


def case_transition(*, actor: Actor, case: Case, action: str, reason: str = "", reason_code: str = "",
                    data: dict[str, Any] | None = None, fields: dict[str, Any] | None = None,
                    effects: Callable[[Case], None] | None = None) -> Case:
    """Apply a declared transition of the case's flow; refuse anything the table does not allow.

    ``fields`` are further case columns the calling service sets with the change (never state or flow);
    ``effects`` runs inside the same transaction after the event is written, with the updated case, for the
    side effects a flow's service adds (its own records, its mail); raising there undoes everything.
    """
    flow = definition(case.flow)
    transition = flow.transition(action)
    if transition is None:
        raise InvalidTransition(
            _("“%(action)s” is not an action of the %(flow)s flow.") % {"action": action,
                                                                       "flow": ReportKind(case.flow).label},
            code="unknown_action",
        )
    if not can(actor, Action(transition.capability), case):
        raise ActionDenied
    reason = reason.strip()
    refuse_forbidden_characters(reason, "reason")
    if transition.reason_codes and reason_code not in transition.reason_codes:
        raise ValidationFailed(_("Choose a reason from the list."), field="reason_code")
    if reason_code and not transition.reason_codes:
        raise ValidationFailed(_("This action takes no reason code."), field="reason_code")
    if action == "accept":
        _acceptance_rule_check(case)
    if transition.needs_reason and not (reason or reason_code):
        raise ValidationFailed(_("A reason is required for this action."), field="reason")
    with transaction.atomic():
        locked = _lock(case)
        if locked.state not in transition.sources:
            raise InvalidTransition(
                _("This case is “%(state)s”; “%(action)s” is not possible from there.")
                % {"state": _label(flow.state(locked.state)), "action": _label(transition)}
            )
        extra: dict[str, Any] = {k: v for k, v in (fields or {}).items() if k not in STATE_FIELDS}
        if action == "accept":
            extra |= {"accepted_at": timezone.now(), "judged_at": timezone.now()}
        elif action == "reject":
            extra |= {"judged_at": timezone.now(), "rejection_reason": reason_code}
        elif action == "notify_operator":
            extra.setdefault("notified_at", timezone.now())  # §3.3: the notification date starts the clocks
        from_state = locked.state
        updated = _save_state(locked, flow=locked.flow, state=transition.target, extra=extra)
        event_record(
            case=updated, actor=actor, tag=f"case:state:{action}", reason=reason,
            data={"reason_code": reason_code, **(data or {})} if reason_code else (data or {}),
            from_flow=updated.flow, to_flow=updated.flow, from_state=from_state, to_state=updated.state,
        )
        _after_transition(updated, action)
        if effects is not None:
            effects(updated)
    return updated


def cases_transition_bulk(*, actor: Actor, case_ids: Iterable[Any], action: str, flow: str, reason: str,
                          data: dict[str, Any] | None = None) -> list[Case]:
    """Apply one declared transition to many cases of ``flow`` at once: all of them or none, one event each.

    For closures such as 注意喚起 that end hundreds of cases in one decision. Each case must allow the action
    now; otherwise nothing changes. Rows are locked, updated and given their events in bulk.
    """
    transition = definition(flow).transition(action)
    reason = reason.strip()
    if transition is None:
        raise InvalidTransition(_("“%(action)s” is not an action available here.") % {"action": action},
                                code="unknown_action")
    if transition.needs_reason and not reason:
        raise ValidationFailed(_("A reason is required for this action."), field="reason")
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise ValidationFailed(_("Choose at least one case."), field="cases")
    with transaction.atomic():
        cases = list(Case.objects.select_for_update().select_related("report").filter(pk__in=ids, flow=flow)
                     .order_by("pk"))  # one lock order for every multi-case lock (committee/vacancies.py)
        if len(cases) != len(ids):
            raise ValidationFailed(_("Some of the chosen cases do not exist or are not in this flow."),
                                   field="cases")
        for case in cases:
            if not can(actor, Action(transition.capability), case):
                raise ActionDenied
        stuck = [c.tracking_id for c in cases if c.state not in transition.sources]
        if stuck:
            raise InvalidTransition(
                _("%(count)s of the chosen cases cannot take “%(action)s” now: %(ids)s")
                % {"count": len(stuck), "action": _label(transition), "ids": ", ".join(sorted(stuck)[:20])}
            )
        now = timezone.now()
        fields: dict[str, Any] = {"state": transition.target, "updated_at": now, "state_changed_at": now}
        if definition(flow).state(transition.target).terminal:
            fields["closed_at"] = now
        changed = Case.objects.filter(pk__in=ids, flow=flow, state__in=transition.sources).update(
            version=F("version") + 1, **fields)
        if changed != len(ids):
            raise ConcurrentChange(_("Someone else changed this case meanwhile. Reload it and try again."))
        CaseEvent.objects.bulk_create([
            CaseEvent(case=c, tag=f"case:state:{action}", actor=actor.user, actor_label=actor.label, reason=reason,
                      data=data or {}, from_flow=flow, to_flow=flow, from_state=c.state, to_state=transition.target,
                      created_at=now)
            for c in cases
        ], batch_size=500)
        updated = list(Case.objects.select_related("report").filter(pk__in=ids))
        for case in updated:
            _after_transition(case, action)
    return updated


def _after_transition(case: Case, action: str) -> None:
    """Side effects of a transition, written in the same transaction (outbox)."""
    from earlywarn.intake.notifications import finder_status_changed

    if action in {"accept", "reject"} or definition(case.flow).state(case.state).terminal:
        finder_status_changed(case, judged=action in {"accept", "reject"})


def _acceptance_rule_check(case: Case) -> None:
    """§4.1/§4.2: the configurable acceptance rule, checked on every acceptance whatever the entry point."""
    rule = ("PRODUCT_REQUIRES_CONTACTABLE_FINDER" if case.flow == Flow.PRODUCT
            else "WEBSITE_REQUIRES_CONTACTABLE_FINDER")
    if settings.EARLYWARN[rule] and not case.report.finder_contactable:
        raise ValidationFailed(
            _("The acceptance rule requires a finder who can be contacted, and this finder gave no contact."),
            code="finder_not_contactable",
        )


def case_judge(*, actor: Actor, case: Case, accept: bool, reason: str = "", reason_code: str = "") -> Case:
    """The acceptance judgment (受理判断): accept into handling, or 不受理 with a reason code."""
    if accept:
        return case_transition(actor=actor, case=case, action="accept", reason=reason)
    if reason_code not in REJECTION_REASONS:
        raise ValidationFailed(_("Choose a reason from the list."), field="reason_code")
    return case_transition(actor=actor, case=case, action="reject", reason=reason, reason_code=reason_code)


def case_reclassify(*, actor: Actor, case: Case, reason: str) -> Case:
    """Move a case to the other flow (§4.3), keeping its history, its report and its original receipt date."""
    if not can(actor, Action.CASE_RECLASSIFY, case):
        raise ActionDenied
    if not reason.strip():
        raise ValidationFailed(_("A reason is required for this action."), field="reason")
    with transaction.atomic():
        locked = _lock(case)
        source = Flow(locked.flow)
        if locked.state not in RECLASSIFIABLE_STATES[source]:
            raise InvalidTransition(_("Only a case still in handling can be reclassified."))
        target_flow = Flow.WEBSITE if source is Flow.PRODUCT else Flow.PRODUCT
        from_state = locked.state
        updated = _save_state(locked, flow=target_flow.value, state=reclassification_target(from_state))
        # The parties of the old flow (a website's operator and builder, say) have no business in the new one,
        # which may be an embargoed product case: their participation, and so every link and page, ends here.
        ended = updated.participants.filter(removed_at__isnull=True).exclude(role=ParticipantRole.FINDER)
        roles = sorted(set(ended.values_list("role", flat=True)))
        count = ended.update(removed_at=timezone.now())
        event_record(
            case=updated, actor=actor, tag="case:flow:reclassified", reason=reason.strip(),
            from_flow=source.value, to_flow=target_flow.value, from_state=from_state, to_state=updated.state,
            data={"participations_ended": count, "roles": roles} if count else None,
        )
    return updated


def _participating_org_ids(case: Case, *, current: bool = True) -> set[Any]:
    """Organisations brought into ``case`` (only those not removed, unless ``current`` is False)."""
    rows = case.participants.filter(organisation__isnull=False)
    if current:
        rows = rows.filter(removed_at__isnull=True)
    return set(rows.values_list("organisation_id", flat=True))


def message_post(*, actor: Actor, case: Case, body: str, visibility: str,
                 organisation_id: Any = None) -> Message:
    """Post a message. Finders can only write to staff (finder thread); staff choose the audience."""
    body = body.strip()
    if not body:
        raise ValidationFailed(_("The message is empty."), field="body")
    if len(body) > 50_000:
        raise ValidationFailed(_("The message is too long (at most 50,000 characters)."), field="body")
    refuse_forbidden_characters(body, "body")
    if not can(actor, Action.CASE_MESSAGE_POST, case):
        raise ActionDenied
    staff = can(actor, Action.CASE_MESSAGE_INTERNAL, case)
    from_finder = False
    if not staff:
        if is_finder(actor, case):
            visibility, organisation_id, from_finder = Visibility.FINDER, None, True
        else:
            # Only the actor's organisations that were brought into this case (and not removed).
            orgs = sorted(_participating_org_ids(case) & actor.participant_org_ids, key=str)
            organisation_id = organisation_id if organisation_id in orgs else next(iter(orgs), None)
            visibility = Visibility.ORGANISATION
    if visibility not in Visibility.values:
        raise ValidationFailed(_("Choose who can read this message."), field="visibility")
    if visibility == Visibility.ORGANISATION and organisation_id is None:
        raise ValidationFailed(_("Choose the organisation this message is for."), field="organisation")
    if visibility == Visibility.ORGANISATION and organisation_id not in _participating_org_ids(case, current=False):
        raise ValidationFailed(_("Choose an organisation brought into this case."), field="organisation")
    with transaction.atomic():
        author = (actor.user.display_name or actor.user.email) if actor.user else (
            "finder" if actor.status_report_id else actor.label)
        message = Message.objects.create(
            case=case, author=actor.user, author_label=author, from_finder=from_finder, visibility=visibility,
            organisation_id=organisation_id if visibility == Visibility.ORGANISATION else None, body=body,
        )
        event_record(case=case, actor=actor, tag="case:message:posted",
                     data={"message": str(message.id), "visibility": visibility})
        from earlywarn.intake.notifications import message_posted

        message_posted(case, message)
    return message
