"""Unit tests of the case services: judgment, transitions, reclassification, versions, outbox mail, messages."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine

from earlywarn.accounts.models import Membership, OrganisationKind, Role
from earlywarn.cases import flows
from earlywarn.cases.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from earlywarn.cases.models import Case, CaseEvent, Message, Visibility
from earlywarn.cases.policy import ActionDenied, Actor
from earlywarn.cases.services import case_judge, case_reclassify, case_transition, message_post
from earlywarn.intake.models import Report
from earlywarn.intake.services import report_submit
from earlywarn.notify.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db

TITLE = "Stored XSS in the admin console of ExampleCMS"


# --- helpers ----------------------------------------------------------------------------------------------


def _actor(user) -> Actor:
    return Actor.for_user(user)


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("report").get(pk=case.pk)


def _snapshot(case: Case) -> tuple:
    """Everything a refused call must leave untouched."""
    row = Case.objects.get(pk=case.pk)
    return (row.flow, row.state, row.version, row.accepted_at, row.judged_at, row.closed_at, row.rejection_reason,
            row.received_on, CaseEvent.objects.count(), OutboxMessage.objects.count(), Message.objects.count())


def _new(kind: str = "product", **overrides) -> Case:
    overrides.setdefault("title", TITLE)
    return factories.submit(kind, **overrides).case


def _walk(case: Case, actor: Actor, *actions: str) -> Case:
    for action in actions:
        if action == "accept":
            case = case_judge(actor=actor, case=case, accept=True)
        else:
            case = case_transition(actor=actor, case=case, action=action, reason="理由")
        assert case.state == flows.definition(case.flow).transition(action).target
    return case


def _configure(settings, **values):
    settings.EARLYWARN = {**settings.EARLYWARN, **values}


@pytest.fixture
def admin(administrator):
    return _actor(administrator)


@pytest.fixture
def judge(handler):
    return _actor(handler)


@pytest.fixture
def coord(coordinator):
    return _actor(coordinator)


# --- acceptance judgment (受理判断) -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["product", "website"])
def test_accept_moves_into_content_check_and_records_the_judgment(kind, judge, handler):
    case = _new(kind)
    events_before = list(CaseEvent.objects.filter(case=case).values_list("pk", flat=True))
    accepted = case_judge(actor=judge, case=case, accept=True, reason="  受理します  ")
    assert accepted.state == "content_check"
    assert accepted.flow == kind
    assert accepted.version == case.version + 1
    assert accepted.accepted_at is not None
    assert accepted.judged_at is not None
    assert accepted.closed_at is None
    assert accepted.rejection_reason == ""
    assert accepted.published_category.ja == "取扱い中"
    new_events = CaseEvent.objects.filter(case=case).exclude(pk__in=events_before)
    assert new_events.count() == 1
    event = new_events.get()
    assert (event.tag, event.from_flow, event.to_flow, event.from_state, event.to_state) == (
        "case:state:accept", kind, kind, "received", "content_check")
    assert event.actor == handler
    assert event.actor_label == handler.email
    assert event.reason == "受理します"
    # The caller's object is not silently changed: it is now stale, and the service says so.
    assert case.version == 0
    with pytest.raises(ConcurrentChange):
        case_judge(actor=judge, case=case, accept=True)


@pytest.mark.parametrize("reason_code", list(flows.REJECTION_REASONS))
@pytest.mark.parametrize("kind", ["product", "website"])
def test_reject_records_reason_code_and_judged_at(kind, reason_code, judge):
    case = _new(kind)
    rejected = case_judge(actor=judge, case=case, accept=False, reason_code=reason_code, reason="メモ")
    assert rejected.state == "not_accepted"
    assert rejected.rejection_reason == reason_code
    assert rejected.judged_at is not None
    assert rejected.accepted_at is None
    assert rejected.closed_at is not None
    assert rejected.published_category.ja == "不受理"
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.tag == "case:state:reject"
    assert (event.from_state, event.to_state) == ("received", "not_accepted")
    assert event.data["reason_code"] == reason_code
    assert event.reason == "メモ"


@pytest.mark.parametrize("reason_code", ["", "   ", "bogus", "OUT_OF_SCOPE", "out_of_scope "])
def test_reject_requires_a_listed_reason_code(reason_code, judge):
    case = _new("product")
    before = _snapshot(case)
    with pytest.raises(ValidationFailed) as excinfo:
        case_judge(actor=judge, case=case, accept=False, reason_code=reason_code, reason="free text is not enough")
    assert excinfo.value.field == "reason_code"
    # The same rule holds when the transition is called directly.
    with pytest.raises(ValidationFailed):
        case_transition(actor=judge, case=case, action="reject", reason_code=reason_code, reason="x")
    assert _snapshot(case) == before


def test_only_judging_staff_may_judge(coord, administrator):
    case = _new("product")
    before = _snapshot(case)
    with pytest.raises(ActionDenied):
        case_judge(actor=coord, case=case, accept=False, reason_code="out_of_scope")
    with pytest.raises(ActionDenied):
        case_transition(actor=coord, case=case, action="accept")
    with pytest.raises(ActionDenied):
        case_judge(actor=Actor.anonymous(), case=case, accept=False, reason_code="spam")
    assert _snapshot(case) == before
    assert case_judge(actor=_actor(administrator), case=case, accept=True).state == "content_check"


@pytest.mark.parametrize("kind", ["product", "website"])
def test_a_judged_case_cannot_be_judged_again(kind, judge):
    case = case_judge(actor=judge, case=_new(kind), accept=True)
    before = _snapshot(case)
    with pytest.raises(InvalidTransition):
        case_judge(actor=judge, case=case, accept=True)
    with pytest.raises(InvalidTransition):
        case_judge(actor=judge, case=case, accept=False, reason_code="duplicate")
    assert _snapshot(case) == before


# --- the acceptance rule (§4.1/§4.2): configurable contactability ---------------------------------------


def test_product_report_without_contact_is_refused_when_the_rule_requires_it(settings, judge):
    _configure(settings, PRODUCT_REQUIRES_CONTACTABLE_FINDER=True)
    case = _new("product", finder_email="")
    assert case.report.finder_contactable is False
    before = _snapshot(case)
    with pytest.raises(ValidationFailed) as excinfo:
        case_judge(actor=judge, case=case, accept=True)
    assert excinfo.value.code == "finder_not_contactable"
    assert _snapshot(case) == before
    # Rejecting for that very reason stays possible.
    rejected = case_judge(actor=judge, case=case, accept=False, reason_code="finder_not_contactable")
    assert rejected.rejection_reason == "finder_not_contactable"


def test_product_report_without_contact_is_accepted_when_the_rule_is_off(settings, judge):
    _configure(settings, PRODUCT_REQUIRES_CONTACTABLE_FINDER=False)
    case = _new("product", finder_email="")
    assert case_judge(actor=judge, case=case, accept=True).state == "content_check"
    # No finder address, no mail.
    assert not OutboxMessage.objects.filter(case=case).exists()


def test_product_report_with_contact_is_accepted_under_the_rule(settings, judge):
    _configure(settings, PRODUCT_REQUIRES_CONTACTABLE_FINDER=True)
    assert case_judge(actor=judge, case=_new("product"), accept=True).state == "content_check"


def test_anonymous_but_contactable_product_finder_is_accepted(settings, judge):
    """§4.2 opinion (3): anonymity and contactability are separate conditions; the rule is about contact."""
    _configure(settings, PRODUCT_REQUIRES_CONTACTABLE_FINDER=True)
    case = _new("product", finder_name="")
    assert case.report.finder_identity_provided is False
    assert case_judge(actor=judge, case=case, accept=True).state == "content_check"


def test_website_report_without_contact_is_accepted_by_default(judge):
    from django.conf import settings as django_settings

    assert django_settings.EARLYWARN["WEBSITE_REQUIRES_CONTACTABLE_FINDER"] is False
    case = _new("website", finder_email="", finder_name="")
    assert case_judge(actor=judge, case=case, accept=True).state == "content_check"


def test_website_rule_can_be_switched_on(settings, judge):
    _configure(settings, WEBSITE_REQUIRES_CONTACTABLE_FINDER=True)
    case = _new("website", finder_email="")
    with pytest.raises(ValidationFailed):
        case_judge(actor=judge, case=case, accept=True)
    assert _fresh(case).state == "received"


def test_acceptance_rule_holds_for_the_accept_transition_itself(settings, judge):
    """The rule is a service invariant, not a property of one entry point: ``case_transition("accept")``
    is public and must not accept what ``case_judge(accept=True)`` refuses."""
    _configure(settings, PRODUCT_REQUIRES_CONTACTABLE_FINDER=True)
    case = _new("product", finder_email="")
    before = _snapshot(case)
    with pytest.raises(ValidationFailed):
        case_transition(actor=judge, case=case, action="accept")
    assert _snapshot(case) == before


def test_acceptance_rule_does_not_reveal_anything_to_someone_who_may_not_judge(settings, coord):
    """Permission comes first: a coordinator gets ActionDenied, not a hint about the finder's contact data."""
    _configure(settings, PRODUCT_REQUIRES_CONTACTABLE_FINDER=True)
    case = _new("product", finder_email="")
    with pytest.raises(ActionDenied):
        case_judge(actor=coord, case=case, accept=True)


# --- transitions -------------------------------------------------------------------------------------------


def test_unknown_and_foreign_actions_are_invalid_transitions(admin):
    case = _new("product")
    before = _snapshot(case)
    for action in ["", "no_such_action", "close_fixed", "notify_operator", "reclassify", "ACCEPT"]:
        with pytest.raises(InvalidTransition) as excinfo:
            case_transition(actor=admin, case=case, action=action)
        assert excinfo.value.code == "unknown_action"
    assert _snapshot(case) == before
    website = _new("website")
    with pytest.raises(InvalidTransition):
        case_transition(actor=admin, case=website, action="publish")


def test_illegal_source_state_is_refused(admin):
    case = _new("product")
    before = _snapshot(case)
    with pytest.raises(InvalidTransition) as excinfo:
        case_transition(actor=admin, case=case, action="publish")
    assert excinfo.value.code == "invalid_transition"
    assert _snapshot(case) == before


@pytest.mark.parametrize(("kind", "action"), [
    (flow.flow.value, t.action) for flow in flows.FLOWS.values() for t in flow.transitions.values()
    if t.needs_reason and not t.reason_codes
])
def test_actions_needing_a_reason_refuse_a_blank_one(kind, action, admin):
    definition = flows.definition(kind)
    case = _new(kind)
    path = _path_to(definition, next(iter(definition.transition(action).sources)))
    case = _walk(case, admin, *path)
    before = _snapshot(case)
    for blank in ["", "   ", "\n\t"]:
        with pytest.raises(ValidationFailed) as excinfo:
            case_transition(actor=admin, case=case, action=action, reason=blank)
        assert excinfo.value.field == "reason"
    assert _snapshot(case) == before
    done = case_transition(actor=admin, case=case, action=action, reason="  根拠  ")
    assert done.state == definition.transition(action).target
    assert CaseEvent.objects.filter(case=case).latest("id").reason == "根拠"


def test_an_undeclared_reason_code_does_not_stand_in_for_the_reason(admin):
    """Only transitions that declare reason codes take one; elsewhere an arbitrary code is not a reason."""
    case = _walk(_new("product"), admin, "accept", "start_coordination")
    before = _snapshot(case)
    with pytest.raises(ValidationFailed):
        case_transition(actor=admin, case=case, action="close_individual", reason="", reason_code="whatever")
    assert _snapshot(case) == before


def _path_to(definition: flows.FlowDefinition, goal: str) -> list[str]:
    """The shortest list of actions from the initial state to ``goal`` (breadth first over the table)."""
    paths: dict[str, list[str]] = {definition.initial: []}
    queue = [definition.initial]
    while queue:
        state = queue.pop(0)
        for transition in definition.transitions_from(state):
            if transition.target not in paths and transition.action != "reject":
                paths[transition.target] = [*paths[state], transition.action]
                queue.append(transition.target)
    return paths[goal]


@pytest.mark.parametrize(("kind", "goal"), [
    (flow.flow.value, code) for flow in flows.FLOWS.values() for code, s in flow.states.items()
    if s.terminal and code != "not_accepted"
])
def test_closing_sets_closed_at_and_mails_the_finder(kind, goal, admin):
    definition = flows.definition(kind)
    case = _walk(_new(kind), admin, *_path_to(definition, goal))
    assert case.state == goal
    assert case.closed_at is not None
    assert case.published_category == definition.state(goal).published_category(definition.flow)
    last = OutboxMessage.objects.filter(case=case).latest("created_at")
    assert last.template == "status_changed"
    assert case.published_category.ja in last.body_text
    assert "受理いたしました" not in last.body_text  # the closing mail does not say again "accepted, being handled"
    # Closed is closed: nothing leaves a terminal state.
    before = _snapshot(case)
    for action in definition.transitions:
        with pytest.raises((InvalidTransition, ValidationFailed)):
            case_transition(actor=admin, case=case, action=action, reason="x", reason_code="out_of_scope")
    with pytest.raises(InvalidTransition):
        case_reclassify(actor=admin, case=case, reason="x")
    assert _snapshot(case) == before


def test_open_states_do_not_set_closed_at(admin):
    case = _walk(_new("product"), admin, "accept", "start_coordination", "list_unreachable", "refer_to_committee",
                 "resume_coordination")
    assert case.state == "coordinating"
    assert case.closed_at is None
    assert case.version == 5
    assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("from_state", "to_state")) == [
        ("", "received"), ("received", "content_check"), ("content_check", "coordinating"),
        ("coordinating", "unreachable_listed"), ("unreachable_listed", "committee"), ("committee", "coordinating"),
    ]


def test_capabilities_of_each_staff_role(judge, coord, admin):
    product = _walk(_new("product"), admin, "accept")
    with pytest.raises(ActionDenied):  # handlers do not coordinate products
        case_transition(actor=judge, case=product, action="start_coordination")
    product = case_transition(actor=coord, case=product, action="start_coordination")
    with pytest.raises(ActionDenied):  # … nor publish them
        case_transition(actor=judge, case=product, action="publish")
    assert case_transition(actor=coord, case=product, action="publish").state == "published"

    website = _walk(_new("website"), admin, "accept")
    with pytest.raises(ActionDenied):  # coordinators work products only
        case_transition(actor=coord, case=website, action="notify_operator")
    assert case_transition(actor=judge, case=website, action="notify_operator").state == "operator_notified"


# --- stale versions ----------------------------------------------------------------------------------------


def test_stale_version_is_a_concurrent_change_and_writes_nothing(judge, admin):
    case = _new("product")
    copy_a, copy_b = _fresh(case), _fresh(case)
    case_judge(actor=judge, case=copy_a, accept=True)
    before = _snapshot(case)
    with pytest.raises(ConcurrentChange):
        case_judge(actor=judge, case=copy_b, accept=False, reason_code="duplicate")
    with pytest.raises(ConcurrentChange):
        case_reclassify(actor=judge, case=copy_b, reason="website after all")
    # Even an action that would be legal from the current state is refused through a stale copy.
    with pytest.raises(ConcurrentChange):
        case_transition(actor=admin, case=copy_b, action="start_coordination")
    assert _snapshot(case) == before
    assert copy_b.version == 0
    # With the current version it works.
    assert case_transition(actor=admin, case=_fresh(case), action="start_coordination").version == 2


def test_a_lost_update_is_refused_even_after_the_lock(admin, monkeypatch):
    """The conditional UPDATE in _save_state is the last guard: if the version moved after the lock, refuse."""
    from earlywarn.cases import services

    case = _new("website")
    original = services._lock

    def lock_then_interfere(target):
        locked = original(target)
        Case.objects.filter(pk=target.pk).update(version=99)
        return locked

    monkeypatch.setattr(services, "_lock", lock_then_interfere)
    events = CaseEvent.objects.count()
    with pytest.raises(ConcurrentChange):
        case_judge(actor=admin, case=case, accept=True)
    monkeypatch.undo()
    row = Case.objects.get(pk=case.pk)
    assert (row.state, row.version) == ("received", 0)  # the savepoint rolled back the interference too
    assert CaseEvent.objects.count() == events


# --- reclassification (§4.3) ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "path", "expected"), [
    ("product", [], ("website", "received")),
    ("product", ["accept"], ("website", "content_check")),
    ("website", [], ("product", "received")),
    ("website", ["accept"], ("product", "content_check")),
    ("website", ["accept", "notify_operator"], ("product", "content_check")),
])
def test_reclassification_keeps_history_report_and_receipt_date(kind, path, expected, admin, handler):
    case = _walk(_new(kind), admin, *path)
    report_pk, received_on, accepted_at = case.report_id, case.received_on, case.accepted_at
    history = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("pk", "tag", "to_state"))
    moved = case_reclassify(actor=_actor(handler), case=case, reason="  検証の結果、製品の脆弱性  ")
    assert (moved.flow, moved.state) == expected
    assert moved.version == case.version + 1
    assert moved.report_id == report_pk
    assert moved.received_on == received_on
    assert moved.accepted_at == accepted_at
    assert moved.published_category.ja == "取扱い中"
    assert Report.objects.get(pk=report_pk).kind == kind  # the kind at receipt is part of the immutable report
    events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("pk", "tag", "to_state"))
    assert events[:-1] == history
    last = CaseEvent.objects.filter(case=case).latest("id")
    assert last.tag == "case:flow:reclassified"
    assert (last.from_flow, last.to_flow) == (kind, expected[0])
    assert (last.from_state, last.to_state) == (case.state, expected[1])
    assert last.reason == "検証の結果、製品の脆弱性"
    assert last.actor == handler


def test_reclassified_case_continues_in_its_new_flow_and_keeps_the_date_across_days(admin):
    tokyo = ZoneInfo("Asia/Tokyo")
    with time_machine.travel(dt.datetime(2026, 3, 31, 23, 30, tzinfo=tokyo), tick=False):
        case = _walk(_new("website"), admin, "accept", "notify_operator")
    assert case.received_on == dt.date(2026, 3, 31)
    with time_machine.travel(dt.datetime(2026, 5, 7, 10, 0, tzinfo=tokyo), tick=False):
        case = case_reclassify(actor=admin, case=case, reason="製品の脆弱性だった")
        case = _walk(case, admin, "start_coordination", "publish")
    assert (case.flow, case.state) == ("product", "published")
    assert case.received_on == dt.date(2026, 3, 31)
    assert _fresh(case).received_on == dt.date(2026, 3, 31)


def test_reclassification_back_and_forth_keeps_every_event(admin):
    case = _new("product")
    case = case_reclassify(actor=admin, case=case, reason="website")
    case = case_reclassify(actor=admin, case=case, reason="product after all")
    assert (case.flow, case.state, case.version) == ("product", "received", 2)
    tags = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("tag", "from_flow", "to_flow"))
    assert tags == [("case:report:received", "", "product"), ("case:flow:reclassified", "product", "website"),
                    ("case:flow:reclassified", "website", "product")]


@pytest.mark.parametrize(("kind", "path"), [
    ("product", ["reject"]),
    ("product", ["accept", "start_coordination", "publish"]),
    ("product", ["accept", "close_not_vulnerability"]),
    ("website", ["reject"]),
    ("website", ["accept", "notify_operator", "close_fixed"]),
    ("website", ["accept", "close_unable_no_contact"]),
])
def test_reclassification_is_refused_from_terminal_states(kind, path, admin):
    case = _new(kind)
    for action in path:
        if action == "reject":
            case = case_judge(actor=admin, case=case, accept=False, reason_code="out_of_scope")
        else:
            case = _walk(case, admin, action)
    assert case.state_def.terminal
    before = _snapshot(case)
    with pytest.raises(InvalidTransition):
        case_reclassify(actor=admin, case=case, reason="too late")
    assert _snapshot(case) == before


def test_reclassification_needs_a_reason_and_the_capability(coord, admin, handler):
    case = _new("product")
    before = _snapshot(case)
    for blank in ["", "   "]:
        with pytest.raises(ValidationFailed):
            case_reclassify(actor=admin, case=case, reason=blank)
    with pytest.raises(ActionDenied):
        case_reclassify(actor=coord, case=case, reason="coordinators do not reclassify")
    developer = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER)
    factories.bring_in(case, developer.memberships.get().organisation)
    with pytest.raises(ActionDenied):
        case_reclassify(actor=_actor(developer), case=case, reason="participants do not reclassify")
    assert _snapshot(case) == before
    assert case_reclassify(actor=_actor(handler), case=case, reason="ok").flow == "website"


def test_reclassification_does_not_mail_the_finder(admin):
    case = _new("website")
    outbox = OutboxMessage.objects.count()
    case_reclassify(actor=admin, case=case, reason="product")
    assert OutboxMessage.objects.count() == outbox


# --- mail to the finder ------------------------------------------------------------------------------------


def _submit_in(language: str, kind: str = "product", **overrides) -> Case:
    overrides.setdefault("title", TITLE)
    make = factories.product_submission if kind == "product" else factories.website_submission
    submission = make(**overrides)
    return report_submit(actor=Actor.anonymous(), kind=kind, submission=submission, language=language).case


@pytest.mark.parametrize(("language", "status_label"), [("ja", "取扱い中"), ("en", "In handling")])
def test_accept_mails_the_finder_in_their_language_without_the_title(language, status_label, judge):
    case = _submit_in(language)
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    case_judge(actor=judge, case=case, accept=True)
    mail = OutboxMessage.objects.exclude(pk__in=before).get()
    assert mail.template == "status_changed"
    assert mail.to == "finder@example.test"
    assert mail.language == language
    assert mail.case_id == case.pk
    assert case.tracking_id in mail.subject
    body = re.sub(r"https?://\S+", "", mail.body_text)  # the random private link may spell "XSS" by chance
    for secret in (TITLE, "ExampleCMS", "XSS", "admin console"):
        assert secret not in mail.subject
        assert secret not in body
    assert status_label in mail.body_text
    assert ("受理いたしました" if language == "ja" else "was accepted") in mail.body_text  # said with the judgment
    other = "In handling" if language == "ja" else "取扱い中"
    assert other not in mail.body_text


def test_subject_holds_nothing_but_the_tracking_id_and_fixed_text(judge):
    """Two reports with different titles get the same subject apart from the tracking id."""
    subjects = []
    for title in ("SQL injection in /login of bank.example", "RCE in router firmware 1.2"):
        case = _submit_in("en", "website", title=title)
        case_judge(actor=judge, case=case, accept=True)
        mail = OutboxMessage.objects.filter(case=case, template="status_changed").get()
        subjects.append(mail.subject.replace(case.tracking_id, "<ID>"))
    assert subjects[0] == subjects[1]
    assert "<ID>" in subjects[0]


def test_reject_mails_the_finder_the_not_accepted_status(judge):
    case = _submit_in("en")
    case_judge(actor=judge, case=case, accept=False, reason_code="out_of_scope")
    mail = OutboxMessage.objects.filter(case=case, template="status_changed").get()
    assert "Not accepted" in mail.body_text
    assert "out_of_scope" not in mail.body_text


def test_intermediate_steps_do_not_mail_the_finder(admin):
    case = _walk(_new("product"), admin, "accept")
    count = OutboxMessage.objects.count()
    _walk(case, admin, "start_coordination", "list_unreachable")
    assert OutboxMessage.objects.count() == count


def test_a_refused_transition_leaves_no_mail(judge):
    case = _new("product")
    count = OutboxMessage.objects.count()
    with pytest.raises(ValidationFailed):
        case_judge(actor=judge, case=case, accept=False, reason_code="")
    assert OutboxMessage.objects.count() == count


# --- messages ----------------------------------------------------------------------------------------------


def _developer_in(case: Case):
    user = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER)
    organisation = user.memberships.get().organisation
    factories.bring_in(case, organisation)
    return user, organisation


@pytest.mark.parametrize("asked", ["internal", "participants", "organisation", "finder", "nonsense"])
def test_finder_through_the_status_link_can_only_write_to_staff(asked):
    receipt = factories.submit("product")
    finder = Actor.for_status_link(receipt.report.id)
    outbox = OutboxMessage.objects.count()
    message = message_post(actor=finder, case=receipt.case, body="  追加情報です  ", visibility=asked,
                           organisation_id=uuid.uuid4())
    assert message.visibility == Visibility.FINDER
    assert message.from_finder is True
    assert message.organisation_id is None
    assert message.body == "追加情報です"
    assert message.author is None
    assert OutboxMessage.objects.count() == outbox  # the finder is not mailed about their own message
    event = CaseEvent.objects.filter(case=receipt.case).latest("id")
    assert event.tag == "case:message:posted"
    assert event.data == {"message": str(message.id), "visibility": "finder"}
    assert _fresh(receipt.case).version == 0  # a message is not a state change


def test_finder_with_an_account_can_only_write_to_staff():
    user = factories.UserFactory()
    receipt = factories.submit("website", actor=_actor(user))
    message = message_post(actor=_actor(user), case=receipt.case, body="hello", visibility="internal")
    assert (message.visibility, message.from_finder, message.author) == (Visibility.FINDER, True, user)


def test_a_status_link_reaches_only_its_own_report():
    mine, other = factories.submit("product"), factories.submit("product")
    with pytest.raises(ActionDenied):
        message_post(actor=Actor.for_status_link(mine.report.id), case=other.case, body="x", visibility="finder")
    with pytest.raises(ActionDenied):
        message_post(actor=Actor.anonymous(), case=other.case, body="x", visibility="finder")
    assert not Message.objects.exists()


@pytest.mark.parametrize("asked", ["internal", "participants", "finder", "organisation"])
def test_developer_participant_writes_to_their_own_organisation(asked):
    case = _new("product")
    user, organisation = _developer_in(case)
    _stranger, other_org = _developer_in(_new("product"))
    message = message_post(actor=_actor(user), case=case, body="調査中です", visibility=asked,
                           organisation_id=other_org.id)
    assert message.visibility == Visibility.ORGANISATION
    assert message.organisation_id == organisation.id
    assert message.from_finder is False
    assert message.author == user
    assert not OutboxMessage.objects.filter(template="new_message").exists()


def test_developer_member_of_two_organisations_cannot_address_one_outside_the_case():
    """The organisation a participant writes to must be one brought into this case: otherwise the message is
    addressed to an organisation that cannot read the case, and the participating one never sees it."""
    case = _new("product")
    user, participating = _developer_in(case)
    outsider = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER)
    Membership.objects.create(user=user, organisation=outsider, role=Role.MEMBER)
    try:
        message = message_post(actor=_actor(user), case=case, body="x", visibility="organisation",
                               organisation_id=outsider.id)
    except (ValidationFailed, ActionDenied):
        return
    assert message.organisation_id == participating.id
    for _attempt in range(5):  # nor may the default pick an organisation outside the case
        message = message_post(actor=_actor(user), case=case, body="x", visibility="organisation")
        assert message.organisation_id == participating.id


def test_developers_outside_the_case_cannot_post(coord):
    case = _new("product")
    outsider = factories.member(OrganisationKind.DEVELOPER, Role.MEMBER)
    with pytest.raises(ActionDenied):
        message_post(actor=_actor(outsider), case=case, body="x", visibility="organisation")
    website = _new("website")
    with pytest.raises(ActionDenied):  # coordinators do not see website cases
        message_post(actor=coord, case=website, body="x", visibility="internal")
    assert not Message.objects.exists()


def test_a_removed_participant_cannot_post():
    from django.utils import timezone

    case = _new("product")
    user, organisation = _developer_in(case)
    case.participants.filter(organisation=organisation).update(removed_at=timezone.now())
    with pytest.raises(ActionDenied):
        message_post(actor=_actor(user), case=case, body="x", visibility="organisation")


@pytest.mark.parametrize("visibility", ["internal", "participants", "finder"])
def test_staff_choose_the_audience_and_finder_messages_are_mailed(visibility, judge):
    case = _new("website")
    outbox = OutboxMessage.objects.count()
    body = "SECRET-DETAIL-7Q: the admin console leaks session cookies"
    message = message_post(actor=judge, case=case, body=body, visibility=visibility)
    assert message.visibility == visibility
    assert message.from_finder is False
    new_mail = OutboxMessage.objects.filter(template="new_message")
    if visibility == "finder":
        mail = new_mail.get()
        assert mail.to == "finder@example.test"
        assert case.tracking_id in mail.subject
        assert "SECRET-DETAIL-7Q" not in mail.body_text  # the message itself is read through the status link
        assert "SECRET-DETAIL-7Q" not in mail.subject
        assert OutboxMessage.objects.count() == outbox + 1
    else:
        assert not new_mail.exists()
        assert OutboxMessage.objects.count() == outbox


def test_staff_message_to_an_organisation_names_it(judge):
    case = _new("product")
    _user, organisation = _developer_in(case)
    message = message_post(actor=judge, case=case, body="x", visibility="organisation", organisation_id=organisation.id)
    assert message.organisation_id == organisation.id
    with pytest.raises(ValidationFailed) as excinfo:
        message_post(actor=judge, case=case, body="x", visibility="organisation")
    assert excinfo.value.field == "organisation"
    with pytest.raises(ValidationFailed) as excinfo:
        message_post(actor=judge, case=case, body="x", visibility="everyone")
    assert excinfo.value.field == "visibility"
    # A non-organisation message never carries an organisation.
    internal = message_post(actor=judge, case=case, body="x", visibility="internal", organisation_id=organisation.id)
    assert internal.organisation_id is None


def test_staff_cannot_address_an_organisation_outside_the_case(judge):
    """An organisation message is for an organisation brought into the case; any other could never read it."""
    case = _new("product")
    _developer_in(case)
    outsider = factories.OrganisationFactory(kind=OrganisationKind.DEVELOPER)
    with pytest.raises(ValidationFailed) as excinfo:
        message_post(actor=judge, case=case, body="x", visibility="organisation", organisation_id=outsider.id)
    assert excinfo.value.field == "organisation"
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_organisation_is_a_validation_error_not_a_database_error(handler):
    """With a real commit, an organisation id that does not exist must be refused (422), not fail the commit
    on the foreign key (500)."""
    case = _new("product")
    with pytest.raises(ValidationFailed):
        message_post(actor=_actor(handler), case=case, body="x", visibility="organisation",
                     organisation_id=uuid.uuid4())
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", ["", " ", "\n\t  \n", "　" * 3])
def test_empty_bodies_are_refused(body, judge):
    receipt = factories.submit("product")
    for actor, visibility in [(judge, "internal"), (Actor.for_status_link(receipt.report.id), "finder")]:
        with pytest.raises(ValidationFailed) as excinfo:
            message_post(actor=actor, case=receipt.case, body=body, visibility=visibility)
        assert excinfo.value.field == "body"
    assert not Message.objects.exists()
    assert not CaseEvent.objects.filter(tag="case:message:posted").exists()


def test_too_long_bodies_are_refused_and_the_limit_is_inclusive(judge):
    case = _new("product")
    with pytest.raises(ValidationFailed) as excinfo:
        message_post(actor=judge, case=case, body="あ" * 50_001, visibility="internal")
    assert excinfo.value.field == "body"
    assert not Message.objects.exists()
    assert len(message_post(actor=judge, case=case, body="あ" * 50_000, visibility="internal").body) == 50_000
    # Surrounding whitespace does not count.
    padded = message_post(actor=judge, case=case, body=" " + "a" * 50_000 + " ", visibility="internal")
    assert len(padded.body) == 50_000
