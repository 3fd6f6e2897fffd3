"""A flow's non-generic actions as one table (the website flow's, the coordination's): each row names its
capability, the states it applies in, the fields it accepts and the service that performs it. The console, the
participants' pages and ``POST /api/v1/cases/{id}/actions/{action}`` all list and perform them through here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor, can

MAX_TEXT = 50_000


@dataclass(frozen=True)
class TableAction:
    name: str
    capability: Action
    states: frozenset[str]
    fields: frozenset[str]
    run: Callable[[Actor, Case, dict[str, str]], Any]
    label: Any  # lazy translation


class ActionTable:
    """The actions of one flow, in the order the console shows them."""

    def __init__(self, flow: str, rows: Iterable[TableAction]) -> None:
        self.case_flow = flow
        self.rows = list(rows)
        self.actions: dict[str, TableAction] = {a.name: a for a in self.rows}

    def available(self, actor: Actor, case: Case) -> list[str]:
        """The actions ``actor`` may take on ``case`` now."""
        if case.flow != self.case_flow:
            return []
        return [a.name for a in self.rows if case.state in a.states and can(actor, a.capability, case)]

    def form_data(self, name: str, posted: Mapping[str, str]) -> dict[str, str]:
        """The posted values of the fields ``name`` accepts (an unknown action accepts none)."""
        action = self.actions.get(name)
        fields = action.fields if action is not None else frozenset()
        return {key: value for key, value in posted.items() if key in fields}

    def perform(self, *, actor: Actor, case: Case, name: str, data: dict[str, Any]) -> Any:
        """Validate the input of one action and perform it through its service (which checks the policy)."""
        action = self.actions.get(name)
        if action is None:
            raise ValidationFailed(_("“%(action)s” is not an action available here.") % {"action": name},
                                   code="unknown_action")
        unknown = set(data) - action.fields
        if unknown:
            raise ValidationFailed(_("Unknown field: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
        if not all(isinstance(value, str) for value in data.values()):
            raise ValidationFailed(_("Every field must be text."))
        if any(len(value) > MAX_TEXT for value in data.values()):
            raise ValidationFailed(_("The text is too long."))
        return action.run(actor, case, data)
