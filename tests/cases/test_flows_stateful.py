"""Stateful property test of the case services against a model of the declared flows (partnership.md §3.4–§3.7).

A hypothesis ``RuleBasedStateMachine`` drives cases through ``case_judge``, ``case_transition`` and
``case_reclassify`` with any action name (legal, illegal, of the other flow, unknown), any of several actors (with
and without the capability), blank or given reasons and reason codes, and fresh or stale copies of the case. The
machine keeps its own model of the case (flow, state, version, events, mail) and predicts for each call either
the exact effect or the set of refusals that may explain a refusal. After every step it checks the invariants:

* the case's state is a state of its current flow and equals the model's;
* a refused call changed nothing (state, flow, version, dates, event count, outbox count);
* an accepted call appended exactly one event whose from/to match, and bumped the version by one;
* terminal states stay terminal (closed cases are kept and re-checked while new ones are worked);
* ``received_on`` never changes, across reclassification too;
* the case counts in exactly one published category of its flow's partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.db.models import Count, Max
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.cases import flows
from earlywarn.cases.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from earlywarn.cases.models import Case, CaseEvent
from earlywarn.cases.policy import ActionDenied, Actor
from earlywarn.cases.services import case_judge, case_reclassify, case_transition
from earlywarn.notify.models import OutboxMessage
from tests import factories

REFUSALS = (InvalidTransition, ActionDenied, ValidationFailed, ConcurrentChange)
FINDER_EMAIL = "finder@example.test"

# Every action name of either flow, plus names that are no action of any flow.
ACTIONS = [*sorted({a for definition in flows.FLOWS.values() for a in definition.transitions}),
           "", "no_such_action", "reclassify", "ACCEPT"]
REASONS = ["", "   ", "理由があります"]
REASON_CODES = ["", "bogus", *flows.REJECTION_REASONS]
# Administrators are drawn most often so that the machine goes deep; the others mostly probe refusals.
ACTOR_KEYS = ["administrator"] * 4 + ["handler", "coordinator", "developer", "finder"]
STALE = st.sampled_from([False, False, True])
# "legal": an administrator takes an action the table allows now; "any": anything by anyone; "reclassify".
MOVES = ["legal"] * 7 + ["any"] * 4 + ["reclassify"]
CONTACTABLE = st.sampled_from([True, True, True, False])
# Each case gets a goal state that the administrator's legal moves lean towards, so that every state is visited:
# the cases of one example take their goals in turn from this list, starting at a drawn offset. The other flow's
# states are reached through reclassification.
GOALS = {kind: [(kind, s) for s in flows.definition(kind).states if s != "received"] * 2
         + [(other, s) for other in ("product", "website") if other != kind
            for s in flows.definition(other).states if s != "received"]
         for kind in ("product", "website")}


def _first_steps(definition: flows.FlowDefinition) -> dict[tuple[str, str], str]:
    """(state, goal) → the first action of a shortest path from state to goal in the table."""
    table: dict[tuple[str, str], str] = {}
    for start in definition.states:
        seen, frontier = {start}, [(t.target, t.action) for t in definition.transitions_from(start)]
        while frontier:
            following = []
            for state, first in frontier:
                if state in seen:
                    continue
                seen.add(state)
                table[(start, state)] = first
                following += [(t.target, first) for t in definition.transitions_from(state)]
            frontier = following
    return table


FIRST_STEPS = {flow: _first_steps(definition) for flow, definition in flows.FLOWS.items()}


def granted(actor_key: str, capability: str, flow: str) -> bool:
    """The staff policy of policy.py's docstring, restated independently of its table."""
    if actor_key == "administrator":
        return True
    if actor_key == "handler":
        return capability in {"case:judge", "case:reclassify", "case:handle_website"}
    if actor_key == "coordinator":
        return flow == "product" and capability in {"case:coordinate", "case:publish"}
    return False  # developer participants and the finder take no action on a case


def acceptance_rule_passes(flow: str, contactable: bool) -> bool:
    from django.conf import settings as django_settings

    key = "PRODUCT_REQUIRES_CONTACTABLE_FINDER" if flow == "product" else "WEBSITE_REQUIRES_CONTACTABLE_FINDER"
    return contactable or not django_settings.EARLYWARN[key]


def _observed(pk: Any) -> dict[str, Any]:
    """Everything about a case that a call could change."""
    row = Case.objects.filter(pk=pk).annotate(n_events=Count("events"), last_event=Max("events__id")).values(
        "flow", "state", "version", "received_on", "accepted_at", "judged_at", "closed_at", "rejection_reason",
        "updated_at", "n_events", "last_event").get()
    return {**row, "n_mail": OutboxMessage.objects.filter(case_id=pk).count()}


@dataclass
class Stats:
    examples: int = 0
    steps: int = 0
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    states: set[tuple[str, str]] = field(default_factory=set)
    reclassified: int = 0


@dataclass(frozen=True)
class Expected:
    """What an accepted call must do."""

    flow: str
    state: str
    tag: str
    mail: bool
    fields: dict[str, Any] = field(default_factory=dict)


class CaseMachine(RuleBasedStateMachine):
    kind: ClassVar[str]
    users: ClassVar[dict[str, Any]]
    developer_org: ClassVar[Any]
    stats: ClassVar[Stats]

    # --- cases -------------------------------------------------------------------------------------------

    @initialize(contactable=CONTACTABLE, offset=st.integers(0, 2 * len(flows.PRODUCT.states)))
    def first_case(self, contactable: bool, offset: int) -> None:
        self.stats.examples += 1
        self.closed_cases: dict[Any, dict[str, Any]] = {}
        self.staff = {key: Actor.for_user(user) for key, user in self.users.items()}
        self.goal_index = offset
        self.new_case(contactable)

    def next_case(self, contactable: bool) -> None:
        """Once the case is closed, keep it (it must stay exactly as it is) and go on with a new one."""
        self.closed_cases[self.case_pk] = self.observed
        self.new_case(contactable)

    def new_case(self, contactable: bool) -> None:
        receipt = factories.submit(self.kind, finder_email=FINDER_EMAIL if contactable else "")
        self.case_pk = receipt.case.pk
        factories.bring_in(receipt.case, self.developer_org)
        self.actors = {**self.staff, "finder": Actor.for_status_link(receipt.report.id)}
        self.contactable = contactable
        goals = GOALS[self.kind]
        self.goal = goals[self.goal_index % len(goals)]  # (flow, state) the legal moves lean towards
        self.goal_index += 1
        # The model.
        self.flow, self.state, self.version = self.kind, "received", 0
        self.received_on = receipt.case.received_on
        self.events = 1  # case:report:received
        self.closed_in: str | None = None
        self.stale: Case | None = None  # a copy of the case from before the last accepted change
        self.observed = _observed(self.case_pk)

    # --- one call ----------------------------------------------------------------------------------------

    def _fresh(self) -> Case:
        return Case.objects.select_related("report").get(pk=self.case_pk)

    def _attempt(self, copy: Case, call, refusals: set[type], expected: Expected | None, actor_key: str) -> None:
        self.stats.steps += 1
        before = self.observed
        copy_version = copy.version
        refused: Exception | None = None
        try:
            result = call()
        except REFUSALS as exc:
            refused = exc
        assert copy.version == copy_version, "the service changed the caller's copy"
        if refused is not None:
            assert refusals, f"refused with {refused!r}; the model expected {expected}"
            assert isinstance(refused, tuple(refusals)), f"refused with {refused!r}; expected one of {refusals}"
            self.observed = _observed(self.case_pk)
            assert self.observed == before, "a refused call changed something"
            name = type(refused).__name__
            self.stats.refused[name] = self.stats.refused.get(name, 0) + 1
            return
        assert not refusals, f"accepted; the model expected a refusal: {refusals}"
        assert expected is not None
        self.stats.accepted += 1
        after = self.observed = _observed(self.case_pk)
        # Exactly one event, describing exactly this change.
        assert after["n_events"] == before["n_events"] + 1
        event = CaseEvent.objects.get(case_id=self.case_pk, id__gt=before["last_event"])
        assert event.tag == expected.tag
        assert (event.from_flow, event.to_flow) == (self.flow, expected.flow)
        assert (event.from_state, event.to_state) == (self.state, expected.state)
        actor = self.actors[actor_key]
        assert event.actor_id == (actor.user.pk if actor.user else None)
        # The returned case is the stored one, one version on.
        assert (result.flow, result.state, result.version) == (after["flow"], after["state"], after["version"])
        assert (after["flow"], after["state"]) == (expected.flow, expected.state)
        assert after["version"] == before["version"] + 1
        for name, value in expected.fields.items():
            assert after[name] == value, name
        # Mail to the finder exactly when the model says so: the status, under the tracking id only.
        assert after["n_mail"] == before["n_mail"] + (1 if expected.mail else 0)
        if expected.mail:
            mail = OutboxMessage.objects.filter(case_id=self.case_pk).order_by("-created_at").first()
            assert (mail.template, mail.to) == ("status_changed", FINDER_EMAIL)
            assert result.tracking_id in mail.subject
            assert result.title not in mail.subject
        # The model follows.
        self.stale = copy  # unchanged by the call (checked above), so now one version behind
        self.flow, self.state, self.version = expected.flow, expected.state, self.version + 1
        self.events += 1
        if flows.definition(self.flow).state(self.state).terminal:
            self.closed_in = self.state
        self.stats.states.add((self.flow, self.state))
        if event.tag == "case:flow:reclassified":
            self.stats.reclassified += 1

    def _transition_model(self, copy: Case, action: str, actor_key: str, reason: str, reason_code: str,
                          via_judge: bool) -> tuple[set[type], Expected | None]:
        definition = flows.definition(copy.flow)
        transition = definition.transition(action)
        if transition is None:
            return {InvalidTransition}, None
        refusals: set[type] = set()
        if not granted(actor_key, transition.capability, copy.flow):
            refusals.add(ActionDenied)
        if transition.reason_codes and reason_code not in transition.reason_codes:
            refusals.add(ValidationFailed)
        if transition.needs_reason and not (reason.strip() or reason_code):
            refusals.add(ValidationFailed)
        if action == "accept" and via_judge and not acceptance_rule_passes(copy.flow, self.contactable):
            refusals.add(ValidationFailed)
        if copy.version != self.version:
            refusals.add(ConcurrentChange)
        if self.closed_in is not None or self.state not in transition.sources:
            refusals.add(InvalidTransition)
        if refusals:
            return refusals, None
        fields: dict[str, Any] = {"received_on": self.received_on}
        if action == "reject":
            fields["rejection_reason"] = reason_code
        terminal = definition.state(transition.target).terminal
        mail = self.contactable and (action in {"accept", "reject"} or terminal)
        return refusals, Expected(self.flow, transition.target, f"case:state:{action}", mail, fields)

    # --- rules -------------------------------------------------------------------------------------------

    @rule(move=st.sampled_from(MOVES), data=st.data())
    def step(self, move: str, data: st.DataObject) -> None:
        """One call. Weighted so that examples go deep into the flows and still probe every kind of refusal."""
        if move == "legal" and self.closed_in is not None:
            self.next_case(data.draw(CONTACTABLE, label="contactable"))
        elif move == "legal":
            self.legal_action(data)
        elif move == "reclassify":
            self.reclassify(data.draw(st.sampled_from(ACTOR_KEYS), label="actor"),
                            data.draw(st.sampled_from(REASONS), label="reason"), data.draw(STALE, label="stale"))
        else:
            self.any_action(data.draw(st.sampled_from(ACTIONS), label="action"),
                            data.draw(st.sampled_from(ACTOR_KEYS), label="actor"),
                            data.draw(st.sampled_from(REASONS), label="reason"),
                            data.draw(st.sampled_from(REASON_CODES), label="code"),
                            data.draw(STALE, label="stale"), data.draw(st.booleans(), label="via_judge"))

    def _copy(self, stale: bool) -> Case:
        return self.stale if stale and self.stale is not None else self._fresh()

    def any_action(self, action: str, actor_key: str, reason: str, reason_code: str, stale: bool,
                   via_judge: bool) -> None:
        """Any action name by any actor, with any reason, on a fresh or a stale copy."""
        copy, actor = self._copy(stale), self.actors[actor_key]
        if action == "accept":
            # Accepting goes through the judgment, which applies the acceptance rule; the bare transition bypasses
            # it (test_services.test_acceptance_rule_holds_for_the_accept_transition_itself).
            via_judge = True
        if action == "reject" and via_judge:
            def call() -> Case:
                return case_judge(actor=actor, case=copy, accept=False, reason=reason, reason_code=reason_code)
        elif action == "accept":
            def call() -> Case:
                return case_judge(actor=actor, case=copy, accept=True, reason=reason)
        else:
            # Reason codes go only where a transition declares them: elsewhere the service takes any code as a
            # reason (test_services.test_an_undeclared_reason_code_does_not_stand_in_for_the_reason).
            transition = flows.definition(copy.flow).transition(action)
            reason_code = reason_code if transition is not None and transition.reason_codes else ""

            def call() -> Case:
                return case_transition(actor=actor, case=copy, action=action, reason=reason, reason_code=reason_code)
        refusals, expected = self._transition_model(copy, action, actor_key, reason, reason_code, via_judge)
        self._attempt(copy, call, refusals, expected, actor_key)

    def legal_action(self, data: st.DataObject) -> None:
        """An administrator takes one of the actions the table allows now, with a valid reason."""
        definition = flows.definition(self.flow)
        legal = [t for t in definition.transitions_from(self.state)
                 if t.action != "accept" or acceptance_rule_passes(self.flow, self.contactable)]
        if not legal:
            assert self.closed_in == self.state
            return
        # Lean towards the case's goal; otherwise prefer the actions that keep the case open.
        weighted = sorted(t.action for t in legal for _ in range(1 if definition.state(t.target).terminal else 2))
        if self.state in flows.RECLASSIFIABLE_STATES[definition.flow]:
            weighted.append("reclassify")
        goal_flow, goal_state = self.goal
        if goal_flow != self.flow and "reclassify" in weighted:
            weighted += ["reclassify"] * 4
        towards = FIRST_STEPS[definition.flow].get((self.state, goal_state)) if goal_flow == self.flow else None
        if towards is not None and towards in weighted:
            action = towards
        else:
            action = data.draw(st.sampled_from(weighted), label="action")
        if action == "reclassify":
            self.reclassify("administrator", "検証の結果", False)
            return
        transition = definition.transition(action)
        reason_code = data.draw(st.sampled_from(transition.reason_codes), label="code") if transition.reason_codes \
            else ""
        copy, actor = self._fresh(), self.actors["administrator"]
        if action == "accept":
            def call() -> Case:
                return case_judge(actor=actor, case=copy, accept=True, reason="理由")
        else:
            def call() -> Case:
                return case_transition(actor=actor, case=copy, action=action, reason="理由", reason_code=reason_code)
        refusals, expected = self._transition_model(copy, action, "administrator", "理由", reason_code, True)
        assert not refusals
        self._attempt(copy, call, refusals, expected, "administrator")

    def reclassify(self, actor_key: str, reason: str, stale: bool) -> None:
        """Move the case to the other flow (§4.3)."""
        copy, actor = self._copy(stale), self.actors[actor_key]
        refusals: set[type] = set()
        if not granted(actor_key, "case:reclassify", copy.flow):
            refusals.add(ActionDenied)
        if not reason.strip():
            refusals.add(ValidationFailed)
        if copy.version != self.version:
            refusals.add(ConcurrentChange)
        if self.closed_in is not None or self.state not in flows.RECLASSIFIABLE_STATES[flows.Flow(self.flow)]:
            refusals.add(InvalidTransition)
        expected = None
        if not refusals:
            other = "website" if self.flow == "product" else "product"
            expected = Expected(other, flows.reclassification_target(self.state), "case:flow:reclassified", False,
                                {"received_on": self.received_on})

        def call() -> Case:
            return case_reclassify(actor=actor, case=copy, reason=reason)

        self._attempt(copy, call, refusals, expected, actor_key)

    # --- invariants --------------------------------------------------------------------------------------

    @invariant()
    def the_case_matches_the_model(self) -> None:
        row = self.observed  # read from the database right after the step
        assert row["flow"] in {f.value for f in flows.Flow}
        definition = flows.definition(row["flow"])
        assert row["state"] in definition.states, f"{row['state']} is no state of the {row['flow']} flow"
        assert (row["flow"], row["state"], row["version"]) == (self.flow, self.state, self.version)
        assert row["received_on"] == self.received_on
        assert row["n_events"] == self.events
        # It counts in exactly one published category of its flow's partition (sub-statuses inside one).
        state = definition.state(row["state"])
        partition = flows.PRODUCT_CATEGORIES if row["flow"] == "product" else flows.WEBSITE_CATEGORIES
        category = state.published_category(definition.flow)
        assert sum(1 for c in partition if c == category) == 1
        assert state.sub_status is None or state.sub_status not in partition
        # Closed exactly when not 取扱い中 (§3.7), and closed_at says so.
        assert (category.ja == "取扱い中") is (not state.terminal)
        assert (row["closed_at"] is not None) is state.terminal

    @invariant()
    def terminal_states_stay_terminal(self) -> None:
        if self.closed_in is not None:
            assert self.state == self.closed_in
        if self.closed_cases and self.stats.steps % 5 == 0:  # every few steps: they never change anyway
            assert {pk: _observed(pk) for pk in self.closed_cases} == self.closed_cases


SETTINGS = settings(max_examples=20, stateful_step_count=35, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow], print_blob=False)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["product", "website"])
def test_case_state_machine(kind):
    developer = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER)
    users = {"administrator": factories.administrator(), "handler": factories.handler(),
             "coordinator": factories.coordinator(), "developer": developer}
    stats = Stats()
    machine = type(f"{kind.title()}CaseMachine", (CaseMachine,), {
        "kind": kind, "users": users, "developer_org": developer.memberships.get().organisation, "stats": stats})
    run_state_machine_as_test(machine, settings=SETTINGS)
    print(kind, stats)
    # The run really explored: many steps, both outcomes, every kind of refusal, every state of the first flow.
    assert stats.steps >= 300
    assert stats.accepted >= 100
    assert set(stats.refused) == {"InvalidTransition", "ActionDenied", "ValidationFailed", "ConcurrentChange"}
    assert stats.reclassified >= 1
    reached = {state for flow, state in stats.states if flow == kind}
    assert reached | {"received"} == set(flows.definition(kind).states)
