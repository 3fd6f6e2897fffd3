"""A contact's OpenPGP key: seen by the handler, then pinned (security.md threat 3: "PGP only to pinned keys").

``key_inspect`` fetches the key from the contact's security.txt ``Encryption`` address (the same SSRF guard as
discovery) or takes a pasted one, and records what it is — fingerprint, user IDs, expiry, whether it can be
used — as an event, the armoured key included (public data). ``key_pin`` pins one fingerprint the handler saw
(explicit, audited): from then on the outbox encrypts every mail to the contact to exactly that key at delivery
time (``notify/pgp.py``) and only the encrypted mail carries the vulnerability details. ``key_unpin`` undoes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from earlywarn.cases.errors import ValidationFailed
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Action, Actor
from earlywarn.cases.services import event_record
from earlywarn.notify import pgp
from earlywarn.websites.contacts import require_website
from earlywarn.websites.fetch import Refused, fetch_key
from earlywarn.websites.models import WebsiteContact

FINGERPRINT = re.compile(r"^[0-9A-F]{40}$|^[0-9A-F]{64}$")


def problem_text(code: str) -> str:
    return {
        "revoked": _("The key is revoked."),
        "expired": _("The key has expired."),
        "no_encryption": _("The key cannot encrypt (no valid encryption subkey)."),
        "missing": _("No usable key was found."),
        "fingerprint": _("The key does not have the pinned fingerprint."),
        "gpg": _("gpg could not encrypt to the key."),
    }.get(code, code)


def checked_fingerprint(fingerprint: str, field: str) -> str:
    """A full fingerprint as typed (spaces removed, upper case), or a clear error on ``field``."""
    wanted = re.sub(r"\s+", "", fingerprint or "").upper()
    if not FINGERPRINT.match(wanted):
        raise ValidationFailed(_("Enter the key's full fingerprint (40 hexadecimal characters)."), field=field)
    return wanted


def pinned_key(armored: str, fingerprint: str, field: str) -> pgp.KeyInfo:
    """The key ``armored`` with ``fingerprint`` if it is usable now, else a clear error on ``field``."""
    try:
        return pgp.usable_key(armored, fingerprint)
    except pgp.KeyUnusable as exc:
        raise ValidationFailed(problem_text(exc.reason), field=field) from exc


@dataclass
class KeyInspection:
    contact: str
    source: str  # the address fetched, or "pasted"
    keys: list[dict[str, object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_data(self) -> dict[str, object]:
        return {"contact": self.contact, "source": self.source, "problems": self.problems,
                "keys": [{k: v for k, v in key.items() if k != "armored"} for key in self.keys]}


def _contact(case: Case, contact_id: str) -> WebsiteContact:
    contact = next((c for c in case.website_contacts.all() if str(c.id) == (contact_id or "").strip()), None)
    if contact is None:
        raise ValidationFailed(_("Choose a value from the list."), field="contact")
    return contact


def key_inspect(*, actor: Actor, case: Case, contact_id: str, key: str = "") -> KeyInspection:
    """Fetch (or take the pasted) key of a contact and record what it is. Pins nothing."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE)
    contact = _contact(case, contact_id)
    if key.strip():
        raw: bytes = key.encode("utf-8")
        source = "pasted"
    else:
        source = contact.encryption
        try:
            raw = fetch_key(contact.encryption)
        except Refused as exc:
            raise ValidationFailed(str(exc), field="key") from exc
    found = pgp.key_inspect(raw)
    if not found:
        raise ValidationFailed(_("No OpenPGP public key was found in it."), field="key")
    inspection = KeyInspection(contact=str(contact.id), source=source)
    refreshed = None
    for info in found[:5]:
        inspection.keys.append({**info.as_data(), "armored": info.armored})
        if info.problem:
            inspection.problems.append(f"{info.fingerprint}: {problem_text(info.problem)}")
        if info.fingerprint == contact.pgp_fingerprint:
            refreshed = info
    with transaction.atomic():
        if refreshed is not None:  # the pinned key, seen again: keep what it says now (a revocation, a new expiry)
            WebsiteContact.objects.filter(pk=contact.pk, pgp_fingerprint=refreshed.fingerprint).update(
                pgp_key=refreshed.armored)
        event_record(case=case, actor=actor, tag="case:contact:key_inspected",
                     data={**inspection.as_data(), "pinned_refreshed": refreshed is not None,
                           "armored": {str(k["fingerprint"]): k["armored"] for k in inspection.keys}})
    return inspection


def key_pin(*, actor: Actor, case: Case, contact_id: str, fingerprint: str, key: str = "") -> WebsiteContact:
    """Pin the key with ``fingerprint`` (as the handler saw it) on the contact; it must be usable now.

    The key comes from ``key`` when pasted again, else from the latest inspection of this contact that showed it.
    """
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE)
    contact = _contact(case, contact_id)
    wanted = checked_fingerprint(fingerprint, "fingerprint")
    armored = key.strip()
    if not armored:
        for event in case.events.filter(tag="case:contact:key_inspected").order_by("-created_at", "-id")[:20]:
            seen = (event.data or {}).get("armored") or {}
            if (event.data or {}).get("contact") == str(contact.id) and wanted in seen:
                armored = str(seen[wanted])
                break
    if not armored:
        raise ValidationFailed(_("Look at the key first (fetch or paste it), then pin the fingerprint shown."),
                               field="fingerprint")
    info = pinned_key(armored, wanted, "fingerprint")
    with transaction.atomic():
        locked = WebsiteContact.objects.select_for_update().get(pk=contact.pk)
        locked.pgp_fingerprint, locked.pgp_key, locked.pgp_pinned_at = info.fingerprint, info.armored, timezone.now()
        locked.save(update_fields=["pgp_fingerprint", "pgp_key", "pgp_pinned_at"])
        event_record(case=case, actor=actor, tag="case:contact:key_pinned",
                     data={"contact": str(contact.id), "previous": contact.pgp_fingerprint, **info.as_data()})
    return locked


def key_unpin(*, actor: Actor, case: Case, contact_id: str) -> WebsiteContact:
    """Stop encrypting to the contact (its mail goes plain, link only, from now on)."""
    require_website(actor, case, Action.CASE_HANDLE_WEBSITE)
    contact = _contact(case, contact_id)
    if not contact.pgp_fingerprint:
        raise ValidationFailed(_("No key is pinned for this contact."), field="contact")
    with transaction.atomic():
        locked = WebsiteContact.objects.select_for_update().get(pk=contact.pk)
        previous = locked.pgp_fingerprint
        locked.pgp_fingerprint, locked.pgp_key, locked.pgp_pinned_at = "", "", None
        locked.save(update_fields=["pgp_fingerprint", "pgp_key", "pgp_pinned_at"])
        event_record(case=case, actor=actor, tag="case:contact:key_unpinned",
                     data={"contact": str(contact.id), "fingerprint": previous})
    return locked
