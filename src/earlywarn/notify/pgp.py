"""Encrypting mail to a pinned OpenPGP key (security.md threat 3: "PGP only to pinned keys"), RFC 3156.

Every operation imports the key into a throwaway GnuPG home (a temporary directory, removed afterwards), so no
keyring accumulates keys from the Internet and one contact's key can never be used for another. Encryption goes
to exactly the pinned fingerprint with ``--trust-model always`` (the pin is the trust decision, made by a
handler who saw the fingerprint); the key must be present, carry that fingerprint, not be expired or revoked,
and be able to encrypt *now*, or ``KeyUnusable`` is raised and nothing is encrypted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

import gnupg
from django.core.mail.message import SafeMIMEMultipart

MAX_KEY_BYTES = 256 * 1024


class KeyUnusable(Exception):
    """The key cannot be used (missing, another fingerprint, expired, revoked, cannot encrypt, gpg failed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    user_ids: list[str] = field(default_factory=list)
    created: datetime | None = None
    expires: datetime | None = None
    revoked: bool = False
    expired: bool = False
    can_encrypt: bool = False
    armored: str = ""  # the key as exported by gpg (minimal, armoured): what is pinned

    @property
    def problem(self) -> str:
        """"" when usable, else revoked / expired / no_encryption (a code; the caller translates)."""
        if self.revoked:
            return "revoked"
        if self.expired:
            return "expired"
        if not self.can_encrypt:
            return "no_encryption"
        return ""

    def as_data(self) -> dict[str, object]:
        return {"fingerprint": self.fingerprint, "user_ids": self.user_ids[:10],
                "created": self.created.isoformat() if self.created else None,
                "expires": self.expires.isoformat() if self.expires else None, "problem": self.problem}


@contextmanager
def _throwaway() -> Iterator[gnupg.GPG]:
    with tempfile.TemporaryDirectory(prefix="earlywarn-gpg-") as home:
        yield gnupg.GPG(gnupghome=home, encoding="utf-8", options=["--no-auto-key-retrieve",
                                                                   "--no-auto-key-locate"])


def _when(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value and value.isdigit() else None


def _info(gpg: gnupg.GPG, key: dict[str, object]) -> KeyInfo:
    fingerprint = str(key["fingerprint"]).upper()
    trust = str(key.get("trust") or "")
    expires = _when(str(key.get("expires") or ""))
    now = datetime.now(tz=UTC)
    subkeys = key.get("subkey_info") or {}
    # gpg's capability field: upper-case letters are what the whole key can do now (valid subkeys included)
    can_encrypt = "E" in str(key.get("cap") or "")
    if not can_encrypt and isinstance(subkeys, dict):
        can_encrypt = any("e" in str(s.get("cap") or "") and str(s.get("trust") or "") not in {"e", "r"}
                          for s in subkeys.values())
    armored = str(gpg.export_keys(fingerprint, armor=True, expect_passphrase=False))
    return KeyInfo(fingerprint=fingerprint, user_ids=[str(u) for u in key.get("uids") or []],  # type: ignore[attr-defined]
                   created=_when(str(key.get("date") or "")), expires=expires, revoked=trust == "r",
                   expired=trust == "e" or (expires is not None and expires <= now), can_encrypt=can_encrypt,
                   armored=armored)


def key_inspect(data: bytes | str) -> list[KeyInfo]:
    """The public keys in ``data`` (armoured or binary); [] when there are none."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip() or len(raw) > MAX_KEY_BYTES:
        return []
    with _throwaway() as gpg:
        gpg.import_keys(raw)
        return [_info(gpg, k) for k in gpg.list_keys()]


def usable_key(armored: str, fingerprint: str) -> KeyInfo:
    """The pinned key if it is usable now, else ``KeyUnusable`` with the reason code."""
    if not armored.strip() or not fingerprint:
        raise KeyUnusable("missing")
    keys = {k.fingerprint: k for k in key_inspect(armored)}
    key = keys.get(fingerprint.upper())
    if key is None:
        raise KeyUnusable("fingerprint" if keys else "missing")
    if key.problem:
        raise KeyUnusable(key.problem)
    return key


def encrypt(armored: str, fingerprint: str, data: bytes) -> str:
    """``data`` encrypted to exactly ``fingerprint`` (ASCII armour), or ``KeyUnusable``."""
    usable_key(armored, fingerprint)
    with _throwaway() as gpg:
        gpg.import_keys(armored)
        result = gpg.encrypt(data, [fingerprint.upper()], armor=True, always_trust=True,
                             extra_args=["--throw-keyids", "--no-encrypt-to"])
        if not result.ok or not str(result).startswith("-----BEGIN PGP MESSAGE-----"):
            raise KeyUnusable("gpg")
        return str(result)


def pgp_mime(body_text: str, armored_key: str, fingerprint: str) -> Message:
    """An RFC 3156 multipart/encrypted entity whose encrypted part is a text/plain UTF-8 MIME entity.

    The caller copies the envelope headers (From, To, Subject, Date, Message-ID) onto it; they stay readable, so
    the subject must carry nothing but the tracking number (it already does).
    """
    inner = MIMEText(body_text, "plain", "utf-8")
    encrypted = encrypt(armored_key, fingerprint, inner.as_bytes())
    outer = SafeMIMEMultipart("encrypted", encoding="utf-8", protocol="application/pgp-encrypted")
    outer.preamble = "This is an OpenPGP/MIME encrypted message (RFC 3156)."
    control = MIMEBase("application", "pgp-encrypted")
    control.set_payload("Version: 1\n")
    control["Content-Description"] = "PGP/MIME version identification"
    payload = MIMEBase("application", "octet-stream", name="encrypted.asc")
    payload.set_payload(encrypted)
    payload["Content-Description"] = "OpenPGP encrypted message"
    payload["Content-Disposition"] = 'inline; filename="encrypted.asc"'
    outer.attach(control)
    outer.attach(payload)
    return outer
