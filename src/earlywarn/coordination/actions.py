"""The product flow's coordination actions as one table (like ``websites/actions.py``): the console, the
developer's page and ``POST /api/v1/cases/{id}/actions/{action}`` all perform them through ``action_perform``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from earlywarn.cases.action_table import ActionTable, TableAction
from earlywarn.cases.policy import Action
from earlywarn.committee.actions import COMMITTEE_ROWS, COMMITTEE_TRANSITIONS
from earlywarn.coordination import disputes, invites, outcomes, priority, schedule, services
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
    # A developer disputes that it is a vulnerability; the coordinator may close as such (coordination/disputes.py).
    TableAction("dispute_vulnerability", Action.CASE_DEVELOPER_RESPOND, ACTIVE, frozenset({"reasons", "organisation"}),
                lambda a, c, d: disputes.vulnerability_dispute(actor=a, case=c, **d),
                gettext_lazy("Dispute that this is a vulnerability")),
    TableAction("close_not_vulnerability", Action.CASE_COORDINATE, disputes.CLOSABLE, frozenset({"reason"}),
                lambda a, c, d: disputes.not_vulnerability_close(actor=a, case=c, **d),
                gettext_lazy("Close: not a vulnerability")),
    TableAction("invite_developer", Action.CASE_COORDINATE, ACTIVE, frozenset({"organisation", "email", "language"}),
                lambda a, c, d: invites.developer_invite(actor=a, case=c, **d),
                gettext_lazy("Send a developer a new invitation to the portal")),
    # Outcomes other than the normal publication (coordination/outcomes.py) and priority provision (priority.py).
    TableAction("assess_eol", Action.CASE_COORDINATE, ACTIVE,
                frozenset({"organisation", "product", "support_ended_on", "eol_notice_url", "eol_case", "reason"}),
                lambda a, c, d: outcomes.eol_assess(actor=a, case=c, **d),
                gettext_lazy("Record the product's end of life (cases A–E)")),
    TableAction("close_eol_a", Action.CASE_COORDINATE, frozenset({"coordinating"}), frozenset({"reason"}),
                lambda a, c, d: outcomes.eol_close_small_impact(actor=a, case=c, **d),
                gettext_lazy("Close as end of life, small impact (case A)")),
    TableAction("request_individual_handling", Action.CASE_DEVELOPER_RESPOND, frozenset({"coordinating"}),
                frozenset({"organisation", "users_description"}),
                lambda a, c, d: outcomes.individual_request(actor=a, case=c, **d),
                gettext_lazy("Ask to close without publication (individual handling)")),
    TableAction("decide_individual_handling", Action.CASE_COORDINATE, frozenset({"coordinating"}),
                frozenset({"decision", "general_purpose", "many_or_unspecified_users", "all_users_notified",
                           "reasons"}),
                lambda a, c, d: outcomes.individual_decide(actor=a, case=c, **d),
                gettext_lazy("Decide on individual handling")),
    TableAction("close_known_vulnerability", Action.CASE_COORDINATE, frozenset({"content_check", "coordinating"}),
                frozenset({"reference", "reason"}),
                lambda a, c, d: outcomes.known_vulnerability_close(actor=a, case=c, **d),
                gettext_lazy("Close as a known vulnerability")),
    TableAction("select_priority", Action.CASE_COORDINATE, frozenset({"coordinating"}),
                frozenset({"sectors", "lead_business_days", "information"}),
                lambda a, c, d: priority.priority_select(actor=a, case=c, **d),
                gettext_lazy("Provide priority information to critical infrastructure")),
    # The publication schedule and publication (coordination/schedule.py).
    TableAction("propose_publication_date", Action.CASE_COORDINATE, schedule.SCHEDULABLE,
                frozenset({"publish_at", "time_zone", "reason"}),
                lambda a, c, d: schedule.publication_propose(actor=a, case=c, **d),
                gettext_lazy("Propose a publication date")),
    TableAction("agree_publication_date", Action.CASE_DEVELOPER_RESPOND, schedule.SCHEDULABLE,
                frozenset({"organisation"}), lambda a, c, d: schedule.publication_agree(actor=a, case=c, **d),
                gettext_lazy("Agree to the proposed publication date")),
    TableAction("record_publication_agreement", Action.CASE_COORDINATE, schedule.SCHEDULABLE, frozenset({"reason"}),
                lambda a, c, d: schedule.publication_agreement_record(actor=a, case=c, **d),
                gettext_lazy("Record the agreement to the proposed date")),
    TableAction("publish", Action.CASE_PUBLISH, schedule.SCHEDULABLE, frozenset({"reason"}),
                lambda a, c, d: schedule.case_publish(actor=a, case=c, reason=d.get("reason", "")),
                gettext_lazy("Publish now")),
]
_TABLE += COMMITTEE_ROWS  # the publication judgment committee (committee/actions.py, docs/committee.md)
_ACTIONS = ActionTable("product", _TABLE)
COORDINATION_ACTIONS = _ACTIONS.actions
coordination_actions_for = _ACTIONS.available
action_perform = _ACTIONS.perform
form_data = _ACTIONS.form_data
# Transitions of the product flow this table performs (cases/api.py's IMPLEMENTED_ACTIONS).
COORDINATION_TRANSITIONS = frozenset({"publish", "start_coordination", "list_unreachable", "resume_coordination",
                                      "close_eol_a",
                                      "close_known_vulnerability",
                                      "close_not_vulnerability"}) | COMMITTEE_TRANSITIONS

