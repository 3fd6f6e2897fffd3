"""The two flows of the Partnership, declared once as data (partnership.md §3.4–§3.7).

Every state names the one *published category* it counts in (and, where the source documents define one, the
published sub-status), with its Japanese and English labels. Every transition names its action, the states it
leaves from, the state it reaches, and the staff capability it needs. Services, the UI, the API and the
statistics read these tables; nothing else declares a status.

Internal workflow states are finer than the published categories (e.g. ``content_check`` and
``coordinating`` both count as 取扱い中). Where the source documents leave a bucket open (EOL case A, known
vulnerability), the category comes from configuration: ``settings.EARLYWARN['CATEGORY_*']``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings


class Flow(StrEnum):
    PRODUCT = "product"
    WEBSITE = "website"


@dataclass(frozen=True)
class Category:
    """A published status category (the partition of §3.4 / §3.5) or a published sub-status."""

    code: str
    ja: str
    en: str


# Published categories — products (§3.4). Partition: published + individual_handling + not_vulnerability +
# in_handling + not_accepted = all product reports.
P_PUBLISHED = Category("published", "公表済み", "Published")
P_COORDINATION_IMPOSSIBLE = Category("coordination_impossible", "調整不能", "Coordination impossible")
P_INDIVIDUAL = Category("individual_handling", "個別対応", "Handled individually")
P_NOT_VULN = Category("not_vulnerability", "脆弱性ではない", "Not a vulnerability")
P_NOT_ACCEPTED = Category("not_accepted", "不受理", "Not accepted")
P_IN_HANDLING = Category("in_handling", "取扱い中", "In handling")
P_UNREACHABLE = Category("unreachable_listed", "連絡不能開発者", "Unreachable developer (listed)")

# Published categories — websites (§3.5). Partition: fixed + alert_closed + not_vulnerability + in_handling +
# unable + not_accepted = all website reports.
W_FIXED = Category("fixed", "修正完了", "Fixed")
W_PAGE_DELETED = Category("page_deleted", "当該ページを削除", "Page deleted")
W_WORKAROUND = Category("workaround", "運用で回避", "Avoided by operation")
W_ALERT = Category("alert_closed", "注意喚起", "Closed after a public alert")
W_NOT_VULN = Category("not_vulnerability", "脆弱性ではない", "Not a vulnerability")
W_UNABLE = Category("unable", "取扱不能", "Cannot be handled")
W_NOT_ACCEPTED = Category("not_accepted", "不受理", "Not accepted")
W_IN_HANDLING = Category("in_handling", "取扱い中", "In handling")

PRODUCT_CATEGORIES = (P_PUBLISHED, P_INDIVIDUAL, P_NOT_VULN, P_IN_HANDLING, P_NOT_ACCEPTED)
WEBSITE_CATEGORIES = (W_FIXED, W_ALERT, W_NOT_VULN, W_IN_HANDLING, W_UNABLE, W_NOT_ACCEPTED)


@dataclass(frozen=True)
class State:
    code: str
    ja: str
    en: str
    category: Category
    sub_status: Category | None = None
    terminal: bool = False
    configurable_category: str | None = None  # key in settings.EARLYWARN that may override ``category``

    def published_category(self, flow: Flow) -> Category:
        if self.configurable_category:
            wanted = settings.EARLYWARN[self.configurable_category]
            # A closed state counts in a closed category: never 取扱い中, and never 不受理 (it was accepted), §3.7.
            excluded = {"in_handling", "not_accepted"} if self.terminal else set()
            for category in PRODUCT_CATEGORIES if flow is Flow.PRODUCT else WEBSITE_CATEGORIES:
                if category.code == wanted and category.code not in excluded:
                    return category
            raise ValueError(
                f"EARLYWARN[{self.configurable_category!r}] = {wanted!r} is not a closed category of {flow}"
            )
        return self.category


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    capability: str  # the access-policy action a staff member needs (earlywarn.cases.policy.Action)
    ja: str
    en: str
    needs_reason: bool = False
    reason_codes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FlowDefinition:
    flow: Flow
    states: dict[str, State]
    transitions: dict[str, Transition]
    initial: str

    def state(self, code: str) -> State:
        return self.states[code]

    def transitions_from(self, state_code: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state_code in t.sources]

    def transition(self, action: str) -> Transition | None:
        return self.transitions.get(action)


def _states(*states: State) -> dict[str, State]:
    return {s.code: s for s in states}


def _transitions(*transitions: Transition) -> dict[str, Transition]:
    return {t.action: t for t in transitions}


# Reasons for 不受理 (§4.1; the source documents list only the first two — the rest are documented choices).
REJECTION_REASONS: dict[str, tuple[str, str]] = {
    "out_of_scope": ("告示で定める届出の対象に該当しない", "Not a report the notice defines"),
    "finder_not_contactable": ("発見者への連絡が可能であることを確認できない", "The finder cannot be contacted"),
    "not_a_vulnerability_report": ("脆弱性関連情報を含まない", "Contains no vulnerability-related information"),
    "duplicate": ("既に届出済みの内容と重複している", "Duplicate of an existing report"),
    "insufficient_information": ("再現に必要な情報が不足している", "Not enough information to reproduce"),
    "spam": ("スパム・いたずら", "Spam or abuse"),
}

IN_HANDLING_PRODUCT = ("received", "content_check", "coordinating", "unreachable_listed", "committee")
IN_HANDLING_WEBSITE = ("received", "content_check", "operator_notified")

PRODUCT = FlowDefinition(
    flow=Flow.PRODUCT,
    initial="received",
    states=_states(
        State("received", "受付（受理判断待ち）", "Received, awaiting judgment", P_IN_HANDLING),
        State("content_check", "内容確認中", "Content check", P_IN_HANDLING),
        State("coordinating", "製品開発者が調査、対応中", "Developer investigating", P_IN_HANDLING),
        State("unreachable_listed", "連絡不能開発者一覧にて公表中", "Listed as unreachable", P_IN_HANDLING,
              sub_status=P_UNREACHABLE),
        State("committee", "公表判定委員会で審議中", "Before the publication judgment committee", P_IN_HANDLING),
        State("published", "公表済み", "Published", P_PUBLISHED, terminal=True),
        State("published_coordination_impossible", "公表済み（調整不能）", "Published (coordination impossible)",
              P_PUBLISHED, sub_status=P_COORDINATION_IMPOSSIBLE, terminal=True),
        State("individual_handling", "個別対応", "Handled individually", P_INDIVIDUAL, terminal=True),
        State("not_vulnerability", "脆弱性ではない", "Not a vulnerability", P_NOT_VULN, terminal=True),
        State("closed_eol_a", "取扱い終了（EOL・影響小）", "Closed (end of life, small impact)", P_INDIVIDUAL,
              terminal=True, configurable_category="CATEGORY_EOL_A"),
        State("closed_known_vulnerability", "取扱い終了（既知の脆弱性）", "Closed (known vulnerability)",
              P_INDIVIDUAL, terminal=True, configurable_category="CATEGORY_KNOWN_VULNERABILITY"),
        State("not_accepted", "不受理", "Not accepted", P_NOT_ACCEPTED, terminal=True),
    ),
    transitions=_transitions(
        Transition("accept", frozenset({"received"}), "content_check", "case:judge", "受理", "Accept"),
        Transition("reject", frozenset({"received"}), "not_accepted", "case:judge", "不受理", "Reject",
                   needs_reason=True, reason_codes=tuple(REJECTION_REASONS)),
        Transition("start_coordination", frozenset({"content_check"}), "coordinating", "case:coordinate",
                   "調整開始", "Start coordination"),
        Transition("list_unreachable", frozenset({"coordinating"}), "unreachable_listed", "case:coordinate",
                   "連絡不能開発者として公表", "List developer as unreachable", needs_reason=True),
        Transition("resume_coordination", frozenset({"unreachable_listed", "committee"}), "coordinating",
                   "case:coordinate", "調整を再開", "Resume coordination"),
        Transition("refer_to_committee", frozenset({"coordinating", "unreachable_listed"}), "committee",
                   "case:coordinate", "公表判定委員会に付議", "Refer to the committee", needs_reason=True),
        Transition("committee_publish", frozenset({"committee"}), "published_coordination_impossible",
                   "case:publish", "調整不能として公表", "Publish as coordination impossible", needs_reason=True),
        Transition("publish", frozenset({"coordinating"}), "published", "case:publish", "公表", "Publish"),
        Transition("close_individual", frozenset({"coordinating"}), "individual_handling", "case:coordinate",
                   "個別対応で終了", "Close as handled individually", needs_reason=True),
        Transition("close_not_vulnerability", frozenset({"content_check", "coordinating"}), "not_vulnerability",
                   "case:coordinate", "脆弱性ではないとして終了", "Close as not a vulnerability", needs_reason=True),
        Transition("close_eol_a", frozenset({"coordinating"}), "closed_eol_a", "case:coordinate",
                   "EOL（影響小）として終了", "Close as end of life, small impact", needs_reason=True),
        Transition("close_known_vulnerability", frozenset({"content_check", "coordinating"}),
                   "closed_known_vulnerability", "case:coordinate", "既知の脆弱性として終了",
                   "Close as a known vulnerability", needs_reason=True),
    ),
)

UNABLE_REASONS: dict[str, tuple[str, str]] = {
    "no_response": ("ウェブサイト運営者からの回答がなく、取扱いができない", "No answer from the operator"),
    "operator_declined": ("ウェブサイト運営者が対応しないと判断した", "The operator decided not to act"),
    "no_contact": ("ウェブサイト運営者への連絡手段がない", "No means of contacting the operator"),
}

WEBSITE = FlowDefinition(
    flow=Flow.WEBSITE,
    initial="received",
    states=_states(
        State("received", "受付（受理判断待ち）", "Received, awaiting judgment", W_IN_HANDLING),
        State("content_check", "内容確認中", "Content check", W_IN_HANDLING),
        State("operator_notified", "ウェブサイト運営者が調査、対応中", "Operator investigating", W_IN_HANDLING),
        State("fixed", "修正完了", "Fixed", W_FIXED, terminal=True),
        State("fixed_page_deleted", "修正完了（当該ページを削除）", "Fixed (page deleted)", W_FIXED,
              sub_status=W_PAGE_DELETED, terminal=True),
        State("fixed_workaround", "修正完了（運用で回避）", "Fixed (avoided by operation)", W_FIXED,
              sub_status=W_WORKAROUND, terminal=True),
        State("alert_closed", "注意喚起", "Closed after a public alert", W_ALERT, terminal=True),
        State("not_vulnerability", "脆弱性ではない", "Not a vulnerability", W_NOT_VULN, terminal=True),
        State("unable_no_response", "取扱不能（回答なし）", "Cannot be handled (no answer)", W_UNABLE, terminal=True),
        State("unable_operator_declined", "取扱不能（運営者が対応しない）", "Cannot be handled (operator declined)",
              W_UNABLE, terminal=True),
        State("unable_no_contact", "取扱不能（連絡手段なし）", "Cannot be handled (no means of contact)", W_UNABLE,
              terminal=True),
        State("not_accepted", "不受理", "Not accepted", W_NOT_ACCEPTED, terminal=True),
    ),
    transitions=_transitions(
        Transition("accept", frozenset({"received"}), "content_check", "case:judge", "受理", "Accept"),
        Transition("reject", frozenset({"received"}), "not_accepted", "case:judge", "不受理", "Reject",
                   needs_reason=True, reason_codes=tuple(REJECTION_REASONS)),
        Transition("notify_operator", frozenset({"content_check"}), "operator_notified", "case:handle_website",
                   "運営者へ通知", "Notify the operator"),
        Transition("close_fixed", frozenset({"operator_notified"}), "fixed", "case:handle_website",
                   "修正完了", "Close as fixed"),
        Transition("close_page_deleted", frozenset({"operator_notified"}), "fixed_page_deleted",
                   "case:handle_website", "修正完了（当該ページを削除）", "Close as fixed (page deleted)"),
        Transition("close_workaround", frozenset({"operator_notified"}), "fixed_workaround", "case:handle_website",
                   "修正完了（運用で回避）", "Close as fixed (avoided by operation)", needs_reason=True),
        Transition("close_alert", frozenset({"content_check", "operator_notified"}), "alert_closed",
                   "case:handle_website", "注意喚起により終了", "Close after a public alert", needs_reason=True),
        Transition("close_not_vulnerability", frozenset({"content_check", "operator_notified"}),
                   "not_vulnerability", "case:handle_website", "脆弱性ではないとして終了",
                   "Close as not a vulnerability", needs_reason=True),
        Transition("close_unable_no_response", frozenset({"operator_notified"}), "unable_no_response",
                   "case:handle_website", "取扱不能（回答なし）", "Close: no answer", needs_reason=True),
        Transition("close_unable_operator_declined", frozenset({"operator_notified"}), "unable_operator_declined",
                   "case:handle_website", "取扱不能（運営者が対応しない）", "Close: operator declined",
                   needs_reason=True),
        Transition("close_unable_no_contact", frozenset({"content_check", "operator_notified"}), "unable_no_contact",
                   "case:handle_website", "取扱不能（連絡手段なし）", "Close: no means of contact", needs_reason=True),
    ),
)

FLOWS: dict[Flow, FlowDefinition] = {Flow.PRODUCT: PRODUCT, Flow.WEBSITE: WEBSITE}

# Reclassification (§4.3): a case still in handling moves to the other flow, keeping its history and its
# original receipt date. Judged cases land in the other flow's content check; unjudged ones stay unjudged.
RECLASSIFIABLE_STATES: dict[Flow, frozenset[str]] = {
    Flow.PRODUCT: frozenset({"received", "content_check"}),
    Flow.WEBSITE: frozenset({"received", "content_check", "operator_notified"}),
}


def reclassification_target(state_code: str) -> str:
    return "received" if state_code == "received" else "content_check"


def definition(flow: str | Flow) -> FlowDefinition:
    return FLOWS[Flow(flow)]
