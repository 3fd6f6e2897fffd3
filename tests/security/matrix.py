"""The access matrix as data: principals, the world they act in, every route, and the expected outcome of each cell.

security.md tests 1, 2, 3 and 13. The expected outcomes come from an oracle written here from
docs/access-policy.md, independently of ``earlywarn.cases.policy`` (the code under test is never asked what it
should answer). ``test_access_matrix.py`` runs every cell; ``test_canary_leaks.py`` scans every response and the
mail outbox for markers planted in the world.

Vocabulary:

* principal - who asks, and how (no credentials, a session, a bearer token, or a finder's status link);
* object - what the URL points at: a case (``own``, ``other``, ``web``), an attachment of a case, an API token;
* cell - one (route, method, principal, object) request with its expected outcome.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.security import advisory_matrix

# --------------------------------------------------------------------------------------------------------------
# Principals
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    name: str
    user: str | None = None  # key of a user in the world
    auth: str = "none"  # none | session | token | link

    def __str__(self) -> str:
        return self.name


PRINCIPAL_LIST = [
    Principal("anon"),
    Principal("finder_link", auth="link"),  # holds the private status link of the ``own`` report, no account
    Principal("finder", "finder", "session"),  # submitted ``own`` while logged in
    Principal("finder_token", "finder", "token"),
    Principal("other_finder", "other_finder", "session"),  # submitted ``other``
    Principal("dev", "dev", "session"),  # member of dev_org: brought into ``own`` (no consent), ``other`` (consent)
    Principal("dev_token", "dev", "token"),
    Principal("dev_out", "dev_out", "session"),  # member of a developer organisation never brought in
    Principal("operator", "operator", "session"),  # member of operator_org, brought into the website case
    Principal("removed", "removed", "session"),  # member of removed_org, whose participation in ``own`` ended
    Principal("removed_token", "removed", "token"),
    Principal("handler", "handler", "session"),  # receiving organisation, with TOTP
    Principal("handler_token", "handler", "token"),
    Principal("coordinator", "coordinator", "session"),  # coordinating organisation, with TOTP
    Principal("coordinator_token", "coordinator", "token"),
    Principal("admin", "admin", "session"),  # administrator of the receiving organisation, with TOTP
    Principal("admin_token", "admin", "token"),
    Principal("fake_handler", "fake_handler", "session"),  # a "handler" membership in a DEVELOPER organisation
    Principal("fake_handler_token", "fake_handler", "token"),
    Principal("staff_no_mfa", "nomfa", "session"),  # a real handler who has not set up TOTP
    Principal("operator_link", auth="oplink"),  # holds the operator's private link of the ``web`` case, no account
    Principal("recipient", "recipient", "session"),  # critical-infrastructure member: priority information of ``own``
    Principal("committee", "committee", "session"),  # publication judgment committee member seated on ``other`` only
    Principal("committee_token", "committee", "token"),
]
PRINCIPALS = {p.name: p for p in PRINCIPAL_LIST}
# Staff without MFA holding an API token is covered by dedicated tests (test_access_matrix.py), not by the
# matrix: every API cell of such a principal would fail on the same bug.

# --------------------------------------------------------------------------------------------------------------
# The oracle: who sees what (docs/access-policy.md), keyed by the world's user keys
# --------------------------------------------------------------------------------------------------------------

CASES = ("own", "other", "web")
PRODUCT_CASES = frozenset({"own", "other"})
ALL_CASES = frozenset(CASES)
CASE_FLOW = {"own": "product", "other": "product", "web": "website"}
CONSENT = frozenset({"other", "web"})  # the finder consented to share identity (developers only may then see it)
FINDER_OF = {"own": "finder", "other": "other_finder"}  # account that submitted the case (``web`` was anonymous)
STAFF = frozenset({"handler", "coordinator", "admin"})
JUDGES = frozenset({"handler", "admin"})  # may accept/reject (case:judge)
SEES: dict[str, frozenset[str]] = {
    "finder": frozenset({"own"}),
    "other_finder": frozenset({"other"}),
    "dev": frozenset({"own", "other"}),
    "operator": frozenset({"web"}),
    "handler": ALL_CASES,
    "coordinator": PRODUCT_CASES,
    "admin": ALL_CASES,
    "committee": frozenset({"other"}),  # ``own`` is before the committee too, with another member seated
}
# The organisation (and participant role) through which a participant user sees a case.
PARTICIPANT_ORG = {"dev": "dev_org", "operator": "operator_org", "removed": "removed_org", "dev_out": "dev_out_org",
                   "oplink:web": "operator_org"}
PARTICIPANT_ROLE = {"dev": "developer", "operator": "operator", "removed": "developer", "dev_out": "developer",
                    "oplink:web": "operator"}
WEBSITE_HANDLERS = frozenset({"handler", "admin"})  # work the website flow (case:handle_website)
COORDINATORS = frozenset({"coordinator", "admin"})  # coordinate product cases (case:coordinate)
# Priority-information recipients (§4.9): the countermeasure information delivered to them, nothing of any case.
PRIORITY_RECIPIENTS = {"recipient": frozenset({"own"})}
COMMITTEE_MEMBERS = frozenset({"committee"})  # see their seated cases' summary and vote there, nothing else
ATTACHMENT_KINDS = ("finder", "internal", "participants")


def sees(user: str | None, case: str) -> bool:
    return user is not None and case in SEES.get(user, frozenset())


def case_role(viewer: str | None, case: str) -> str | None:
    """How ``viewer`` relates to ``case``: staff, finder, participant or nothing.

    A viewer is a user key, ``link:<case>`` (holder of a case's status link) or ``mail:<case>`` (the finder's
    e-mail address of a case, as a mail recipient).
    """
    if viewer is None:
        return None
    if viewer.startswith("oplink:"):  # the operator's link acts for operator_org on that one case
        return "participant" if viewer == f"oplink:{case}" else None
    if viewer in STAFF:
        return "staff" if sees(viewer, case) else None
    if viewer in COMMITTEE_MEMBERS:
        return "committee" if sees(viewer, case) else None
    if FINDER_OF.get(case) == viewer or viewer in {f"link:{case}", f"mail:{case}"}:
        return "finder"
    if sees(viewer, case):
        return "participant"
    return None


def may(user: str | None, case: str, action: str) -> bool:
    """May ``user`` (who sees ``case``) do ``action`` there? Actions: view, message, events, attachments, judge."""
    role = case_role(user, case)
    if role is None:
        return False
    if action == "view":
        return True
    if action == "message":
        return role != "committee"
    if action == "committee":  # a seated member's page and vote
        return role == "committee"
    if action == "events":
        return role == "staff"
    if action == "attachments":
        return role in {"staff", "participant", "finder"}
    if action == "judge":
        return user in JUDGES
    if action == "website":
        return user in WEBSITE_HANDLERS
    if action == "coordinate":
        return user in COORDINATORS
    raise AssertionError(action)


def attachment_readable(user: str | None, case: str, kind: str) -> bool:
    role = case_role(user, case)
    return role == "staff" or (role == "participant" and kind == "participants") or (
        role == "finder" and kind == "finder"
    )


# --------------------------------------------------------------------------------------------------------------
# Canary markers
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    text: str
    kind: str  # case | identity | message | attachment | event | status_token | token_name | raw_token
    case: str | None = None
    extra: tuple[str, ...] = ()  # message: (visibility, organisation key); attachment: (kind,); token: (owner,)

    def __str__(self) -> str:
        return f"{self.kind}:{self.case}:{'/'.join(self.extra)}"


def entitled(marker: Marker, viewer: str | None, owner: str | None = None) -> bool:
    """May ``viewer`` read the text of ``marker``? ``owner`` is the account behind the viewer (for tokens)."""
    if marker.kind == "token_name":
        return owner is not None and owner == marker.extra[0]
    if marker.kind == "raw_token":
        return False  # a token is shown once, at creation, and never again
    if marker.kind == "advisory_draft":  # an unpublished advisory: advisory staff only
        return viewer in advisory_matrix.ADVISORY_STAFF
    if marker.kind == "priority":  # priority information: its recipients and the coordinators, nobody else
        return marker.case in PRIORITY_RECIPIENTS.get(viewer or "", frozenset()) or viewer in COORDINATORS
    assert marker.case is not None
    role = case_role(viewer, marker.case)
    if marker.kind == "case":
        return role is not None
    if marker.kind == "status_token":  # extra ("operator",): the operator's link of the case
        return viewer == f"oplink:{marker.case}" if marker.extra else role == "finder"
    if marker.kind == "event":  # the audit trail is for staff only
        return role == "staff"
    if marker.kind == "identity":
        return role in {"staff", "finder"} or (
            role == "participant" and marker.case in CONSENT and PARTICIPANT_ROLE.get(viewer or "") == "developer"
        )
    if marker.kind == "message":
        visibility, organisation = marker.extra
        if role == "staff":
            return True
        if role == "finder":
            return visibility == "finder"
        if role == "participant":
            return visibility == "participants" or (
                visibility == "organisation" and organisation == PARTICIPANT_ORG.get(viewer or "")
            )
        return False
    if marker.kind == "attachment":
        (kind,) = marker.extra
        return role == "staff" or (role == "finder" and kind == "finder") or (
            role == "participant" and kind == "participants"
        )
    raise AssertionError(marker.kind)


def viewer_of(principal: Principal) -> str | None:
    """The oracle's viewer behind a principal. Staff without MFA see nothing until they set it up."""
    if principal.auth == "link":
        return "link:own"
    if principal.auth == "oplink":
        return "oplink:web"
    if principal.user == "nomfa":
        return None
    return principal.user


def _canary(purpose: str) -> str:
    return f"canary-{purpose}-{secrets.token_hex(6)}"


# --------------------------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    orgs: dict[str, Any] = field(default_factory=dict)
    raw_tokens: dict[str, str] = field(default_factory=dict)  # user key -> raw bearer token
    token_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # user key -> ApiToken id
    sessions: dict[str, str] = field(default_factory=dict)  # user key -> session cookie value
    cases: dict[str, Any] = field(default_factory=dict)
    status_tokens: dict[str, str] = field(default_factory=dict)
    operator_link: str = ""  # the secret of the ``web`` case's operator link
    invitation: str = ""  # the secret of an invitation to join dev_out_org (the link of a developer's notice)
    alert_id: str = ""  # a published alert (public)
    advisories: dict[str, Any] = field(default_factory=dict)  # advisory_matrix.build
    attachments: dict[tuple[str, str], Any] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    missing_case_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    missing_attachment_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    missing_token_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    missing_status_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    guessed_status_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _client: Client | None = None

    def mark(self, marker: Marker) -> str:
        self.markers.append(marker)
        return marker.text

    def client(self, principal: Principal) -> Client:
        """A client carrying only this principal's credentials. One Client is reused: building its handler
        loads the middleware (WhiteNoise scans every static file), which would dominate the run time."""
        if self._client is None:
            self._client = Client()
        client = self._client
        client.cookies = SimpleCookie()
        if principal.auth == "session":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[principal.user or ""]
        return client

    def headers(self, principal: Principal) -> dict[str, str]:
        if principal.auth == "token":
            return {"Authorization": f"Bearer {self.raw_tokens[principal.user or '']}"}
        return {}


def _attach(case: Any, kind: str, text: str) -> Any:
    from earlywarn.cases.models import Attachment

    content = f"{text}\n".encode()
    attachment = Attachment(case=case, visibility=kind, original_name=f"{text}.txt", content_type="text/plain",
                            size=len(content), sha256=hashlib.sha256(content).hexdigest())
    attachment.file.save(str(attachment.id), ContentFile(content), save=False)
    attachment.save()
    return attachment


def build_world() -> World:
    from allauth.mfa.models import Authenticator

    from earlywarn.accounts.models import Membership, OrganisationKind, Role
    from earlywarn.accounts.services import token_create
    from earlywarn.cases.models import CaseParticipant, Visibility
    from earlywarn.cases.policy import Actor
    from earlywarn.cases.services import event_record, message_post
    from earlywarn.intake.services import report_submit
    from tests.factories import OrganisationFactory, UserFactory, product_submission, website_submission

    world = World()
    organisations = {
        "receiving": OrganisationKind.RECEIVING, "coordinating": OrganisationKind.COORDINATING,
        "dev_org": OrganisationKind.DEVELOPER, "dev_out_org": OrganisationKind.DEVELOPER,
        "third_org": OrganisationKind.DEVELOPER, "removed_org": OrganisationKind.DEVELOPER,
        "operator_org": OrganisationKind.OPERATOR, "fake_org": OrganisationKind.DEVELOPER,
        "ci_org": OrganisationKind.CRITICAL_INFRASTRUCTURE,
    }
    for key, kind in organisations.items():
        world.orgs[key] = OrganisationFactory(kind=kind, name=f"{key}-組織", name_en=key)

    identity = {case: (f"CanaryName{case.title()}{secrets.token_hex(5)}",
                       f"canary-mail-{case}-{secrets.token_hex(5)}@example.test") for case in CASES}
    for case, (name, email) in identity.items():
        world.mark(Marker(name, "identity", case))
        world.mark(Marker(email, "identity", case))

    memberships = {
        "dev": ("dev_org", Role.MEMBER), "dev_out": ("dev_out_org", Role.MEMBER),
        "operator": ("operator_org", Role.MEMBER), "removed": ("removed_org", Role.MEMBER),
        "handler": ("receiving", Role.HANDLER), "coordinator": ("coordinating", Role.COORDINATOR),
        "admin": ("receiving", Role.ADMINISTRATOR), "fake_handler": ("fake_org", Role.HANDLER),
        "nomfa": ("receiving", Role.HANDLER), "recipient": ("ci_org", Role.MEMBER),
    }
    # The finder's account carries the same name and address as the report: any place that labels the
    # finder's account (message authors, event actors) is then covered by the identity canary too.
    world.users["finder"] = UserFactory(email=identity["own"][1], display_name=identity["own"][0])
    world.users["other_finder"] = UserFactory(email=identity["other"][1], display_name=identity["other"][0])
    for key, (org, role) in memberships.items():
        world.users[key] = UserFactory(email=f"{key}-{secrets.token_hex(4)}@example.test", display_name=key)
        Membership.objects.create(user=world.users[key], organisation=world.orgs[org], role=role)
    world.users["bystander"] = UserFactory()  # owns the foreign API token
    world.users["committee"] = UserFactory(email=f"committee-{secrets.token_hex(4)}@example.test",
                                           display_name="committee")
    for key in ("handler", "coordinator", "admin"):
        Authenticator.objects.create(user=world.users[key], type=Authenticator.Type.TOTP, data={"secret": "x"})

    for key, user in world.users.items():
        name = world.mark(Marker(_canary(f"token-name-{key}"), "token_name", extra=(key,)))
        token, raw = token_create(user=user, name=name)
        world.raw_tokens[key] = raw
        world.token_ids[key] = token.id
        world.mark(Marker(raw, "raw_token"))
        client = Client()
        client.force_login(user)
        world.sessions[key] = client.cookies[settings.SESSION_COOKIE_NAME].value

    submitters = {"own": world.users["finder"], "other": world.users["other_finder"], "web": None}
    for case_key in CASES:
        title = world.mark(Marker(_canary(f"title-{case_key}"), "case", case_key))
        description = world.mark(Marker(_canary(f"description-{case_key}"), "case", case_key))
        finder_attachment = world.mark(Marker(_canary(f"attachment-{case_key}-finder"), "attachment", case_key,
                                              ("finder",)))
        credit = world.mark(Marker(_canary(f"credit-{case_key}"), "identity", case_key))
        fields = {"title": title, "description": description, "finder_name": identity[case_key][0],
                  "finder_email": identity[case_key][1], "consent_share_identity": case_key in CONSENT,
                  "credit": "handle", "credit_name": credit}
        flow = CASE_FLOW[case_key]
        submission = product_submission(**fields) if flow == "product" else website_submission(**fields)
        upload = SimpleUploadedFile(f"{finder_attachment}.txt", f"{finder_attachment}\n".encode(), "text/plain")
        receipt = report_submit(actor=Actor.for_user(submitters[case_key]), kind=flow, submission=submission,
                                language="ja", attachments=[upload])
        case = receipt.case
        world.cases[case_key] = case
        world.status_tokens[case_key] = receipt.status_token
        world.mark(Marker(receipt.report.tracking_id, "case", case_key))
        world.mark(Marker(receipt.status_token, "status_token", case_key))
        world.attachments[(case_key, "finder")] = case.attachments.get()
        for kind in ("internal", "participants"):
            text = world.mark(Marker(_canary(f"attachment-{case_key}-{kind}"), "attachment", case_key, (kind,)))
            world.attachments[(case_key, kind)] = _attach(case, kind, text)

    now = timezone.now()
    participants = {"own": [("dev_org", "developer"), ("third_org", "developer")], "other": [("dev_org", "developer")],
                    "web": [("operator_org", "operator")]}
    for case_key, rows in participants.items():
        for org, role in rows:
            CaseParticipant.objects.create(case=world.cases[case_key], organisation=world.orgs[org], role=role,
                                           added_at=now)
    CaseParticipant.objects.create(case=world.cases["own"], organisation=world.orgs["removed_org"],
                                   role="developer", added_at=now, removed_at=now)
    # The publication judgment committee: ``committee`` is seated on ``other``, another member on ``own``.
    from earlywarn.committee.models import CommitteeMember, Referral, Seat

    for case_key, member_user in {"other": world.users["committee"], "own": UserFactory()}.items():
        member = CommitteeMember.objects.create(user=member_user)
        referral = Referral.objects.create(case=world.cases[case_key], reason_code="deadlocked", referred_by="matrix",
                                           reason="matrix referral")
        seat = CaseParticipant.objects.create(case=world.cases[case_key], role="committee", user=member_user,
                                              added_at=now)
        Seat.objects.create(referral=referral, member=member, participant=seat)
    # Priority information of ``own`` delivered to ci_org (§4.9): its members read it on /priority/, nothing else.
    from earlywarn.coordination.models import PriorityDelivery, PrioritySelection

    information = world.mark(Marker(_canary("priority"), "priority", "own"))
    selection = PrioritySelection.objects.create(case=world.cases["own"], sectors=["electric_power"],
                                                 lead_business_days=3, information=information, selected_by="matrix",
                                                 provided_at=now)
    PriorityDelivery.objects.create(selection=selection, organisation=world.orgs["ci_org"], sector="electric_power",
                                    email="soc@matrix.example.test")
    # The website operator's private link (no account): it acts for operator_org on ``web`` only.
    from earlywarn.websites.links import link_issue, link_token
    from earlywarn.websites.models import WebsiteContact

    contact = WebsiteContact.objects.create(case=world.cases["web"], organisation=world.orgs["operator_org"],
                                            role="operator", email="webmaster@matrix.example.test", source="handler")
    world.operator_link = world.mark(Marker(link_token(link_issue(contact).id), "status_token", "web", ("operator",)))
    from earlywarn.websites.models import Alert

    world.alert_id = str(Alert.objects.create(title="Matrix alert", body="Please update your CMS.").id)

    world.advisories = advisory_matrix.build(world, world.mark, Marker)
    admin = Actor.for_user(world.users["admin"])
    audiences = {
        "own": [("internal", None), ("finder", None), ("organisation", "dev_org"), ("organisation", "third_org"),
                ("organisation", "removed_org"), ("participants", None)],
        "other": [("internal", None), ("finder", None), ("organisation", "dev_org"), ("participants", None)],
        "web": [("internal", None), ("finder", None), ("organisation", "operator_org"), ("participants", None)],
    }
    for case_key, rows in audiences.items():
        case = world.cases[case_key]
        for visibility, org in rows:
            body = world.mark(Marker(_canary(f"message-{case_key}-{visibility}-{org or ''}"), "message", case_key,
                                     (visibility, org or "")))
            message_post(actor=admin, case=case, body=body, visibility=visibility,
                         organisation_id=world.orgs[org].id if org else None)
    # Messages written by a finder (through the account) and by participants, with the audience they force.
    authored = [("own", "finder", Visibility.FINDER, ""), ("other", "other_finder", Visibility.FINDER, ""),
                ("own", "dev", Visibility.ORGANISATION, "dev_org"),
                ("web", "operator", Visibility.ORGANISATION, "operator_org")]
    for case_key, author, visibility, org in authored:
        body = world.mark(Marker(_canary(f"message-{case_key}-by-{author}"), "message", case_key,
                                 (str(visibility), org)))
        message_post(actor=Actor.for_user(world.users[author]), case=world.cases[case_key], body=body,
                     visibility="internal")
    # An internal note in the audit trail (the reason of a staff step), readable by staff only.
    handler = Actor.for_user(world.users["handler"])
    for case_key in CASES:
        reason = world.mark(Marker(_canary(f"event-{case_key}"), "event", case_key))
        event_record(case=world.cases[case_key], actor=handler, tag="case:note:added", reason=reason)
    # An invitation to join dev_out_org (no case): whoever holds its link may open it (coordination/invitations.py).
    from earlywarn.coordination.invitations import invitation_issue, invitation_token

    invitation = invitation_issue(organisation=world.orgs["dev_out_org"], email="psirt@dev-out.example.test")
    world.invitation = invitation_token(invitation.id)
    return world


# --------------------------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------------------------

API = "/api/v1"
MFA_SETUP_URL = "/accounts/2fa/totp/activate/"


@dataclass(frozen=True)
class Route:
    """One (URL name, method) of the site with how to call it and which outcome class it has.

    ``kind`` selects the URL builder and the expectation rule below. ``op`` names the ninja operation
    (method, OpenAPI path) for API routes; ``action`` is the policy action a case route needs.
    """

    name: str
    method: str
    kind: str
    op: tuple[str, str] | None = None
    action: str = "view"
    objects: tuple[Any, ...] = ("-",)
    ok: int = 200

    @property
    def api(self) -> bool:
        return self.op is not None or self.name.startswith("api:")

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


CASE_OBJECTS = CASES
ATTACHMENT_OBJECTS = tuple((case, kind) for case in CASES for kind in ATTACHMENT_KINDS)
TOKEN_OBJECTS = ("own_token", "foreign_token")

ROUTES: list[Route] = [
    # public pages
    Route("web:home", "GET", "public"),
    Route("intake:report_product", "GET", "public"),
    Route("intake:report_product", "POST", "form_post", objects=("product",), ok=302),
    Route("intake:report_website", "GET", "public"),
    Route("intake:report_website", "POST", "form_post", objects=("website",), ok=302),
    Route("intake:report_received", "GET", "received", ok=302),
    Route("set_language", "POST", "set_language", ok=302),
    # the public quarterly statistics (aggregates only; "bad" = a quarter or format that does not exist)
    Route("stats:index", "GET", "public"),
    Route("stats:quarter", "GET", "stats", objects=("latest", "bad")),
    Route("stats:download", "GET", "stats", objects=("pdf", "html", "csv", "json", "bad")),
    # the public alerts (注意喚起): published alerts only ("bad" = an alert that does not exist)
    Route("websites:alerts", "GET", "public"),
    Route("websites:alert", "GET", "alert", objects=("published", "bad")),
    # the public list of unreachable developers (§4.6): developer name and product of listed cases only
    Route("coordination:unreachable", "GET", "public"),
    # priority information (§4.9): a recipient's deliveries; a case's information to its recipients only
    Route("coordination:priority_list", "GET", "login_page"),
    Route("coordination:priority_detail", "GET", "priority", objects=CASE_OBJECTS),
    # the finder's private status page
    Route("intake:status", "GET", "status", objects=CASE_OBJECTS),
    Route("intake:status", "POST", "status", objects=CASE_OBJECTS, ok=302),
    # pages for any logged-in account
    Route("intake:my_reports", "GET", "login_page"),
    Route("accounts:tokens", "GET", "login_page"),
    Route("accounts:tokens", "POST", "token_create"),
    Route("accounts:token_revoke", "POST", "token_revoke", objects=TOKEN_OBJECTS, ok=302),
    # the console
    Route("console:queue", "GET", "queue"),
    Route("console:shared", "GET", "login_page"),
    Route("console:case", "GET", "case", objects=CASE_OBJECTS),
    Route("console:case_act", "GET", "method_not_allowed", objects=CASE_OBJECTS, ok=405),
    Route("console:case_act", "POST", "case", action="judge", objects=CASE_OBJECTS, ok=302),
    Route("console:case_message", "POST", "case", action="message", objects=CASE_OBJECTS, ok=302),
    Route("console:attachment", "GET", "attachment", objects=ATTACHMENT_OBJECTS),
    # the website flow: the operator's page (private link), the handler's website pages
    Route("websites:operator", "GET", "oplink", objects=("web",)),
    Route("websites:operator", "POST", "oplink", objects=("web",), ok=302),
    Route("websites:case_act", "POST", "case", action="website", objects=CASE_OBJECTS, ok=302),
    Route("websites:prolonged", "GET", "website_staff"),
    Route("websites:alert_new", "GET", "website_staff"),
    Route("websites:alert_new", "POST", "website_staff", ok=422),  # no case chosen: refused, nothing changes
    # the product flow: the coordination panel's actions (coordinators; developers answer through the API here)
    Route("coordination:case_act", "POST", "case", action="coordinate", objects=CASE_OBJECTS, ok=302),
    # the publication judgment committee: a seated member's cases, summary and vote; the console's committee page
    # (coordinators read it, administrators manage the pool)
    Route("committee:mine", "GET", "login_page"),
    Route("committee:case", "GET", "case", action="committee", objects=CASE_OBJECTS),
    Route("committee:case", "POST", "case", action="committee", objects=CASE_OBJECTS, ok=302),
    Route("committee:pool", "GET", "committee_staff"),
    Route("committee:pool", "POST", "committee_staff", ok=302),
    # the coordinators' dashboard of product cases by due date (case:coordinate holders only)
    Route("coordination:dashboard", "GET", "coordinator_staff"),
    # the API's own pages
    Route("api:openapi-json", "GET", "public"),
    Route("api:openapi-view", "GET", "public"),
    Route("api:api-root", "GET", "public", ok=404),  # ninja's reverse() anchor: always 404
    # API operations
    Route("api:report_create", "POST", "report_create", op=("POST", "/reports"), ok=201),
    Route("api:case_list", "GET", "api_list", op=("GET", "/cases")),
    Route("api:case_detail", "GET", "case", op=("GET", "/cases/{case_id}"), objects=CASE_OBJECTS),
    Route("api:case_messages", "GET", "case", op=("GET", "/cases/{case_id}/messages"), objects=CASE_OBJECTS),
    Route("api:case_message_post", "POST", "case", op=("POST", "/cases/{case_id}/messages"), action="message",
          objects=CASE_OBJECTS, ok=201),
    Route("api:case_events", "GET", "case", op=("GET", "/cases/{case_id}/events"), action="events",
          objects=CASE_OBJECTS),
    Route("api:case_attachments", "GET", "case", op=("GET", "/cases/{case_id}/attachments"),
          action="attachments", objects=CASE_OBJECTS),
    Route("api:case_attachment_download", "GET", "attachment",
          op=("GET", "/cases/{case_id}/attachments/{attachment_id}"), objects=ATTACHMENT_OBJECTS),
    Route("api:case_action", "POST", "case", op=("POST", "/cases/{case_id}/actions/{action}"), action="judge",
          objects=CASE_OBJECTS),
    Route("api:status_get", "GET", "status", op=("GET", "/status/{token}"), objects=CASE_OBJECTS),
    Route("api:status_message_post", "POST", "status", op=("POST", "/status/{token}/messages"),
          objects=CASE_OBJECTS, ok=201),
    Route("api:prolonged_get", "GET", "website_staff_api", op=("GET", "/websites/prolonged")),
    Route("api:operator_get", "GET", "oplink", op=("GET", "/operator/{token}"), objects=("web",)),
    Route("api:operator_action", "POST", "oplink", op=("POST", "/operator/{token}/actions/{action}"),
          objects=("web",)),
    # the developer portal (developers of a product case only), the invitation behind a developer's notice
    # ("held": the link of the world's invitation; "guessed": any other secret) and the developer directory
    Route("developer:home", "GET", "login_page"),
    Route("developer:case", "GET", "developer_case", objects=CASE_OBJECTS),
    Route("developer:case", "POST", "developer_case", objects=CASE_OBJECTS, ok=302),
    Route("developer:invitation", "GET", "invitation", objects=("held", "guessed")),
    Route("developer:invitation", "POST", "invitation", objects=("held", "guessed"), ok=302),
    Route("developer:directory", "GET", "coordinator_staff"),
    Route("developer:directory", "POST", "coordinator_staff", ok=422),  # no name: refused, nothing changes
    Route("developer:directory_entry", "GET", "directory_entry", objects=("dev_org",)),
    Route("developer:directory_entry", "POST", "directory_entry", objects=("dev_org",), ok=422),
    *advisory_matrix.routes(Route),
]

# allauth's own views (login, sign-up, password, e-mail, MFA). They hold no case data and are tested by allauth
# and by tests/web/test_staff_mfa.py. Listed by name, so that a new earlywarn route under /accounts/ cannot hide.
ALLAUTH_ROUTES = frozenset({
    "account_login", "account_logout", "account_inactive", "account_signup", "account_reauthenticate",
    "account_email", "account_email_verification_sent", "account_change_password", "account_set_password",
    "account_reset_password", "account_confirm_login_code", "account_confirm_email",
    "account_reset_password_from_key_done", "account_reset_password_from_key", "account_reset_password_done",
    "mfa_index", "mfa_authenticate", "mfa_reauthenticate", "mfa_activate_totp", "mfa_deactivate_totp",
    "mfa_view_recovery_codes", "mfa_generate_recovery_codes", "mfa_download_recovery_codes",
})
ALLAUTH_MODULES = ("allauth.",)
# Routes that nobody is denied (so the "≥1 denied principal" rule of security.md test 3 does not apply).
OPEN_TO_ALL = frozenset({"set_language"})
# Routes no principal gets a 2xx/3xx from, by design.
NEVER_ALLOWED = frozenset({"api:api-root"})


def discovered_url_patterns() -> dict[str, str]:
    """Every Django URL pattern: {namespaced name (or the pattern when unnamed): the callback's module}."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner)
            else:
                assert isinstance(entry, URLPattern)
                pattern = prefix + str(entry.pattern)
                key = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or pattern)
                callback = getattr(entry.callback, "func", entry.callback)
                found[key] = getattr(callback, "__module__", "")

    walk(get_resolver(), "/", None)
    return found


def discovered_api_operations() -> set[tuple[str, str]]:
    """Every ninja operation as (METHOD, path template below /api/v1), from the routers and the OpenAPI schema."""
    from earlywarn.config.api import api

    ops: set[tuple[str, str]] = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = re.sub(r"/+", "/", f"/{prefix}/{path}").rstrip("/") or "/"
            for operation in path_view.operations:
                ops.update((method.upper(), full) for method in operation.methods)
    for path, methods in api.get_openapi_schema()["paths"].items():
        assert path.startswith(API), path
        ops.update((method.upper(), path[len(API):]) for method in methods)
    return ops


# --------------------------------------------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """``ok``: allowed with ``status``. ``deny``: refused with ``status``, indistinguishable from the same request
    for a missing object. ``forbid``: 403 (the actor sees the case but may not do this). ``mfa``: sent to set up
    TOTP. ``method``: 405."""

    outcome: str
    status: int
    note: str = ""
    compare: bool = True  # for ``deny``: compare with the answer for a missing object

    def __str__(self) -> str:
        return f"{self.outcome} {self.status}{f' ({self.note})' if self.note else ''}"


def _login_or_401(route: Route) -> Expect:
    return Expect("deny", 401, "unauthenticated") if route.api else Expect("deny", 302, "login")


def expect(route: Route, principal: Principal, obj: Any) -> Expect:
    user = principal.user if principal.auth in {"session", "token"} else None
    if principal.user == "nomfa" and route.name not in OPEN_TO_ALL:
        note = "staff without MFA" + (" (KNOWN BUG: /accounts/tokens/ is exempt)" if route.name.startswith(
            "accounts:") else "")
        return Expect("mfa", 403 if route.api else 302, note)
    # Console pages only know the session; a bearer token there is no login at all.
    known = user if (route.api or principal.auth == "session") else None
    kind = route.kind
    if kind in {"public", "set_language", "form_post", "report_create"}:
        return Expect("ok", route.ok)
    if kind == "received":
        return Expect("ok", 302, "no receipt in this session: back home")
    if kind == "alert":  # public to everyone; an alert that does not exist is a 404 for everyone
        return Expect("deny", 404, "no such alert", compare=False) if obj == "bad" else Expect("ok", 200)
    if kind == "stats":  # public to everyone; a quarter or format that does not exist is a 404 for everyone
        return Expect("deny", 404, "no such statistics", compare=False) if obj == "bad" else Expect("ok", 200)
    if kind.startswith("advisory_"):
        return advisory_matrix.expect(route, obj, known, Expect)
    if kind == "method_not_allowed":
        return Expect("method", 405)
    if kind == "status":
        if principal.auth == "link" and obj == "own":
            return Expect("ok", route.ok)
        return Expect("deny", 404, "status link not held")
    if kind == "oplink":
        if principal.auth == "oplink" and obj == "web":
            return Expect("ok", route.ok)
        return Expect("deny", 404, "operator link not held")
    if kind == "website_staff":
        if not known:
            return Expect("deny", 302, "login", compare=False)
        return Expect("ok", route.ok) if known in WEBSITE_HANDLERS else Expect("deny", 404, "not a handler")
    if kind == "coordinator_staff":
        if not known:
            return Expect("deny", 302, "login", compare=False)
        return Expect("ok", route.ok) if known in COORDINATORS else Expect("deny", 404, "not a coordinator")
    if kind == "website_staff_api":  # the prolonged figures: handlers only, others see nothing there
        if not known:
            return _login_or_401(route)
        return Expect("ok", 200) if known in WEBSITE_HANDLERS else Expect("deny", 404, "not a handler",
                                                                          compare=False)
    if kind == "priority":
        if not known:
            return Expect("deny", 302, "login")
        if obj in PRIORITY_RECIPIENTS.get(known, frozenset()):
            return Expect("ok", 200)
        return Expect("deny", 404, "no priority information delivered")
    if kind == "committee_staff":
        if not known:
            return Expect("deny", 302, "login", compare=False)
        if known not in COORDINATORS:
            return Expect("deny", 404, "not committee staff")
        if route.method == "POST" and known != "admin":
            return Expect("forbid", 403)
        return Expect("ok", route.ok)
    if kind in {"login_page", "token_create", "api_list"}:
        return Expect("ok", 200) if known else Expect("deny", 401 if route.api else 302,
                                                      "unauthenticated" if route.api else "login", compare=False)
    if kind == "directory_entry":
        if not known:
            return Expect("deny", 302, "login", compare=False)
        return Expect("ok", route.ok) if known in COORDINATORS else Expect("deny", 404, "not a coordinator")
    if kind == "developer_case":  # the portal: a developer of a product case; others who see it get 403
        if not known:
            return _login_or_401(route)
        if not sees(known, obj):
            return Expect("deny", 404, "case not visible")
        developer = case_role(known, obj) == "participant" and PARTICIPANT_ROLE.get(known) == "developer"
        return Expect("ok", route.ok) if developer and CASE_FLOW[obj] == "product" else Expect("forbid", 403)
    if kind == "invitation":  # the link is the credential; staff accounts may not join a developer
        if obj == "guessed":
            return Expect("deny", 404, "invitation not held")
        if route.method == "GET":
            return Expect("ok", 200)
        if not known:  # no account: the sign-up form, here without any field, is refused
            return Expect("deny", 422, "sign-up without data", compare=False)
        return Expect("deny", 422, "staff account", compare=False) if known in STAFF else Expect("ok", 302)
    if kind == "token_revoke":
        if not known:
            return _login_or_401(route)
        return Expect("ok", 302) if obj == "own_token" else Expect("deny", 302, "someone else's token")
    if kind == "queue":
        if not known:
            return Expect("deny", 302, "login", compare=False)  # no object: nothing to compare with
        return Expect("ok", 200) if known in STAFF else Expect("deny", 404, "not staff")
    if kind == "case":
        if not known:
            return _login_or_401(route)
        if not sees(known, obj):
            return Expect("deny", 404, "case not visible")
        return Expect("ok", route.ok) if may(known, obj, route.action) else Expect("forbid", 403)
    if kind == "attachment":
        case, attachment = obj
        if not known:
            return _login_or_401(route)
        if not sees(known, case):
            return Expect("deny", 404, "case not visible")
        if not may(known, case, "attachments"):
            return Expect("forbid", 403)
        if not attachment_readable(known, case, attachment):
            return Expect("deny", 404, "attachment not visible")
        return Expect("ok", 200)
    raise AssertionError(kind)


@dataclass(frozen=True)
class Cell:
    route: Route
    principal: Principal
    obj: Any
    expected: Expect

    def __str__(self) -> str:
        obj = "-".join(self.obj) if isinstance(self.obj, tuple) else self.obj
        return f"{self.route.method} {self.route.name} [{obj}] as {self.principal}"


CELLS = [Cell(route, principal, obj, expect(route, principal, obj))
         for route in ROUTES for obj in route.objects for principal in PRINCIPAL_LIST]


# --------------------------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    url: str
    data: Any = None
    content_type: str | None = None
    ids: tuple[str, ...] = ()  # object identifiers in the URL (replaced by a placeholder when comparing)


def _status_token(world: World, principal: Principal, case: str, missing: bool) -> str:
    if missing:
        return world.missing_status_token
    if principal.auth == "link" and case == "own":
        return world.status_tokens["own"]
    return world.guessed_status_token  # everyone else can only guess


FORM_POST = {
    "product": {"product_name": "MatrixCMS", "vendor_name": "Matrix Corp", "title": "matrix form report",
                "description": "d", "reproduction": "r", "exploitation": "unknown", "credit": "none"},
    "website": {"url": "https://matrix.example.test/", "website_type": "sql_injection", "threat": "data_tampering",
                "title": "matrix form report", "description": "d", "reproduction": "r", "exploitation": "unknown",
                "credit": "none"},
}


def build_request(world: World, route: Route, principal: Principal, obj: Any,
                  *, missing: bool = False) -> Request:
    kind, name = route.kind, route.name
    if name == "committee:case":
        case_id = world.missing_case_id if missing else str(world.cases[obj].id)
        return Request(route.method, reverse(name, kwargs={"case_id": case_id}),
                       {"decision": "publish", "reasons": "matrix"} if route.method == "POST" else None,
                       ids=(case_id,))
    if name == "coordination:priority_detail":
        case_id = world.missing_case_id if missing else str(world.cases[obj].id)
        return Request("GET", reverse(name, kwargs={"case_id": case_id}), ids=(case_id,))
    if kind == "committee_staff":
        if missing:
            return Request("GET", reverse("console:case", kwargs={"case_id": world.missing_case_id}),
                           ids=(world.missing_case_id,))
        return Request(route.method, reverse(name), {"op": "add_member", "email": world.users["bystander"].email}
                       if route.method == "POST" else None)
    if name in {"console:case", "console:case_act", "console:case_message", "websites:case_act",
                "coordination:case_act"}:
        case_id = world.missing_case_id if missing else str(world.cases[obj].id)
        data = {"action": "accept", "reason": "matrix"} if name == "console:case_act" else {"body": "matrix message",
                                                                                             "visibility": "internal"}
        if name == "websites:case_act":
            data = {"action": "discover_contacts"}
        if name == "coordination:case_act":  # no developer named: refused on the page, nothing changes
            data = {"action": "start_coordination"}
        return Request(route.method, reverse(name, kwargs={"case_id": case_id}),
                       data if route.method == "POST" else None, ids=(case_id,))
    if kind == "attachment":
        case = obj[0]
        case_id, attachment_id = str(world.cases[case].id), str(world.attachments[obj].id)
        if missing:
            attachment_id = world.missing_attachment_id
            if not sees(principal.user if principal.auth in {"session", "token"} else None, case):
                case_id = world.missing_case_id
        url = (reverse(name, kwargs={"case_id": case_id, "attachment_id": attachment_id}) if not route.api
               else f"{API}/cases/{case_id}/attachments/{attachment_id}")
        return Request("GET", url, ids=(case_id, attachment_id))
    if kind == "status":
        token = _status_token(world, principal, obj, missing)
        if route.api:
            url = f"{API}/status/{token}" + ("/messages" if route.method == "POST" else "")
            return Request(route.method, url, json.dumps({"body": "matrix message"}) if route.method == "POST"
                           else None, "application/json", ids=(token,))
        return Request(route.method, reverse(name, kwargs={"token": token}),
                       {"body": "matrix message"} if route.method == "POST" else None, ids=(token,))
    if kind == "oplink":
        token = world.missing_status_token if missing else (
            world.operator_link if principal.auth == "oplink" else world.guessed_status_token)
        if route.api:
            url = f"{API}/operator/{token}" + ("/actions/message" if route.method == "POST" else "")
            return Request(route.method, url, json.dumps({"body": "matrix message"}) if route.method == "POST"
                           else None, "application/json", ids=(token,))
        return Request(route.method, reverse(name, kwargs={"token": token}),
                       {"action": "message", "body": "matrix message"} if route.method == "POST" else None,
                       ids=(token,))
    if kind in {"website_staff", "coordinator_staff"}:
        if missing:
            return Request("GET", reverse("console:case", kwargs={"case_id": world.missing_case_id}),
                           ids=(world.missing_case_id,))
        data = {"title": "matrix", "body": "b"} if route.method == "POST" else None
        return Request(route.method, reverse(name), data)
    if kind.startswith("advisory_"):
        return advisory_matrix.request(world, route, obj, missing, Request)
    if kind == "directory_entry":
        if missing:
            return Request("GET", reverse("console:case", kwargs={"case_id": world.missing_case_id}),
                           ids=(world.missing_case_id,))
        org_id = str(world.orgs[obj].id)
        return Request(route.method, reverse(name, kwargs={"organisation_id": org_id}),
                       {"name": "", "contact_email": "x"} if route.method == "POST" else None, ids=(org_id,))
    if kind == "developer_case":
        case_id = world.missing_case_id if missing else str(world.cases[obj].id)
        return Request(route.method, reverse(name, kwargs={"case_id": case_id}),
                       {"action": "message", "body": "matrix message"} if route.method == "POST" else None,
                       ids=(case_id,))
    if kind == "invitation":
        token = world.missing_status_token if missing else (
            world.invitation if obj == "held" else world.guessed_status_token)
        return Request(route.method, reverse(name, kwargs={"token": token}),
                       {"action": "accept"} if route.method == "POST" else None, ids=(token,))
    if kind == "token_revoke":
        owner = "bystander" if obj == "foreign_token" else (principal.user or "bystander")
        token_id = world.missing_token_id if missing else str(world.token_ids[owner])
        return Request("POST", reverse(name, kwargs={"token_id": token_id}), {}, ids=(token_id,))
    if kind == "case":  # API case operations
        case_id = world.missing_case_id if missing else str(world.cases[obj].id)
        path = route.op[1].replace("{case_id}", case_id).replace("{action}", "accept")  # type: ignore[index]
        body = {"body": "matrix message", "visibility": "internal"} if route.action == "message" else (
            {"reason": "matrix"} if route.action == "judge" else None)
        return Request(route.method, API + path, json.dumps(body) if body is not None else None,
                       "application/json" if body is not None else None, ids=(case_id,))
    if kind == "queue":
        if missing:  # a page that does not exist for this principal either
            return Request("GET", reverse("console:case", kwargs={"case_id": world.missing_case_id}),
                           ids=(world.missing_case_id,))
        return Request("GET", reverse(name))
    if kind == "report_create":
        body = {"kind": "product", "title": "matrix api report", "description": "d", "reproduction": "r",
                "product_name": "MatrixCMS", "vendor_name": "Matrix Corp", "exploitation": "unknown", "credit": "none"}
        return Request("POST", f"{API}/reports", json.dumps(body), "application/json")
    if kind == "api_list":
        return Request("GET", f"{API}/cases")
    if kind == "website_staff_api":
        return Request("GET", f"{API}/websites/prolonged")
    if kind == "form_post":
        return Request("POST", reverse(name), dict(FORM_POST[obj]))
    if kind == "alert":
        alert_id = str(uuid.UUID(int=7)) if obj == "bad" else world.alert_id
        return Request("GET", reverse(name, kwargs={"alert_id": alert_id}), ids=(alert_id,))
    if kind == "stats":
        from earlywarn.stats.views import latest_completed_quarter

        quarter = str(latest_completed_quarter())
        if name == "stats:quarter":
            return Request("GET", reverse(name, kwargs={"quarter": "2025Q5" if obj == "bad" else quarter}))
        return Request("GET", reverse(name, kwargs={"quarter": quarter, "fmt": "xlsx" if obj == "bad" else obj}))
    if kind == "set_language":
        return Request("POST", reverse(name), {"language": "en", "next": "/"})
    if kind == "token_create":
        return Request("POST", reverse(name), {"name": "matrix token"})
    return Request(route.method, reverse(name))


def perform(world: World, principal: Principal, request: Request) -> Any:
    client = world.client(principal)
    call = getattr(client, request.method.lower())
    kwargs: dict[str, Any] = {"headers": world.headers(principal)}
    if request.data is not None:
        kwargs["data"] = request.data
    if request.content_type:
        kwargs["content_type"] = request.content_type
    return call(request.url, **kwargs)


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        # Consuming the content closes the response through the test client's wrapper, which keeps Django's
        # close_old_connections away; calling response.close() here would close the test's DB connection.
        return b"".join(response.streaming_content)
    return bytes(response.content)


def visible_text(response: Any, body: bytes) -> str:
    """Everything a client can read from a response: status line, headers (with cookies) and body."""
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    cookies = "\n".join(morsel.OutputString() for morsel in response.cookies.values())
    return f"{response.status_code}\n{headers}\n{cookies}\n\n{body.decode('utf-8', errors='replace')}"


def normalised(response: Any, body: bytes, ids: tuple[str, ...]) -> tuple[int, str, str, list[tuple[str, str]]]:
    """The response with object ids replaced, for comparing a refusal with the answer for a missing object."""

    def scrub(text: str) -> str:
        for value in ids:
            text = text.replace(value, "<ID>")
        return text

    headers = sorted((key, scrub(value)) for key, value in response.headers.items() if key.lower() != "date")
    cookies = ",".join(sorted(response.cookies.keys()))
    return response.status_code, scrub(body.decode("utf-8", errors="replace")), cookies, headers


def snapshot() -> dict[str, Any]:
    """What a refused request must not change."""
    from earlywarn.accounts.models import ApiToken, Invitation
    from earlywarn.advisories.models import AdvisoryEvent
    from earlywarn.cases.models import Attachment, Case, CaseEvent, CaseParticipant, Message
    from earlywarn.committee.models import CommitteeEvent
    from earlywarn.intake.models import Report
    from earlywarn.notify.models import OutboxMessage

    return {
        "cases": sorted((str(c.id), c.flow, c.state, c.version) for c in Case.objects.all()),
        "reports": Report.objects.count(),
        "events": CaseEvent.objects.count(),
        "messages": Message.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "attachments": Attachment.objects.count(),
        "participants": CaseParticipant.objects.filter(removed_at__isnull=True).count(),
        "tokens": sorted((str(t.id), t.revoked_at is None) for t in ApiToken.objects.all()),
        "advisory_events": AdvisoryEvent.objects.count(),
        "committee_events": CommitteeEvent.objects.count(),
        "invitations_used": Invitation.objects.filter(used_at__isnull=False).count(),
    }


MUTATING = frozenset({("POST", name) for name in (
    "intake:report_product", "intake:report_website", "intake:status", "accounts:tokens", "accounts:token_revoke",
    "console:case_act", "console:case_message", "api:report_create", "api:case_message_post", "api:case_action",
    "api:status_message_post", "set_language", "websites:operator", "websites:case_act", "websites:alert_new",
    "api:operator_action", "advisories:act", "developer:case", "developer:invitation", "developer:directory",
    "developer:directory_entry", "committee:case", "committee:pool", "advisories:editor_new",
    "advisories:editor_edit")})


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What differs between two snapshots, briefly."""
    out: dict[str, Any] = {}
    for key in before:
        if before[key] == after[key]:
            continue
        if isinstance(before[key], list):
            out[key] = {"gone": sorted(set(before[key]) - set(after[key])),
                        "new": sorted(set(after[key]) - set(before[key]))}
        else:
            out[key] = (before[key], after[key])
    return out


def effect_seen(route: Route, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Did an allowed mutating request do what it is for?"""
    name = route.name
    if name in {"intake:report_product", "intake:report_website", "api:report_create"}:
        return after["reports"] == before["reports"] + 1
    if name in {"intake:status", "console:case_message", "api:case_message_post", "api:status_message_post",
                "websites:operator", "api:operator_action"}:
        return after["messages"] == before["messages"] + 1
    if name in {"console:case_act", "api:case_action"}:
        return after["events"] == before["events"] + 1 and after["cases"] != before["cases"]
    if name == "developer:case":  # the developer's message to the coordinator
        return after["messages"] == before["messages"] + 1
    if name == "developer:invitation":  # the account joined the invited organisation with it
        return after["invitations_used"] == before["invitations_used"] + 1
    if name == "committee:pool":  # an administrator adds a member to the pool: one pool event
        return after["committee_events"] == before["committee_events"] + 1
    if name in {"advisories:act", "advisories:editor_new", "advisories:editor_edit"}:  # approve, create, save:
        return after["advisory_events"] == before["advisory_events"] + 1  # one audit event each
    if name == "accounts:tokens":
        return len(after["tokens"]) == len(before["tokens"]) + 1
    if name == "accounts:token_revoke":
        return sum(active for _id, active in after["tokens"]) == sum(active for _id, active in before["tokens"]) - 1
    # set_language stores nothing; in this world the website actions meet a case still awaiting judgment and
    # an alert with no case chosen, so they are refused after the access check (tests/websites prove effects)
    return after == before


def leaks(world: World, principal: Principal, text: str) -> list[str]:
    """The markers in ``text`` that ``principal`` is not entitled to read."""
    viewer = viewer_of(principal)
    return [f"{marker} ({marker.text})" for marker in world.markers
            if marker.text in text and not entitled(marker, viewer, principal.user)]
