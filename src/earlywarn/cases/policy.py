"""The one access policy: may this actor do this action on this case, and which cases can it see.

Every view, API operation, task and export asks here (architecture.md principle 2, security.md threats 1–2).
Rules, in short:

* Administrators may do everything. Handlers (receiving organisation) see every case and judge, reclassify
  and work the website flow. Coordinators (coordinating organisation) see product cases and coordinate them.
  Staff roles count only in an organisation of the matching kind.
* A finder sees only their own reports — through their account or the private status link of one report —
  with the messages addressed to the finder, never internal notes.
* Developers, operators and other participants see only cases their organisation (or they themselves) were
  brought into and not removed from; the finder's identity only where the finder consented.
* A participant's private link (websites: the operator's page) acts for that one organisation on that one case,
  like a member of it; operators and builders may also respond (acknowledge, report the fix, add a builder).
* Developers brought into a product case may respond there (confirm receipt, state per product).
* A publication judgment committee member seated on a case sees its summary (no finder identity, no messages, no
  attachments) and votes there; nothing else (docs/committee.md).
* Nobody else sees anything. A case outside an actor's scope is indistinguishable from a missing one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404

from earlywarn.accounts.models import OrganisationKind, Role
from earlywarn.cases.models import Attachment, Case, Message, ParticipantRole, Visibility

if TYPE_CHECKING:
    from earlywarn.accounts.models import User


class Action(StrEnum):
    CASE_VIEW = "case:view"
    CASE_JUDGE = "case:judge"
    CASE_RECLASSIFY = "case:reclassify"
    CASE_COORDINATE = "case:coordinate"
    CASE_HANDLE_WEBSITE = "case:handle_website"
    CASE_OPERATOR_RESPOND = "case:operator:respond"  # acknowledge, report the fix, bring in the builder
    CASE_DEVELOPER_RESPOND = "case:developer:respond"  # products: acknowledge, state per product
    CASE_PUBLISH = "case:publish"
    CASE_MESSAGE_POST = "case:message:post"
    CASE_MESSAGE_INTERNAL = "case:message:internal"
    CASE_FINDER_IDENTITY = "case:finder:identity"
    CASE_EVENTS_VIEW = "case:events:view"
    CASE_ATTACHMENT_VIEW = "case:attachment:view"
    QUEUE_VIEW = "queue:view"
    STATS_VIEW = "stats:quarterly:view"  # the published quarterly statistics (aggregates only)
    ADVISORY_EDIT = "advisory:edit"  # write and preview advisories (drafts are staff-only, security.md)
    ADVISORY_PUBLISH = "advisory:publish"  # approve and publish advisories (docs/advisories.md)
    CASE_COMMITTEE_VOTE = "case:committee:vote"  # a seated committee member's vote: personal, no staff role grants it
    COMMITTEE_MANAGE = "committee:manage"  # the committee's pool: members and their declared interests


class StaffScope(StrEnum):
    ALL = "all"
    PRODUCT = "product"


@dataclass(frozen=True)
class StaffGrant:
    organisation_kinds: frozenset[str]
    scope: StaffScope
    actions: frozenset[Action]


_STAFF_READ = frozenset(
    {Action.CASE_VIEW, Action.CASE_MESSAGE_POST, Action.CASE_MESSAGE_INTERNAL, Action.CASE_FINDER_IDENTITY,
     Action.CASE_EVENTS_VIEW, Action.CASE_ATTACHMENT_VIEW, Action.QUEUE_VIEW}
)

# What only the parties of a case do, speaking for themselves: no staff role answers for a developer or an operator
# (their actions would be refused by the services anyway, for want of an organisation to answer for).
_PARTICIPANT_ANSWERS = frozenset({Action.CASE_DEVELOPER_RESPOND, Action.CASE_OPERATOR_RESPOND})

# The staff policy table. A role grants its actions only through a membership in one of these kinds.
STAFF_GRANTS: dict[str, StaffGrant] = {
    Role.ADMINISTRATOR: StaffGrant(
        frozenset({OrganisationKind.RECEIVING, OrganisationKind.COORDINATING}), StaffScope.ALL,
        frozenset(Action) - _PARTICIPANT_ANSWERS,
    ),
    Role.HANDLER: StaffGrant(
        frozenset({OrganisationKind.RECEIVING}),
        StaffScope.ALL,
        _STAFF_READ | {Action.CASE_JUDGE, Action.CASE_RECLASSIFY, Action.CASE_HANDLE_WEBSITE},
    ),
    Role.COORDINATOR: StaffGrant(
        frozenset({OrganisationKind.COORDINATING}),
        StaffScope.PRODUCT,
        _STAFF_READ | {Action.CASE_COORDINATE, Action.CASE_PUBLISH, Action.ADVISORY_EDIT, Action.ADVISORY_PUBLISH},
    ),
}

# What a finder (account owner of the report, or holder of its status link) may do on their own case.
FINDER_ACTIONS = frozenset({Action.CASE_VIEW, Action.CASE_MESSAGE_POST, Action.CASE_ATTACHMENT_VIEW})
# What a participant organisation's members may do on a case they were brought into.
PARTICIPANT_ACTIONS = frozenset({Action.CASE_VIEW, Action.CASE_MESSAGE_POST, Action.CASE_ATTACHMENT_VIEW})
# Participants who answer for a website (its operator, or the builder acting for it) may also respond.
WEBSITE_RESPONDERS = frozenset({ParticipantRole.OPERATOR, ParticipantRole.BUILDER})


@dataclass
class Actor:
    """Who is asking: a logged-in user (session or API token), a status-link holder, or nobody."""

    user: User | None = None
    status_report_id: uuid.UUID | None = None  # set when acting through a finder's private status link
    via_token: bool = False
    # Set when acting through a participant's private link (websites: the operator's or builder's page): the
    # holder acts for that one organisation on that one case, and nowhere else.
    link_case_id: uuid.UUID | None = None
    link_organisation_id: uuid.UUID | None = None
    link_label: str = ""
    is_system: bool = False  # periodic jobs: no rights at all, named "system" in the audit trail
    # ...except the few a job is built for, named where it creates its actor (docs/access-policy.md): the scheduled
    # publication of coordination/schedule.py publishes product cases at their agreed date-time.
    system_actions: frozenset[Action] = frozenset()
    _grants: dict[str, StaffGrant] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls()

    @classmethod
    def for_user(cls, user: User | None, *, via_token: bool = False) -> Actor:
        if user is None or not user.is_authenticated or not user.is_active:
            return cls()
        return cls(user=user, via_token=via_token)

    @classmethod
    def for_status_link(cls, report_id: uuid.UUID) -> Actor:
        return cls(status_report_id=report_id)

    @classmethod
    def system(cls, may: frozenset[Action] = frozenset()) -> Actor:
        return cls(is_system=True, system_actions=may)

    @classmethod
    def for_participant_link(cls, case_id: uuid.UUID, organisation_id: uuid.UUID, label: str) -> Actor:
        return cls(link_case_id=case_id, link_organisation_id=organisation_id, link_label=label)

    @property
    def label(self) -> str:
        if self.is_system:
            return "system"
        if self.link_case_id is not None:
            return self.link_label or "participant (link)"
        if self.user is not None:
            return self.user.email
        if self.status_report_id is not None:
            return "finder (status link)"
        return "anonymous"

    @cached_property
    def memberships(self) -> list[tuple[str, str, uuid.UUID]]:
        """(role, organisation kind, organisation id) of every membership, in one query."""
        if self.user is None:
            return []
        return list(self.user.memberships.values_list("role", "organisation__kind", "organisation_id"))

    @cached_property
    def staff_grants(self) -> list[StaffGrant]:
        grants = []
        for role, kind, _org in self.memberships:
            grant = STAFF_GRANTS.get(role)
            if grant and kind in grant.organisation_kinds:
                grants.append(grant)
        return grants

    @cached_property
    def participant_org_ids(self) -> set[uuid.UUID]:
        if self.link_organisation_id is not None:
            return {self.link_organisation_id}
        return {org for role, _kind, org in self.memberships if role in {Role.MEMBER, Role.ORG_ADMIN}}

    def member_of_kind(self, kind: str) -> bool:
        return any(org_kind == kind for _role, org_kind, _org in self.memberships)

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_grants)

    def staff_may(self, action: Action, case: Case | None = None) -> bool:
        if self.is_system:
            return action in self.system_actions
        for grant in self.staff_grants:
            if action not in grant.actions:
                continue
            if case is None or grant.scope is StaffScope.ALL or case.flow == grant.scope.value:
                return True
        return False


def _finder_q(actor: Actor) -> Q:
    if actor.status_report_id is not None:
        return Q(report_id=actor.status_report_id)
    if actor.user is not None:
        return Q(report__submitted_by=actor.user)
    return Q(pk__in=[])


def _participant_q(actor: Actor) -> Q:
    if actor.link_case_id is not None:
        return Q(pk=actor.link_case_id, participants__removed_at__isnull=True,
                 participants__organisation_id=actor.link_organisation_id)
    if actor.user is None:
        return Q(pk__in=[])
    return Q(
        participants__removed_at__isnull=True,
        participants__organisation_id__in=actor.participant_org_ids,
    ) | Q(participants__removed_at__isnull=True, participants__user=actor.user)


def cases_visible_to(actor: Actor) -> QuerySet[Case]:
    """Every case this actor may view, and no other. All read paths (lists, search, exports) start here."""
    base = Case.objects.select_related("report")
    if actor.link_case_id is not None:
        return base.filter(pk__in=Case.objects.filter(_participant_q(actor)).values("pk"))
    if actor.user is None and actor.status_report_id is None:
        return base.none()
    scopes = {grant.scope for grant in actor.staff_grants if Action.CASE_VIEW in grant.actions}
    if StaffScope.ALL in scopes:
        return base.all()
    condition = _finder_q(actor)
    if StaffScope.PRODUCT in scopes:
        condition |= Q(flow="product")
    if actor.user is not None:
        ids = Case.objects.filter(_participant_q(actor)).values("pk")
        condition |= Q(pk__in=ids)
    return base.filter(condition)


def cases_shared_with(actor: Actor) -> QuerySet[Case]:
    """Cases the actor was brought into as a participant (through an organisation or in person), not removed."""
    if actor.user is None:
        return Case.objects.none()
    ids = Case.objects.filter(_participant_q(actor)).values("pk")
    return Case.objects.select_related("report").filter(pk__in=ids)


def _is_finder(actor: Actor, case: Case) -> bool:
    if actor.status_report_id is not None:
        return case.report_id == actor.status_report_id
    return actor.user is not None and case.report.submitted_by_id == actor.user.pk


def _participation_roles(actor: Actor, case: Case) -> set[str]:
    if actor.link_case_id is not None:
        if case.pk != actor.link_case_id:
            return set()
        if actor.link_organisation_id is None:
            return set()
        rows = case.participants.filter(removed_at__isnull=True, organisation_id=actor.link_organisation_id)
        return set(rows.values_list("role", flat=True))
    if actor.user is None:
        return set()
    rows = case.participants.filter(removed_at__isnull=True).filter(
        Q(organisation_id__in=actor.participant_org_ids) | Q(user=actor.user)
    )
    return set(rows.values_list("role", flat=True))


# Actions on no particular case that everyone may do, signed in or not. The quarterly statistics are aggregate
# counts at the level of detail the Partnership itself publishes (docs/statistics-report.md): no case, report
# text or identity reaches them.
PUBLIC_ACTIONS = frozenset({Action.STATS_VIEW})


def may(actor: Actor, action: Action) -> bool:
    """May ``actor`` do ``action``, which concerns no single case (the queue, the public statistics)?"""
    return action in PUBLIC_ACTIONS or actor.staff_may(action)


def can(actor: Actor, action: Action, case: Case) -> bool:
    """May ``actor`` do ``action`` on ``case``? The single answer every entry point relies on."""
    if action is Action.CASE_COMMITTEE_VOTE:  # personal: only a member seated on the case votes, whatever else
        return actor.user is not None and ParticipantRole.COMMITTEE in _participation_roles(actor, case)
    if actor.staff_may(action, case):
        return True
    if actor.status_report_id is not None:  # a status link reaches exactly one report, as its finder
        return _is_finder(actor, case) and action in FINDER_ACTIONS
    if _is_finder(actor, case) and action in FINDER_ACTIONS:
        return True
    roles = _participation_roles(actor, case)
    if not roles:
        return False
    if roles == {ParticipantRole.COMMITTEE}:  # a committee member only: the case summary (and the vote, above)
        return action is Action.CASE_VIEW
    if action is Action.CASE_FINDER_IDENTITY:
        return ParticipantRole.DEVELOPER in roles and case.report.consent_share_identity
    if action is Action.CASE_OPERATOR_RESPOND:
        return case.flow == "website" and bool(roles & WEBSITE_RESPONDERS)
    if action is Action.CASE_DEVELOPER_RESPOND:
        return case.flow == "product" and ParticipantRole.DEVELOPER in roles
    return action in PARTICIPANT_ACTIONS


# Fields of a submission that identify the finder. They reach only those with CASE_FINDER_IDENTITY: a credit name
# is often the finder's real name, so it is identity too until publication.
FINDER_IDENTITY_FIELDS = frozenset({"finder_name", "finder_email", "finder_organisation", "credit_name"})


def submission_visible_to(actor: Actor, case: Case) -> dict[str, object]:
    """The report as submitted, without the finder's identity unless the actor may see it."""
    show = can(actor, Action.CASE_FINDER_IDENTITY, case)
    return {k: v for k, v in case.report.submission.items() if show or k not in FINDER_IDENTITY_FIELDS}


class CaseNotFound(Exception):
    """The case does not exist *or* the actor may not see it: callers answer both with the same 404."""


class ActionDenied(Exception):
    """The actor sees the case but may not do this action on it (403)."""


def access_case(actor: Actor, case_id: uuid.UUID | str, action: Action = Action.CASE_VIEW) -> Case:
    """Fetch a case for ``action``: a uniform CaseNotFound when invisible, ActionDenied when visible only."""
    try:
        pk = uuid.UUID(str(case_id))
    except ValueError as exc:
        raise CaseNotFound from exc
    case = cases_visible_to(actor).filter(pk=pk).first()
    if case is None or not can(actor, Action.CASE_VIEW, case):
        raise CaseNotFound
    if not can(actor, action, case):
        raise ActionDenied
    return case


def messages_visible_to(actor: Actor, case: Case) -> QuerySet[Message]:
    """The messages of ``case`` this actor may read (the case itself must already be accessible)."""
    messages = case.messages.select_related("author", "organisation")
    if can(actor, Action.CASE_MESSAGE_INTERNAL, case):
        return messages.all()
    if _is_finder(actor, case):
        return messages.filter(visibility=Visibility.FINDER)
    if _participation_roles(actor, case) - {ParticipantRole.COMMITTEE}:
        return messages.filter(
            Q(visibility=Visibility.PARTICIPANTS)
            | Q(visibility=Visibility.ORGANISATION, organisation_id__in=actor.participant_org_ids)
        )
    return messages.none()


def is_finder(actor: Actor, case: Case) -> bool:
    """Is ``actor`` the finder of ``case`` (by account or by its status link)?"""
    return _is_finder(actor, case)


def actor_for_request(request: object) -> Actor:
    """The actor behind an HTTP request (session or API token; the token auth sets ``request.user``)."""
    user = getattr(request, "user", None)
    return Actor.for_user(user, via_token=bool(getattr(request, "earlywarn_via_token", False)))


def staff_actor(request: object, action: Action) -> Actor:
    """The actor behind a request, when staff may do ``action`` at all; anyone else gets a 404, as for a page
    that does not exist (staff pages do not reveal themselves)."""
    actor = actor_for_request(request)
    if not actor.staff_may(action):
        raise Http404
    return actor


def attachments_visible_to(actor: Actor, case: Case) -> QuerySet[Attachment]:
    """The attachments of ``case`` this actor may download: staff all; others by the attachment's audience."""
    attachments = case.attachments.all()
    if can(actor, Action.CASE_MESSAGE_INTERNAL, case):
        return attachments
    if is_finder(actor, case):
        return attachments.filter(visibility=Visibility.FINDER)
    if _participation_roles(actor, case) - {ParticipantRole.COMMITTEE}:
        return attachments.filter(visibility=Visibility.PARTICIPANTS)
    return attachments.none()


def priority_deliveries_visible_to(actor: Actor) -> QuerySet[Any]:
    """Priority information (§4.9) addressed to the actor's organisations: a recipient sees the countermeasure
    information delivered to it and nothing else of the case (it is not a case participant)."""
    from earlywarn.coordination.models import PriorityDelivery  # the coordination app builds on this module

    if actor.user is None or actor.link_case_id is not None or not actor.participant_org_ids:
        return PriorityDelivery.objects.none()
    return PriorityDelivery.objects.filter(organisation_id__in=actor.participant_org_ids)
