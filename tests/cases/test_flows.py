"""The declared flows (earlywarn.cases.flows) checked against the status model of partnership.md §3.4–§3.7.

The expected labels and edges below are copied from the spec, not from the code, so a change to the tables that
drifts from the spec fails here.
"""

from __future__ import annotations

from collections import deque

import pytest

from earlywarn.cases import flows
from earlywarn.cases.flows import Flow, FlowDefinition

# §3.4 / §3.5: the top-level partition of each flow (code → exact Japanese label of the published category).
PARTITION_JA = {
    Flow.PRODUCT: {"公表済み", "個別対応", "脆弱性ではない", "取扱い中", "不受理"},
    Flow.WEBSITE: {"修正完了", "注意喚起", "脆弱性ではない", "取扱い中", "取扱不能", "不受理"},
}
# §3.7: published sub-status → the category of the partition that counts it.
SUB_STATUS_PARENT = {
    Flow.PRODUCT: {"調整不能": "公表済み", "連絡不能開発者": "取扱い中"},
    Flow.WEBSITE: {"当該ページを削除": "修正完了", "運用で回避": "修正完了"},
}
IN_HANDLING_JA = "取扱い中"

DEFINITIONS = [pytest.param(flows.PRODUCT, id="product"), pytest.param(flows.WEBSITE, id="website")]


def _partition(definition: FlowDefinition):
    return flows.PRODUCT_CATEGORIES if definition.flow is Flow.PRODUCT else flows.WEBSITE_CATEGORIES


def _reachable(definition: FlowDefinition, start: str) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for transition in definition.transitions_from(queue.popleft()):
            if transition.target not in seen:
                seen.add(transition.target)
                queue.append(transition.target)
    return seen


def test_the_registry_holds_both_flows_under_their_names():
    assert flows.FLOWS == {Flow.PRODUCT: flows.PRODUCT, Flow.WEBSITE: flows.WEBSITE}
    assert flows.definition("product") is flows.PRODUCT
    assert flows.definition(Flow.WEBSITE) is flows.WEBSITE
    with pytest.raises(ValueError, match="nonsense"):
        flows.definition("nonsense")


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_partition_has_exactly_the_spec_labels(definition):
    partition = _partition(definition)
    labels = [c.ja for c in partition]
    assert sorted(labels) == sorted(PARTITION_JA[definition.flow])
    assert len(set(labels)) == len(labels)
    assert len({c.code for c in partition}) == len(partition)
    assert all(c.en for c in partition)


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_every_state_counts_in_exactly_one_category_of_its_flow(definition):
    partition = _partition(definition)
    assert definition.initial in definition.states
    for code, state in definition.states.items():
        assert state.code == code
        assert state.ja
        assert state.en
        category = state.published_category(definition.flow)
        matches = [c for c in partition if c == category]
        assert len(matches) == 1, f"{code} counts in {category} which is not one category of {definition.flow}"
        # The declared default must be a category of the same flow too, even where configuration overrides it.
        assert state.category in partition, code


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_every_category_of_the_partition_is_used_by_some_state(definition):
    used = {s.published_category(definition.flow).ja for s in definition.states.values()}
    assert used == PARTITION_JA[definition.flow]


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_sub_statuses_count_inside_their_parent_category(definition):
    expected = SUB_STATUS_PARENT[definition.flow]
    seen: dict[str, set[str]] = {}
    for state in definition.states.values():
        if state.sub_status is not None:
            seen.setdefault(state.sub_status.ja, set()).add(state.published_category(definition.flow).ja)
    assert seen == {sub: {parent} for sub, parent in expected.items()}
    # A sub-status is never itself a category of the partition (it is counted inside one).
    assert not set(expected) & PARTITION_JA[definition.flow]


def test_product_sub_status_labels_and_states():
    states = flows.PRODUCT.states
    assert states["published_coordination_impossible"].sub_status == flows.P_COORDINATION_IMPOSSIBLE
    assert states["published_coordination_impossible"].category.ja == "公表済み"
    assert flows.P_COORDINATION_IMPOSSIBLE.ja == "調整不能"
    assert states["unreachable_listed"].sub_status == flows.P_UNREACHABLE
    assert states["unreachable_listed"].category.ja == "取扱い中"
    assert flows.P_UNREACHABLE.ja == "連絡不能開発者"


def test_website_fixed_includes_page_deleted_and_workaround():
    states = flows.WEBSITE.states
    fixed = {code for code, s in states.items() if s.category.ja == "修正完了"}
    assert fixed == {"fixed", "fixed_page_deleted", "fixed_workaround"}
    assert {states[c].sub_status.ja for c in fixed if states[c].sub_status} == {"当該ページを削除", "運用で回避"}
    assert states["fixed"].sub_status is None


def test_website_has_three_distinct_unable_states():
    unable = {code: s for code, s in flows.WEBSITE.states.items() if s.category.ja == "取扱不能"}
    assert len(unable) == 3
    assert len({s.ja for s in unable.values()}) == 3
    assert len({s.en for s in unable.values()}) == 3
    # The three sub-reasons of §3.5 (a) no answer, (b) operator declined, (c) no means of contact.
    assert {code.removeprefix("unable_") for code in unable} == set(flows.UNABLE_REASONS)
    assert all(s.terminal for s in unable.values())
    # Each reason is reachable by its own action.
    actions = {t.target: t.action for t in flows.WEBSITE.transitions.values() if t.target in unable}
    assert set(actions) == set(unable)
    assert len(set(actions.values())) == 3


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_transitions_name_existing_states(definition):
    assert definition.transitions
    for action, transition in definition.transitions.items():
        assert transition.action == action
        assert transition.sources, action
        assert transition.sources <= set(definition.states), action
        assert transition.target in definition.states, action
        assert transition.target not in transition.sources, f"{action} is a self-loop"
        assert transition.capability.startswith("case:"), action
        assert transition.ja
        assert transition.en
        if transition.reason_codes:
            assert transition.needs_reason, action
        assert definition.transition(action) is transition
    assert definition.transition("no-such-action") is None


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_capabilities_are_policy_actions(definition):
    from earlywarn.cases.policy import Action

    for transition in definition.transitions.values():
        Action(transition.capability)


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_every_state_is_reachable_from_the_initial_state(definition):
    assert _reachable(definition, definition.initial) == set(definition.states)


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_terminal_states_have_no_outgoing_transitions(definition):
    for code, state in definition.states.items():
        if state.terminal:
            assert definition.transitions_from(code) == [], code
    for transition in definition.transitions.values():
        assert not any(definition.states[s].terminal for s in transition.sources), transition.action


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_every_non_terminal_state_can_reach_a_terminal_state(definition):
    terminals = {code for code, s in definition.states.items() if s.terminal}
    assert terminals
    for code, state in definition.states.items():
        if not state.terminal:
            assert definition.transitions_from(code), f"{code} is a dead end"
            assert _reachable(definition, code) & terminals, f"{code} cannot be closed"


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_closed_means_every_category_except_in_handling(definition):
    """§3.7: 取扱い終了 (closed) = all statuses except 取扱い中 — terminal exactly when not counted 取扱い中."""
    for code, state in definition.states.items():
        in_handling = state.published_category(definition.flow).ja == IN_HANDLING_JA
        assert state.terminal is not in_handling, code
    in_handling_codes = flows.IN_HANDLING_PRODUCT if definition.flow is Flow.PRODUCT else flows.IN_HANDLING_WEBSITE
    assert set(in_handling_codes) == {c for c, s in definition.states.items() if not s.terminal}


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_acceptance_judgment_is_the_only_way_out_of_received(definition):
    """§3.1/§3.6: a new report becomes 取扱い中 (accept) or 不受理 (reject, with a listed reason)."""
    outgoing = {t.action: t for t in definition.transitions_from(definition.initial)}
    assert set(outgoing) == {"accept", "reject"}
    assert definition.states[outgoing["reject"].target].category.ja == "不受理"
    assert definition.states[outgoing["accept"].target].category.ja == IN_HANDLING_JA
    assert outgoing["reject"].reason_codes == tuple(flows.REJECTION_REASONS)
    assert {"out_of_scope", "finder_not_contactable"} <= set(flows.REJECTION_REASONS)
    assert all(t.capability == "case:judge" for t in outgoing.values())
    # 不受理 is reached by the judgment only.
    rejected = {t.action for t in definition.transitions.values()
                if definition.states[t.target].category.ja == "不受理"}
    assert rejected == {"reject"}


def _edges(definition: FlowDefinition) -> set[tuple[str, str]]:
    return {(s, t.target) for t in definition.transitions.values() for s in t.sources}


def test_product_edges_of_section_3_6_exist():
    edges = _edges(flows.PRODUCT)
    for edge in [
        ("coordinating", "published"),
        ("coordinating", "not_vulnerability"),
        ("coordinating", "individual_handling"),
        ("coordinating", "unreachable_listed"),  # developer cannot be contacted → listed
        ("unreachable_listed", "coordinating"),  # coordination resumed (調整を再開)
        ("unreachable_listed", "committee"),
        ("coordinating", "committee"),  # 調整難航
        ("committee", "published_coordination_impossible"),
        ("committee", "coordinating"),  # 2012: coordination progresses again after the committee stage
        ("coordinating", "closed_eol_a"),
    ]:
        assert edge in edges, edge
    # 調整不能 is published through the committee only.
    into = {s for s, t in edges if t == "published_coordination_impossible"}
    assert into == {"committee"}
    # Only the committee-publication and publication actions need the publish capability.
    publishing = {t.action for t in flows.PRODUCT.transitions.values() if t.capability == "case:publish"}
    assert publishing == {"publish", "committee_publish"}


def test_website_edges_of_section_3_6_exist():
    edges = _edges(flows.WEBSITE)
    for target in ["fixed", "fixed_page_deleted", "fixed_workaround", "alert_closed", "not_vulnerability",
                   "unable_no_response", "unable_operator_declined", "unable_no_contact"]:
        assert ("operator_notified", target) in edges, target
    # No JVN publication exists in the website flow (§3.3 item 8).
    assert not any(t.capability == "case:publish" for t in flows.WEBSITE.transitions.values())
    assert {t.capability for t in flows.WEBSITE.transitions.values()} == {"case:judge", "case:handle_website"}


@pytest.mark.parametrize("flow", list(Flow))
def test_reclassification_is_only_from_in_handling_states_into_the_other_flow(flow):
    """§4.3: a case still in handling moves to the other flow; its target must exist there and be in handling."""
    source = flows.FLOWS[flow]
    other = flows.FLOWS[Flow.WEBSITE if flow is Flow.PRODUCT else Flow.PRODUCT]
    reclassifiable = flows.RECLASSIFIABLE_STATES[flow]
    assert reclassifiable <= set(source.states)
    assert source.initial in reclassifiable
    for code in reclassifiable:
        assert not source.states[code].terminal, code
        target = flows.reclassification_target(code)
        assert target in other.states
        assert not other.states[target].terminal
    assert flows.reclassification_target("received") == "received"


# --- configurable categories (§3.6: EOL case A and known vulnerabilities have no stated bucket) ------------

CONFIGURABLE = [("closed_eol_a", "CATEGORY_EOL_A"), ("closed_known_vulnerability", "CATEGORY_KNOWN_VULNERABILITY")]


def _configure(settings, **values):
    settings.EARLYWARN = {**settings.EARLYWARN, **values}


def test_only_the_open_buckets_are_configurable():
    configurable = {(code, s.configurable_category) for f in flows.FLOWS.values()
                    for code, s in f.states.items() if s.configurable_category}
    assert configurable == set(CONFIGURABLE)


@pytest.mark.parametrize(("state", "key"), CONFIGURABLE)
def test_default_configuration_is_a_closed_category(state, key):
    from django.conf import settings as django_settings

    assert key in django_settings.EARLYWARN
    category = flows.PRODUCT.state(state).published_category(Flow.PRODUCT)
    assert category in flows.PRODUCT_CATEGORIES
    assert category.code == django_settings.EARLYWARN[key]
    assert category.ja not in {"取扱い中", "不受理"}


@pytest.mark.parametrize(("state", "key"), CONFIGURABLE)
@pytest.mark.parametrize("wanted", ["published", "individual_handling", "not_vulnerability"])
def test_configured_category_takes_effect(state, key, wanted, settings):
    _configure(settings, **{key: wanted})
    category = flows.PRODUCT.state(state).published_category(Flow.PRODUCT)
    assert category.code == wanted
    assert category in flows.PRODUCT_CATEGORIES
    other_state, other_key = next(pair for pair in CONFIGURABLE if pair[0] != state)
    _configure(settings, **{other_key: "individual_handling"})
    assert flows.PRODUCT.state(other_state).published_category(Flow.PRODUCT).code == "individual_handling"


@pytest.mark.parametrize(("state", "key"), CONFIGURABLE)
@pytest.mark.parametrize("wanted", ["fixed", "unable", "alert_closed", "", "公表済み", "PUBLISHED", "nonsense"])
def test_invalid_configured_category_raises(state, key, wanted, settings):
    """A value that is no category code of the product partition (website codes included) is refused loudly."""
    _configure(settings, **{key: wanted})
    with pytest.raises(ValueError, match=key):
        flows.PRODUCT.state(state).published_category(Flow.PRODUCT)


@pytest.mark.parametrize(("state", "key"), CONFIGURABLE)
@pytest.mark.parametrize("wanted", ["in_handling", "not_accepted"])
def test_a_closed_state_cannot_be_configured_into_in_handling_or_not_accepted(state, key, wanted, settings):
    """§3.7: 取扱い終了 = every status except 取扱い中, and 不受理 means "not a report the notice defines".

    A closed, accepted case counted as 取扱い中 or 不受理 would break both the partition's meaning and the
    breakdown denominators ("不受理分を除いた"), so such a configuration must be refused like any invalid value.
    """
    _configure(settings, **{key: wanted})
    with pytest.raises(ValueError, match=key):
        flows.PRODUCT.state(state).published_category(Flow.PRODUCT)
