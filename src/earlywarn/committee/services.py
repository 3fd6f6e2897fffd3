"""The publication judgment committee's case steps (docs/committee.md): referral, selection without conflicts,
meetings, votes, the decision and its execution. One transaction and one ``CaseEvent`` per step; state changes
go through ``case_transition()``. The pool itself is managed in ``committee/pool.py``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.accounts.models import Membership
from earlywarn.cases.errors import InvalidTransition, ValidationFailed, clean_text
from earlywarn.cases.models import Case, CaseParticipant, ParticipantRole
from earlywarn.cases.policy import Action, ActionDenied, Actor, can
from earlywarn.cases.services import case_transition, event_record
from earlywarn.committee.models import (
    CommitteeMember,
    Decision,
    Meeting,
    Referral,
    ReferralReason,
    Seat,
    Vote,
)
from earlywarn.config.knobs import knob_int
from earlywarn.coordination.services import require_product
from earlywarn.notify.services import mail_enqueue

REFERABLE = frozenset({"coordinating", "unreachable_listed"})
BEFORE_COMMITTEE = frozenset({"committee"})
# EOL cases of §4.8 that go to the committee, and the referral reason each one is.
EOL_REASONS = {"D": ReferralReason.DEADLOCKED, "E": ReferralReason.UNREACHABLE}
YES, NO = frozenset({"1", "true", "on", "yes"}), frozenset({"", "0", "false", "off", "no"})


def committee_size() -> int:
    """How many members sit on one case (EARLYWARN_COMMITTEE_SIZE, at least 1)."""
    return max(1, knob_int("COMMITTEE_SIZE"))


def open_referral(case: Case) -> Referral | None:
    return Referral.objects.filter(case=case, ended_at__isnull=True).first()


def _referral(case: Case) -> Referral:
    referral = open_referral(case)
    if referral is None:
        raise InvalidTransition(_("This case is not before the committee."))
    return referral


def _lock(case: Case) -> Case:
    """Serialise the committee steps of one case (a vote completing the committee must be counted once)."""
    locked = Case.objects.select_for_update().select_related("report").get(pk=case.pk)
    if locked.state not in BEFORE_COMMITTEE:
        raise InvalidTransition(_("This is not possible for this case in its current state."))
    return locked


def _undecided(case: Case) -> tuple[Case, Referral]:
    """The case locked (``_lock``) and its referral, which the committee has not decided yet."""
    locked = _lock(case)
    referral = _referral(locked)
    if referral.decision:
        raise InvalidTransition(_("The committee has already decided on this case."))
    return locked, referral


# --------------------------------------------------------------------------------------------------------------
# Conflicts of interest and the proposal
# --------------------------------------------------------------------------------------------------------------


def developer_org_ids(case: Case) -> set[uuid.UUID]:
    """Every developer organisation ever brought into the case (a removed one still counts for conflicts)."""
    ids = set(case.participants.filter(role=ParticipantRole.DEVELOPER, organisation__isnull=False)
              .values_list("organisation_id", flat=True))
    return ids | set(case.developer_notices.values_list("organisation_id", flat=True))


def conflicted_member_ids(case: Case) -> set[int]:
    """Members who may not sit on ``case``: a declared interest in one of its developers, a membership in one,
    or being the finder of the report."""
    orgs = developer_org_ids(case)
    declared = set(CommitteeMember.objects.filter(interests__organisation_id__in=orgs).values_list("pk", flat=True))
    users = set(Membership.objects.filter(organisation_id__in=orgs).values_list("user_id", flat=True))
    if case.report.submitted_by_id is not None:
        users.add(case.report.submitted_by_id)
    return declared | set(CommitteeMember.objects.filter(user_id__in=users).values_list("pk", flat=True))


def committee_proposal(case: Case, size: int | None = None) -> list[CommitteeMember]:
    """A conflict-free selection: active members without a conflict, those with the fewest open seats first."""
    open_seats = Q(seats__removed_at__isnull=True, seats__referral__ended_at__isnull=True)
    candidates = (CommitteeMember.objects.filter(active=True).exclude(pk__in=conflicted_member_ids(case))
                  .select_related("user").annotate(load=Count("seats", filter=open_seats)).order_by("load", "id"))
    return list(candidates[: size or committee_size()])


def _member_ids(raw: str) -> list[int]:
    ids: list[int] = []
    for part in (raw or "").replace(" ", ",").split(","):
        if not part.strip():
            continue
        try:
            ids.append(int(part))
        except ValueError as exc:
            raise ValidationFailed(_("Choose committee members from the list."), field="members") from exc
    return list(dict.fromkeys(ids))


def _member_name(member: CommitteeMember) -> str:
    return member.user.display_name or member.user.email


# --------------------------------------------------------------------------------------------------------------
# The coordinator's steps
# --------------------------------------------------------------------------------------------------------------


def committee_refer(*, actor: Actor, case: Case, reason_code: str = "", reason: str = "") -> Case:
    """Refer a 連絡不能 or 調整不能 case to the committee (§4.6, §4.7; EOL cases D and E of §4.8)."""
    require_product(actor, case, Action.CASE_COORDINATE, REFERABLE)
    if reason_code not in ReferralReason.values:
        raise ValidationFailed(_("Choose a reason from the list."), field="reason_code")
    reason = clean_text(reason, "reason", 5_000, required=True)
    try:
        eol_case = case.eol.eol_case
    except ObjectDoesNotExist:
        eol_case = ""
    eol_case = eol_case if eol_case in EOL_REASONS else ""
    if eol_case and EOL_REASONS[eol_case] != reason_code:
        raise ValidationFailed(_("This case is EOL case %(eol)s: choose the reason “%(reason)s”.")
                               % {"eol": eol_case, "reason": EOL_REASONS[eol_case].label}, field="reason_code")

    def effects(updated: Case) -> None:
        Referral.objects.create(case=updated, reason_code=reason_code, reason=reason, eol_case=eol_case,
                                binding=bool(settings.EARLYWARN["COMMITTEE_BINDING"]), referred_by=actor.label)

    return case_transition(actor=actor, case=case, action="refer_to_committee", reason=reason, effects=effects,
                           data={"referral_reason": reason_code, "eol_case": eol_case})


def committee_fill(case: Case) -> list[CommitteeMember]:
    """The members now seated on the open referral, then the proposal for the empty seats (a seat ends when its
    member declares a conflict or leaves the pool)."""
    referral = open_referral(case)
    kept = ([s.member for s in referral.seats.filter(removed_at__isnull=True).select_related("member__user")]
            if referral else [])
    conflicted = conflicted_member_ids(case)
    kept = [m for m in kept if m.pk not in conflicted][: committee_size()]
    seated = {m.pk for m in kept}
    missing = max(0, committee_size() - len(kept))
    return kept + [m for m in committee_proposal(case, committee_size() + len(kept)) if m.pk not in seated][:missing]


def committee_select(*, actor: Actor, case: Case, members: str = "") -> list[Seat]:
    """Seat the committee for a case: the members named (ids), or, when none is named, those seated now and the
    platform's conflict-free proposal for the empty seats. Members without a vote who are not named again leave
    the case."""
    require_product(actor, case, Action.CASE_COORDINATE, BEFORE_COMMITTEE)
    ids = _member_ids(members)
    with transaction.atomic():
        locked, referral = _undecided(case)  # chosen under the case's lock: a vacancy cannot slip in between
        chosen = _chosen(locked, referral, ids)
        return _seat(actor, locked, referral, chosen, proposed=not ids)


def _lock_new_members(referral: Referral, ids: list[int]) -> None:
    """Lock the rows of members about to be seated (not those seated already: a declaration locks the member,
    then the cases it sits on, so locking a seated member here could deadlock with it). A declaration or a
    deactivation of one of them then either committed before, and is seen below, or waits for this seating and
    then vacates it (committee/vacancies.py)."""
    seated = set(referral.seats.filter(removed_at__isnull=True).values_list("member_id", flat=True))
    new = sorted(set(ids) - seated)
    list(CommitteeMember.objects.select_for_update(of=("self",)).filter(pk__in=new).order_by("pk"))


def _chosen(case: Case, referral: Referral, ids: list[int]) -> list[CommitteeMember]:
    size = committee_size()
    if not ids:
        _lock_new_members(referral, [m.pk for m in committee_fill(case)])
        chosen = committee_fill(case)  # again, now that the newcomers are locked
        if len(chosen) < size:
            raise ValidationFailed(
                _("Only %(count)s members of the pool can sit on this case without a conflict; %(size)s are needed.")
                % {"count": len(chosen), "size": size}, field="members")
        return chosen
    _lock_new_members(referral, ids)
    found = {m.pk: m for m in CommitteeMember.objects.filter(pk__in=ids, active=True).select_related("user")}
    if len(found) != len(ids):
        raise ValidationFailed(_("Choose committee members from the list."), field="members")
    chosen = [found[i] for i in ids]
    conflicted = conflicted_member_ids(case)
    refused = [_member_name(m) for m in chosen if m.pk in conflicted]
    if refused:
        raise ValidationFailed(
            _("%(names)s cannot sit on this case: a declared interest in, or a tie to, a party of the case.")
            % {"names": ", ".join(refused)}, field="members")
    if len(chosen) != size:
        raise ValidationFailed(_("Select exactly %(size)s members.") % {"size": size}, field="members")
    return chosen


def _seat(actor: Actor, locked: Case, referral: Referral, chosen: list[CommitteeMember], *,
          proposed: bool) -> list[Seat]:
    """Seat ``chosen`` on the locked case's open referral (inside the caller's transaction)."""
    now = timezone.now()
    current = {s.member_id: s for s in referral.seats.filter(removed_at__isnull=True)
               .select_related("member__user", "participant", "vote")}
    wanted = {m.pk for m in chosen}
    for member_id, seat in current.items():
        if member_id in wanted:
            continue
        if hasattr(seat, "vote"):
            raise ValidationFailed(_("%(name)s has voted and stays on this case.")
                                   % {"name": _member_name(seat.member)}, field="members")
        seat.removed_at = now
        seat.save(update_fields=["removed_at"])
        CaseParticipant.objects.filter(pk=seat.participant_id).update(removed_at=now)
    for member in chosen:
        if member.pk in current:
            continue
        participant = CaseParticipant.objects.create(case=locked, role=ParticipantRole.COMMITTEE,
                                                     user=member.user, added_at=now)
        Seat.objects.create(referral=referral, member=member, participant=participant, selected_at=now)
        mail_enqueue(template="committee_seated", to=member.user.email, language=member.user.language,
                     case=locked, context={"tracking_id": locked.tracking_id})
    event_record(case=locked, actor=actor, tag="case:committee:selected",
                 data={"members": sorted(wanted), "proposed": proposed})
    return list(referral.seats.filter(removed_at__isnull=True))


def _flag(value: str, field: str) -> bool:
    value = (value or "").strip().lower()
    if value not in YES | NO:
        raise ValidationFailed(_("Choose a value from the list."), field=field)
    return value in YES


def committee_meeting_schedule(*, actor: Actor, case: Case, held_on: str = "", urgent: str = "",
                               meeting: str = "", note: str = "") -> Meeting:
    """Put the case on a meeting: a new one on ``held_on`` (urgent: this case alone), or an existing one."""
    require_product(actor, case, Action.CASE_COORDINATE, BEFORE_COMMITTEE)
    is_urgent = _flag(urgent, "urgent")
    note = clean_text(note, "note", 300)
    existing: Meeting | None = None
    day: date | None = None
    if (meeting or "").strip():
        if is_urgent:
            raise ValidationFailed(_("An urgent meeting is a new meeting for this case alone."), field="urgent")
        try:
            existing = Meeting.objects.filter(pk=int(meeting)).first()
        except ValueError:
            existing = None
        if existing is None or existing.held_on < timezone.localdate():
            raise ValidationFailed(_("Choose a meeting from the list."), field="meeting")
        if existing.urgent:
            raise ValidationFailed(_("An urgent meeting holds one case only."), field="meeting")
    else:
        try:
            day = date.fromisoformat((held_on or "").strip())
        except ValueError as exc:
            raise ValidationFailed(_("Give the date as YYYY-MM-DD."), field="held_on") from exc
        if day < timezone.localdate():
            raise ValidationFailed(_("The meeting date is in the past."), field="held_on")
    with transaction.atomic():
        locked, referral = _undecided(case)
        if existing is None:
            assert day is not None
            existing = Meeting.objects.create(held_on=day, urgent=is_urgent, note=note, created_by=actor.label)
        existing.referrals.add(referral)
        event_record(case=locked, actor=actor, tag="case:committee:meeting_scheduled",
                     data={"meeting": existing.pk, "held_on": existing.held_on.isoformat(),
                           "urgent": existing.urgent})
    return existing


def _decision(value: str, reasons: str) -> tuple[str, str]:
    if value not in Decision.values:
        raise ValidationFailed(_("Choose a value from the list."), field="decision")
    return value, clean_text(reasons, "reasons", 10_000, required=True)


def committee_vote(*, actor: Actor, case: Case, decision: str = "", reasons: str = "") -> Vote:
    """A seated member's vote with reasons. When every seated member has voted, the majority decides."""
    if not can(actor, Action.CASE_COMMITTEE_VOTE, case):
        raise ActionDenied
    require_product(actor, case, Action.CASE_VIEW, BEFORE_COMMITTEE)
    decision, reasons = _decision(decision, reasons)
    with transaction.atomic():
        locked, referral = _undecided(case)
        seat = referral.seats.filter(removed_at__isnull=True, member__user=actor.user).first()
        if seat is None:
            raise ActionDenied
        if Vote.objects.filter(seat=seat).exists():
            raise ValidationFailed(_("You have already voted on this case."), field="decision")
        vote = Vote.objects.create(seat=seat, decision=decision, reasons=reasons)
        event_record(case=locked, actor=actor, tag="case:committee:voted", data={"decision": decision})
        _decide_by_votes(locked, referral)
    return vote


def _decide_by_votes(case: Case, referral: Referral) -> None:
    seats = list(referral.seats.filter(removed_at__isnull=True).select_related("vote"))
    votes = [seat.vote for seat in seats if hasattr(seat, "vote")]
    if len(seats) < committee_size() or len(votes) < len(seats):
        return
    publish = sum(1 for v in votes if v.decision == Decision.PUBLISH)
    outcome = Decision.PUBLISH if publish * 2 > len(votes) else Decision.NOT_PUBLISH  # a tie does not publish
    reasons = "\n".join(f"- {v.reasons}" for v in votes if v.decision == outcome)
    _decide(case, referral, outcome, reasons, "votes",
            Actor.system(frozenset({Action.CASE_PUBLISH, Action.CASE_COORDINATE, Action.ADVISORY_EDIT,
                                    Action.ADVISORY_PUBLISH})),
            data={"publish": publish, "not_publish": len(votes) - publish})


def _decide(case: Case, referral: Referral, decision: str, reasons: str, by: str, actor: Actor,
            data: dict[str, Any] | None = None) -> None:
    referral.decision, referral.decision_reasons, referral.decided_by = decision, reasons, by
    referral.decided_at = timezone.now()
    referral.save(update_fields=["decision", "decision_reasons", "decided_by", "decided_at"])
    event_record(case=case, actor=actor, tag="case:committee:decided", reason=reasons,
                 data={"decision": decision, "by": by, "binding": referral.binding, **(data or {})})
    if referral.binding:  # the decision binds: the platform carries it out in the same transaction
        if decision == Decision.PUBLISH:
            committee_publish(actor=actor, case=case)
        else:
            from earlywarn.coordination.services import coordination_resume

            coordination_resume(actor=actor, case=case, reason=_("The committee decided not to publish."))


def committee_decision_record(*, actor: Actor, case: Case, decision: str = "", reasons: str = "") -> Referral:
    """The coordinator records the decision the committee reached at its meeting."""
    require_product(actor, case, Action.CASE_COORDINATE, BEFORE_COMMITTEE)
    decision, reasons = _decision(decision, reasons)
    with transaction.atomic():
        locked, referral = _undecided(case)
        if not referral.seats.filter(removed_at__isnull=True).exists():
            raise ValidationFailed(_("Select the committee members first."), field="decision")
        if not referral.meetings.exists():
            raise ValidationFailed(_("Schedule the committee's meeting first."), field="decision")
        _decide(locked, referral, decision, reasons, "meeting", actor)
    return referral


def committee_publish(*, actor: Actor, case: Case, reason: str = "") -> Case:
    """Publish as 調整不能 after the committee decided to publish (a 利用中止 notice for EOL cases D and E)."""
    require_product(actor, case, Action.CASE_PUBLISH, BEFORE_COMMITTEE)
    referral = _referral(case)
    if referral.decision != Decision.PUBLISH:
        raise InvalidTransition(_("The committee has not decided to publish this case."))
    reason = clean_text(reason, "reason", 5_000) or referral.decision_reasons or _("Published after the committee.")

    def effects(updated: Case) -> None:
        from earlywarn.coordination.schedule import developer_mail
        from earlywarn.coordination.schedule_advisory import publish_effects

        _end(updated, referral, "published")
        # The advisory as at any publication: an approved one is published, otherwise a draft (with the 利用中止
        # notice of an EOL case) waits for the editor; the developers are told.
        outcome = publish_effects(actor, updated, None, timezone.now())
        event_record(case=updated, actor=actor, tag="case:committee:published", data=outcome)
        developer_mail(updated, "case_published", advisory_url=outcome.get("advisory_url", ""))

    return case_transition(actor=actor, case=case, action="committee_publish", reason=reason, effects=effects,
                           fields={"published_at": timezone.now()},
                           data={"referral": referral.pk, "stop_using": bool(referral.eol_case)})


def _end(case: Case, referral: Referral, outcome: str) -> None:
    now = timezone.now()
    referral.ended_at, referral.outcome = now, outcome
    referral.save(update_fields=["ended_at", "outcome"])
    seats = referral.seats.filter(removed_at__isnull=True)
    CaseParticipant.objects.filter(pk__in=seats.values("participant_id")).update(removed_at=now)


def referral_end_on_resume(actor: Actor, case: Case) -> None:
    """Called by ``coordination_resume`` inside its transaction: a case leaving the committee ends its referral
    and its members' access; a binding decision to publish cannot be undone this way."""
    referral = open_referral(case)
    if referral is None:
        return
    if referral.binding and referral.decision == Decision.PUBLISH:
        raise InvalidTransition(_("The committee decided to publish this case, and its decision binds."))
    _end(case, referral, "resumed")
    event_record(case=case, actor=actor, tag="case:committee:returned", data={"referral": referral.pk})
