"""Private links of website contacts (the operator's page), on the design of decision 0003.

The secret is ``HMAC-SHA256(secret key, "earlywarn-participant-link:" + link id)``: it can be put into a reminder
again without being stored; only its SHA-256 is kept. Each link expires (``OPERATOR_LINK_DAYS``) and can be
revoked; a new link is a new row, so a new secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from earlywarn.cases.policy import Action, Actor, can
from earlywarn.config.knobs import knob_int
from earlywarn.websites.models import ParticipantLink, WebsiteContact


def link_token(link_id: uuid.UUID) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"earlywarn-participant-link:{link_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(link: ParticipantLink) -> str:
    return f"{settings.BASE_URL}/operator/{link_token(link.id)}/"


def link_issue(contact: WebsiteContact) -> ParticipantLink:
    """A new link for ``contact`` (call inside the service's transaction). Older links stay valid until revoked."""
    link = ParticipantLink(id=uuid.uuid4(), contact=contact,
                           expires_at=timezone.now() + timedelta(days=knob_int("OPERATOR_LINK_DAYS")))
    link.token_hash = token_hash(link_token(link.id))
    link.save()
    return link


def link_current(contact: WebsiteContact) -> ParticipantLink | None:
    """The newest link of ``contact`` that still works, if any."""
    return contact.links.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by(
        "-created_at").first()


def link_resolve(token: str) -> tuple[ParticipantLink, Actor] | None:
    """The link a secret opens and the actor it makes, or None: unknown, expired or revoked alike."""
    if not token or len(token) > 100:
        return None
    link = ParticipantLink.objects.filter(token_hash=token_hash(token)).select_related(
        "contact", "contact__case", "contact__case__report", "contact__organisation").first()
    if link is None or link.revoked_at is not None or link.expires_at <= timezone.now():
        return None
    contact = link.contact
    label = f"{contact.get_role_display()}: {contact.name or contact.email}"
    actor = Actor.for_participant_link(contact.case_id, contact.organisation_id, label)
    if not can(actor, Action.CASE_VIEW, contact.case):  # the participation ended (removed, case reclassified)
        return None
    return link, actor
