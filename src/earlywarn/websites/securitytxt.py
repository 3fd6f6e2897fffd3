"""Parsing RFC 9116 security.txt files (docs/decisions/0006: why ours and not a library).

Only what the website flow uses is interpreted: Contact, Expires, Encryption, Preferred-Languages and Canonical.
Unknown fields are ignored (RFC 9116 §2.4). An OpenPGP cleartext signature is stripped but not verified.
Nothing here raises on bad input: every defect becomes a problem in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_LINES = 1000
MAX_VALUE = 2000


@dataclass(frozen=True)
class FoundContact:
    kind: str  # email | web | phone
    value: str  # the address, URL or number


@dataclass
class SecurityTxt:
    contacts: list[FoundContact] = field(default_factory=list)
    expires: datetime | None = None
    encryption: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    canonical: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires <= timezone.now()

    @property
    def usable(self) -> bool:
        """RFC 9116 §2.5.5: an expired file is stale and should not be used."""
        return bool(self.contacts) and not self.expired

    @property
    def emails(self) -> list[str]:
        return [c.value for c in self.contacts if c.kind == "email"]

    def as_data(self) -> dict[str, object]:
        return {"contacts": [[c.kind, c.value] for c in self.contacts],
                "expires": self.expires.isoformat() if self.expires else None, "expired": self.expired,
                "encryption": self.encryption, "languages": self.languages, "canonical": self.canonical,
                "problems": self.problems}


def _strip_signature(lines: list[str]) -> list[str]:
    """The signed text of an OpenPGP cleartext-signed message (RFC 4880 §7), dash-unescaped."""
    if not lines or lines[0].strip() != "-----BEGIN PGP SIGNED MESSAGE-----":
        return lines
    try:
        start = lines.index("", 1) + 1  # after the Hash: armour headers
    except ValueError:
        return []
    body = []
    for line in lines[start:]:
        if line.strip() == "-----BEGIN PGP SIGNATURE-----":
            break
        body.append(line[2:] if line.startswith("- ") else line)
    return body


def _contact(value: str) -> FoundContact | None:
    lowered = value.lower()
    if lowered.startswith("mailto:"):
        address = value[len("mailto:"):].split("?", 1)[0].strip()
        try:
            EmailValidator()(address)
        except ValidationError:
            return None
        return FoundContact("email", address.lower())
    if lowered.startswith("https://"):
        return FoundContact("web", value)
    if lowered.startswith("tel:"):
        return FoundContact("phone", value[4:])
    return None


def _expires(value: str, result: SecurityTxt) -> None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        result.problems.append(_("The Expires date is not a valid date."))
        return
    if timezone.is_naive(moment):
        result.problems.append(_("The Expires date has no time zone."))
        return
    if result.expires is not None:
        result.problems.append(_("Expires appears more than once."))
    result.expires = moment


def parse(text: str) -> SecurityTxt:
    result = SecurityTxt()
    lines = _strip_signature(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if len(lines) > MAX_LINES:
        result.problems.append(_("The file has too many lines; only the first %(n)s were read.") % {"n": MAX_LINES})
        lines = lines[:MAX_LINES]
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        value = value.strip()
        if not sep or not value or len(value) > MAX_VALUE:
            continue
        key = name.strip().lower()
        if key == "contact":
            found = _contact(value)
            if found is None:
                result.problems.append(_("A Contact line could not be read: %(value)s") % {"value": value[:100]})
            elif found not in result.contacts:
                result.contacts.append(found)
        elif key == "expires":
            _expires(value, result)
        elif key == "encryption" and value.lower().startswith(("https://", "openpgp4fpr:", "dns:")):
            result.encryption.append(value)
        elif key == "preferred-languages":
            result.languages = [tag.strip().lower() for tag in value.split(",") if tag.strip()][:20]
        elif key == "canonical" and value.lower().startswith("https://"):
            result.canonical.append(value)
    if not result.contacts:
        result.problems.append(_("The file names no usable Contact."))
    if result.expires is None:
        result.problems.append(_("The file has no Expires field (RFC 9116 requires one)."))
    elif result.expired:
        result.problems.append(_("The file expired on %(date)s; its contacts should not be used.")
                               % {"date": timezone.localtime(result.expires).strftime("%Y-%m-%d")})
    return result
