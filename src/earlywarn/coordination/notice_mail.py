"""The developer's notice mail (docs/coordination.md, "Mail"): the invitation link to the portal, and the report's
details only inside a copy encrypted to the developer's OpenPGP key from the directory (decision 0006)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from earlywarn.accounts.models import Organisation, SecurityContact
from earlywarn.cases.models import Case
from earlywarn.config.knobs import knob_int
from earlywarn.coordination.invitations import invitation_issue, invitation_url
from earlywarn.notify.models import OutboxMessage
from earlywarn.notify.services import mail_enqueue

# What an encrypted notice carries of the report: never the finder's identity (the portal shows it with consent).
DETAIL_FIELDS = (
    ("title", gettext_lazy("Title")), ("product_name", gettext_lazy("Product")),
    ("vendor_name", gettext_lazy("Developer")), ("product_version", gettext_lazy("Version")),
    ("cwe", "CWE"), ("description", gettext_lazy("Description")),
    ("reproduction", gettext_lazy("Reproduction")), ("impact", gettext_lazy("Impact")),
)


def notice_encryption(organisation: Organisation, address: str, case: Case,
                      context: dict[str, Any]) -> dict[str, Any]:
    """``mail_enqueue``'s key arguments when the directory holds a usable key of the developer and the notice goes
    to its security contact address; {} otherwise (the plain, link-only notice)."""
    contact = (SecurityContact.objects.filter(organisation=organisation).exclude(pgp_key="")
               .exclude(pgp_fingerprint="").first())
    if contact is None or address.lower() != (organisation.contact_email or "").lower():
        return {}
    submission = case.report.submission
    details = [(label, str(submission[key])) for key, label in DETAIL_FIELDS if submission.get(key)]
    return {"pgp_key": contact.pgp_key, "pgp_fingerprint": contact.pgp_fingerprint,
            "secure_context": {**context, "details": details}}


def notice_send(*, case: Case, organisation: Organisation, address: str, language: str) -> OutboxMessage:
    """Queue the notice with a new invitation (call inside the transaction that brings the developer in)."""
    invitation = invitation_issue(organisation=organisation, email=address, case=case)
    context = {"tracking_id": case.tracking_id, "organisation": organisation.display_name(language),
               "invitation_url": invitation_url(invitation), "invitation_days": knob_int("DEVELOPER_INVITATION_DAYS")}
    return mail_enqueue(template="developer_notification", to=address, language=language, case=case,
                        context=context, **notice_encryption(organisation, address, case, context))
