"""The product flow's coordination actions as one table (like ``websites/actions.py``): the console, the
developer's page and ``POST /api/v1/cases/{id}/actions/{action}`` all perform them through ``action_perform``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from earlywarn.cases.action_table import ActionTable, TableAction
from earlywarn.cases.policy import Action
from earlywarn.coordination import services
from earlywarn.coordination.services import ACTIVE

DEVELOPER_FIELDS = frozenset({"organisations", "name", "email", "language"})

_TABLE = [
    TableAction("start_coordination", Action.CASE_COORDINATE, frozenset({"content_check"}),
                DEVELOPER_FIELDS | {"reason"},
                lambda a, c, d: services.coordination_start(actor=a, case=c, **d),
                gettext_lazy("Start coordination and notify the developers")),
    TableAction("add_developer", Action.CASE_COORDINATE, ACTIVE, DEVELOPER_FIELDS,
                lambda a, c, d: services.developer_add(actor=a, case=c, **d),
                gettext_lazy("Notify a further developer")),
    TableAction("record_contact_attempt", Action.CASE_COORDINATE, ACTIVE,
                frozenset({"organisation", "channel", "note"}),
                lambda a, c, d: services.contact_attempt_record(
                    actor=a, case=c, organisation=d.get("organisation", ""), channel=d.get("channel", ""),
                    note=d.get("note", "")),
                gettext_lazy("Record an attempt to reach the developer")),
    TableAction("list_unreachable", Action.CASE_COORDINATE, frozenset({"coordinating"}),
                frozenset({"organisation", "product", "reason"}),
                lambda a, c, d: services.unreachable_list(actor=a, case=c, **d),
                gettext_lazy("List the developer as unreachable")),
    TableAction("resume_coordination", Action.CASE_COORDINATE, frozenset({"unreachable_listed", "committee"}),
                frozenset({"reason"}), lambda a, c, d: services.coordination_resume(actor=a, case=c, **d),
                gettext_lazy("Resume coordination")),
    TableAction("acknowledge_receipt", Action.CASE_DEVELOPER_RESPOND, ACTIVE, frozenset(),
                lambda a, c, d: services.developer_acknowledge(actor=a, case=c),
                gettext_lazy("Confirm receipt")),
    TableAction("state_product", Action.CASE_DEVELOPER_RESPOND, ACTIVE,
                frozenset({"organisation", "product", "version", "status", "fixed_version", "statement"}),
                lambda a, c, d: services.product_state(actor=a, case=c, data=d),
                gettext_lazy("Record the status of a product")),
]
_ACTIONS = ActionTable("product", _TABLE)
COORDINATION_ACTIONS = _ACTIONS.actions
coordination_actions_for = _ACTIONS.available
action_perform = _ACTIONS.perform
form_data = _ACTIONS.form_data
# Transitions of the product flow this table performs (cases/api.py's IMPLEMENTED_ACTIONS).
COORDINATION_TRANSITIONS = frozenset({"start_coordination", "list_unreachable", "resume_coordination"})

