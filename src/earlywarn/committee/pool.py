"""The committee's pool (docs/committee.md): administrators add members and record their declared interests.
Every change writes a ``CommitteeEvent`` in its transaction; a change that ends seats also writes the cases'
events."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from earlywarn.accounts.models import Organisation, User
from earlywarn.cases.errors import ValidationFailed, clean_text
from earlywarn.cases.policy import Action, ActionDenied, Actor, may
from earlywarn.committee.models import CommitteeEvent, CommitteeMember, DeclaredInterest
from earlywarn.committee.vacancies import seats_vacate


def _require(actor: Actor) -> None:
    if not may(actor, Action.COMMITTEE_MANAGE):
        raise ActionDenied


def _event(actor: Actor, tag: str, member: CommitteeMember, **data: Any) -> None:
    CommitteeEvent.objects.create(tag=tag, actor=actor.user, actor_label=actor.label, member=member, data=data)


def _member(member_id: str) -> CommitteeMember:
    try:
        member = CommitteeMember.objects.filter(pk=int(member_id)).select_related("user").first()
    except (TypeError, ValueError):
        member = None
    if member is None:
        raise ValidationFailed(_("Choose committee members from the list."), field="member")
    return member


def member_add(*, actor: Actor, email: str = "", note: str = "") -> CommitteeMember:
    """Add the person with this account to the pool (they sign up first, like every other user)."""
    _require(actor)
    note = clean_text(note, "note", 300)
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None:
        raise ValidationFailed(_("No account has this e-mail address: the person signs up first."), field="email")
    with transaction.atomic():
        if CommitteeMember.objects.filter(user=user).exists():
            raise ValidationFailed(_("This person is already in the pool."), field="email")
        member = CommitteeMember.objects.create(user=user, note=note)
        _event(actor, "committee:member:added", member)
    return member


def member_set_active(*, actor: Actor, member: str = "", active: bool) -> CommitteeMember:
    """Take a member out of the pool (no new seats; their seats on referrals not ended end) or back in. The
    member's row is updated (locked) before the cases, the order committee_select keeps too."""
    _require(actor)
    with transaction.atomic():
        row = _member(member)
        if row.active != active:
            row.active = active
            row.save(update_fields=["active"])
            _event(actor, "committee:member:activated" if active else "committee:member:deactivated", row)
            if not active:
                seats_vacate(actor, why="deactivated", member=row, conflicts_only=False)
    return row


def interest_declare(*, actor: Actor, member: str = "", organisation: str = "", note: str = "") -> DeclaredInterest:
    """Record an organisation the member has a conflict of interest with."""
    _require(actor)
    row = _member(member)
    try:
        org = Organisation.objects.filter(pk=uuid.UUID(str(organisation))).first()
    except ValueError:
        org = None
    if org is None:
        raise ValidationFailed(_("Choose an organisation from the list."), field="organisation")
    note = clean_text(note, "note", 300)
    with transaction.atomic():
        # The member first, then (vacating) the cases they sit on: the order committee_select keeps too.
        list(CommitteeMember.objects.select_for_update().filter(pk=row.pk))
        interest, created = DeclaredInterest.objects.get_or_create(member=row, organisation=org,
                                                                   defaults={"note": note})
        if not created:
            raise ValidationFailed(_("This interest is already declared."), field="organisation")
        _event(actor, "committee:interest:declared", row, organisation=str(org.pk))
        seats_vacate(actor, why="interest", member=row)
    return interest


def interest_withdraw(*, actor: Actor, interest: str = "") -> None:
    """Remove a declared interest that no longer holds."""
    _require(actor)
    try:
        row = DeclaredInterest.objects.filter(pk=int(interest)).select_related("member").first()
    except (TypeError, ValueError):
        row = None
    if row is None:
        raise ValidationFailed(_("Choose an interest from the list."), field="interest")
    with transaction.atomic():
        _event(actor, "committee:interest:withdrawn", row.member, organisation=str(row.organisation_id))
        row.delete()
