from __future__ import annotations

from django.http import HttpRequest

from earlywarn.cases.policy import Actor


def platform(request: HttpRequest) -> dict[str, object]:
    actor = Actor.for_user(getattr(request, "user", None))
    return {"actor_is_staff": actor.is_staff, "actor_is_participant": bool(actor.participant_org_ids)}
