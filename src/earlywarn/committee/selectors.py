"""What the committee's pages read: a member's assigned cases and the summary they judge on, the coordinator's
panel and the pool. Every read starts from the access policy (docs/committee.md, docs/access-policy.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor, can, cases_visible_to, submission_visible_to
from earlywarn.committee.models import CommitteeMember, Meeting, Referral, Seat
from earlywarn.committee.services import committee_fill, committee_size, conflicted_member_ids, open_referral


def seats_of(actor: Actor) -> QuerySet[Seat]:
    """The actor's current seats: open referrals of cases the policy shows them."""
    if actor.user is None:
        return Seat.objects.none()
    visible = cases_visible_to(actor).values("pk")
    return (Seat.objects.filter(member__user=actor.user, removed_at__isnull=True, participant__removed_at__isnull=True,
                                referral__ended_at__isnull=True, referral__case__in=visible)
            .select_related("referral__case__report").order_by("referral__referred_at"))


def _coordination(case: Case) -> dict[str, Any]:
    """The facts a judgment needs: developers, when they were told, how they were sought, what they stated.
    Contact notes, messages, attachments and the finder's identity are not part of it."""
    coordination = getattr(case, "coordination", None)
    return {
        "start_date": coordination.start_date if coordination else None,
        "target_date": coordination.target_date if coordination else None,
        "developers": [{"name": n.organisation.name, "notified_at": n.notified_at,
                        "acknowledged_at": n.acknowledged_at}
                       for n in case.developer_notices.select_related("organisation")],
        "attempts": [{"name": a.organisation.name, "channel": a.channel, "attempted_at": a.attempted_at}
                     for a in case.contact_attempts.select_related("organisation")],
        "listed_at": [u.listed_at for u in case.unreachable_listings.all()],
        "statements": [{"name": s.organisation.name, "product": s.product, "version": s.version,
                        "status": s.get_status_display(), "fixed_version": s.fixed_version,
                        "statement": s.statement} for s in case.product_statements.select_related("organisation")],
    }


def member_summary(actor: Actor, case: Case, seat: Seat) -> dict[str, Any]:
    """The case as a seated member sees it (the caller has checked ``CASE_COMMITTEE_VOTE``)."""
    referral = seat.referral
    seats = referral.seats.filter(removed_at__isnull=True)
    return {
        "case": case, "submission": submission_visible_to(actor, case), "referral": referral,
        "meetings": list(referral.meetings.all()), "vote": getattr(seat, "vote", None),
        "votes_cast": seats.filter(vote__isnull=False).count(), "seats": seats.count(),
        **_coordination(case),
    }


def panel_context(actor: Actor, case: Case) -> dict[str, Any]:
    """The committee part of the console's case page (coordinators and administrators)."""
    if not can(actor, Action.CASE_COORDINATE, case):
        return {}
    referral = open_referral(case)
    context: dict[str, Any] = {"committee_referral": referral,
                               "committee_past": Referral.objects.filter(case=case, ended_at__isnull=False)}
    if referral is None:
        return context
    seats = list(referral.seats.filter(removed_at__isnull=True).select_related("member__user", "vote"))
    conflicted = conflicted_member_ids(case)
    proposal = {m.pk for m in committee_fill(case)}  # the seated ones, and who would fill the empty seats
    context.update({
        "committee_seats": seats, "committee_size": committee_size(),
        "committee_candidates": [(m, m.pk in conflicted, m.pk in proposal) for m in
                                 CommitteeMember.objects.filter(active=True).select_related("user")[:500]],
        "committee_meetings": list(referral.meetings.all()),
        "committee_open_meetings": Meeting.objects.filter(
            urgent=False, held_on__gte=timezone.localdate()).order_by("held_on")[:20],
    })
    return context


def pool_context() -> dict[str, Any]:
    return {
        "members": CommitteeMember.objects.select_related("user").prefetch_related("interests__organisation"),
        "referrals": Referral.objects.filter(ended_at__isnull=True).select_related("case__report"),
        "meetings": Meeting.objects.prefetch_related("referrals__case__report").order_by("-held_on")[:50],
    }
