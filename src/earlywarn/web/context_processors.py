from __future__ import annotations

from django.http import HttpRequest

from earlywarn.accounts.models import OrganisationKind
from earlywarn.cases.policy import Actor


def platform(request: HttpRequest) -> dict[str, object]:
    """What the navigation offers this visitor: the console, shared cases, and for the people who have one, the
    committee's page and the priority information (reachable before only by knowing their addresses)."""
    user = getattr(request, "user", None)
    actor = Actor.for_user(user)
    in_committee = False
    if user is not None and user.is_authenticated:
        from earlywarn.committee.models import CommitteeMember

        in_committee = CommitteeMember.objects.filter(user=user).exists()
    return {"actor_is_staff": actor.is_staff, "actor_is_participant": bool(actor.participant_org_ids),
            "actor_in_committee": in_committee,
            "actor_is_recipient": actor.member_of_kind(OrganisationKind.CRITICAL_INFRASTRUCTURE)}
