"""A further invitation to a developer already notified of a case (the first one expired, or another person of
the developer needs an account): ``invite_developer`` of the coordination table (docs/coordination.md)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from earlywarn.accounts.models import Invitation
from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor
from earlywarn.cases.services import event_record
from earlywarn.config.knobs import knob_int
from earlywarn.coordination.invitations import invitation_issue, invitation_url
from earlywarn.coordination.services import ACTIVE, LANGUAGES, require_product
from earlywarn.notify.services import mail_enqueue
from earlywarn.websites.contacts import clean_email


def developer_invite(*, actor: Actor, case: Case, organisation: str = "", email: str = "",
                     language: str = "") -> Invitation:
    """Send a new invitation to join a developer of ``case`` (by default to the address its notice went to)."""
    require_product(actor, case, Action.CASE_COORDINATE, ACTIVE)
    notice = next((n for n in case.developer_notices.select_related("organisation")
                   if str(n.organisation_id) == (organisation or "").strip()), None)
    if notice is None:
        raise ValidationFailed(_("Choose a product developer from the list."), field="organisation")
    address = clean_email(email) if (email or "").strip() else notice.email
    language = (language or notice.language or "ja").strip()
    if language not in LANGUAGES:
        raise ValidationFailed(_("Choose a value from the list."), field="language")
    with transaction.atomic():
        invitation = invitation_issue(organisation=notice.organisation, email=address, case=case)
        mail_enqueue(template="developer_invitation", to=address, language=language, case=case,
                     context={"tracking_id": case.tracking_id,
                              "organisation": notice.organisation.display_name(language),
                              "invitation_url": invitation_url(invitation),
                              "invitation_days": knob_int("DEVELOPER_INVITATION_DAYS")})
        event_record(case=case, actor=actor, tag="case:developer:invited",
                     data={"organisation": str(notice.organisation_id), "invitation": str(invitation.pk)})
    return invitation
