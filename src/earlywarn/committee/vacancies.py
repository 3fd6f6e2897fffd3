"""Ending committee seats that may no longer be held (docs/committee.md, "A conflict that appears after the
seating"): a member declares an interest in a developer of the case, a developer they are tied to is brought
into the case, or the member leaves the pool. Called inside the transaction of the change that causes it."""

from __future__ import annotations

import uuid

from django.utils import timezone

from earlywarn.cases.models import Case, CaseParticipant
from earlywarn.cases.policy import Actor
from earlywarn.cases.services import event_record
from earlywarn.committee.models import CommitteeMember, Seat


def seats_vacate(actor: Actor, *, why: str, member: CommitteeMember | None = None, case: Case | None = None,
                 conflicts_only: bool = True) -> int:
    """End the open seats (of ``member``, or on ``case``) on referrals not ended yet; with ``conflicts_only``
    only those whose member is now in conflict with the case. Returns how many ended.

    Access ends with the seat. On a referral not yet decided, a vote already cast no longer counts (only open
    seats' votes decide) but is kept; on a decided one (an advisory decision the coordinator has not carried out)
    only access ends. The cases are locked first, in one order, as the committee's own steps lock them, so a
    vote cannot complete a decision with a seat that is being vacated.
    """
    from earlywarn.committee.services import conflicted_member_ids

    seats = Seat.objects.filter(removed_at__isnull=True, referral__ended_at__isnull=True)
    if member is not None:
        seats = seats.filter(member=member)
    if case is not None:
        seats = seats.filter(referral__case=case)
    case_ids = sorted(set(seats.values_list("referral__case_id", flat=True)))
    if not case_ids:
        return 0
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk")}
    conflicts: dict[uuid.UUID, set[int]] = {}
    now = timezone.now()
    vacated = 0
    # Read again under the lock, and only on the locked cases (a seat on another case committed meanwhile waits
    # for the next change that concerns it).
    for seat in seats.filter(referral__case_id__in=list(locked)).select_related("referral", "vote"):
        seat_case = locked[seat.referral.case_id]
        if conflicts_only:
            if seat_case.pk not in conflicts:
                conflicts[seat_case.pk] = conflicted_member_ids(seat_case)
            if seat.member_id not in conflicts[seat_case.pk]:
                continue
        seat.removed_at = now
        seat.save(update_fields=["removed_at"])
        CaseParticipant.objects.filter(pk=seat.participant_id).update(removed_at=now)
        set_aside = hasattr(seat, "vote") and seat.referral.decided_at is None
        event_record(case=seat_case, actor=actor, tag="case:committee:seat_vacated",
                     data={"member": seat.member_id, "why": why, "vote_set_aside": set_aside})
        vacated += 1
    return vacated
