"""The committee's rows of the product flow's action table (``coordination/actions.py`` appends them): the console,
the member's page and ``POST /api/v1/cases/{id}/actions/{action}`` all perform them through that table."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from earlywarn.cases.action_table import TableAction
from earlywarn.cases.policy import Action
from earlywarn.committee import services
from earlywarn.committee.services import BEFORE_COMMITTEE, REFERABLE

COMMITTEE_ROWS = [
    TableAction("refer_to_committee", Action.CASE_COORDINATE, REFERABLE, frozenset({"reason_code", "reason"}),
                lambda a, c, d: services.committee_refer(actor=a, case=c, **d),
                gettext_lazy("Refer to the publication judgment committee")),
    TableAction("select_committee", Action.CASE_COORDINATE, BEFORE_COMMITTEE, frozenset({"members"}),
                lambda a, c, d: services.committee_select(actor=a, case=c, **d),
                gettext_lazy("Select the committee members")),
    TableAction("schedule_committee_meeting", Action.CASE_COORDINATE, BEFORE_COMMITTEE,
                frozenset({"held_on", "urgent", "meeting", "note"}),
                lambda a, c, d: services.committee_meeting_schedule(actor=a, case=c, **d),
                gettext_lazy("Put the case on a committee meeting")),
    TableAction("record_committee_decision", Action.CASE_COORDINATE, BEFORE_COMMITTEE,
                frozenset({"decision", "reasons"}),
                lambda a, c, d: services.committee_decision_record(actor=a, case=c, **d),
                gettext_lazy("Record the committee's decision at its meeting")),
    TableAction("committee_vote", Action.CASE_COMMITTEE_VOTE, BEFORE_COMMITTEE, frozenset({"decision", "reasons"}),
                lambda a, c, d: services.committee_vote(actor=a, case=c, **d),
                gettext_lazy("Record your decision")),
    TableAction("committee_publish", Action.CASE_PUBLISH, BEFORE_COMMITTEE, frozenset({"reason"}),
                lambda a, c, d: services.committee_publish(actor=a, case=c, **d),
                gettext_lazy("Publish as coordination impossible")),
]
# Transitions of the product flow these rows perform (cases/api.py's IMPLEMENTED_ACTIONS).
COMMITTEE_TRANSITIONS = frozenset({"refer_to_committee", "committee_publish"})
