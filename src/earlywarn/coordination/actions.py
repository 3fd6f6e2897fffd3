"""The product flow's coordination actions as one table (like ``websites/actions.py``): the console, the
developer's page and ``POST /api/v1/cases/{id}/actions/{action}`` all perform them through ``action_perform``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor, can
from earlywarn.coordination import services
from earlywarn.coordination.services import ACTIVE


@dataclass(frozen=True)
class CoordinationAction:
    name: str
    capability: Action
    states: frozenset[str]
    fields: frozenset[str]
    run: Callable[[Actor, Case, dict[str, str]], Any]
    label: Any  # lazy translation


DEVELOPER_FIELDS = frozenset({"organisations", "name", "email", "language"})

_TABLE = [
    CoordinationAction("start_coordination", Action.CASE_COORDINATE, frozenset({"content_check"}),
                       DEVELOPER_FIELDS | {"reason"},
                       lambda a, c, d: services.coordination_start(actor=a, case=c, **d),
                       gettext_lazy("Start coordination and notify the developers")),
    CoordinationAction("add_developer", Action.CASE_COORDINATE, ACTIVE, DEVELOPER_FIELDS,
                       lambda a, c, d: services.developer_add(actor=a, case=c, **d),
                       gettext_lazy("Notify a further developer")),
    CoordinationAction("record_contact_attempt", Action.CASE_COORDINATE, ACTIVE,
                       frozenset({"organisation", "channel", "note"}),
                       lambda a, c, d: services.contact_attempt_record(
                           actor=a, case=c, organisation=d.get("organisation", ""), channel=d.get("channel", ""),
                           note=d.get("note", "")),
                       gettext_lazy("Record an attempt to reach the developer")),
    CoordinationAction("list_unreachable", Action.CASE_COORDINATE, frozenset({"coordinating"}),
                       frozenset({"organisation", "product", "reason"}),
                       lambda a, c, d: services.unreachable_list(actor=a, case=c, **d),
                       gettext_lazy("List the developer as unreachable")),
    CoordinationAction("resume_coordination", Action.CASE_COORDINATE, frozenset({"unreachable_listed", "committee"}),
                       frozenset({"reason"}), lambda a, c, d: services.coordination_resume(actor=a, case=c, **d),
                       gettext_lazy("Resume coordination")),
    CoordinationAction("acknowledge_receipt", Action.CASE_DEVELOPER_RESPOND, ACTIVE, frozenset(),
                       lambda a, c, d: services.developer_acknowledge(actor=a, case=c),
                       gettext_lazy("Confirm receipt")),
    CoordinationAction("state_product", Action.CASE_DEVELOPER_RESPOND, ACTIVE,
                       frozenset({"organisation", "product", "version", "status", "fixed_version", "statement"}),
                       lambda a, c, d: services.product_state(actor=a, case=c, data=d),
                       gettext_lazy("Record the status of a product")),
]
COORDINATION_ACTIONS: dict[str, CoordinationAction] = {a.name: a for a in _TABLE}
# Transitions of the product flow this table performs (cases/api.py's IMPLEMENTED_ACTIONS).
COORDINATION_TRANSITIONS = frozenset({"start_coordination", "list_unreachable", "resume_coordination"})


def coordination_actions_for(actor: Actor, case: Case) -> list[str]:
    """The coordination actions ``actor`` may take on ``case`` now."""
    if case.flow != "product":
        return []
    return [a.name for a in _TABLE if case.state in a.states and can(actor, a.capability, case)]


def action_perform(*, actor: Actor, case: Case, name: str, data: dict[str, Any]) -> Any:
    """Validate the input of one coordination action and perform it through its service."""
    action = COORDINATION_ACTIONS.get(name)
    if action is None:
        raise ValidationFailed(_("“%(action)s” is not an action available here.") % {"action": name},
                               code="unknown_action")
    unknown = set(data) - action.fields
    if unknown:
        raise ValidationFailed(_("Unknown field: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if not all(isinstance(value, str) for value in data.values()):
        raise ValidationFailed(_("Every field must be text."))
    if any(len(value) > 50_000 for value in data.values()):
        raise ValidationFailed(_("The text is too long."))
    return action.run(actor, case, data)
