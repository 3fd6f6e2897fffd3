"""OpenPGP signatures of served CSAF documents (CSAF 2.0 §7.1.19), with python-gnupg and Debian's gnupg.

The signing key lives in its own GnuPG home (``EARLYWARN_OPENPGP_HOME``, default ``<data dir>/openpgp``),
created by ``earlywarn manage advisory_openpgp_key``. Without a key nothing is signed and provider-metadata
lists no key; docs/decisions/0007-csaf-openpgp-signing.md explains the choice.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import gnupg
from django.conf import settings

from earlywarn.advisories import conf


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str
    armored: str


def _home() -> Path:
    return Path(conf.setting("OPENPGP_HOME") or Path(settings.DATA_DIR) / "openpgp")


@dataclass(frozen=True)
class _Signer:
    gpg: gnupg.GPG
    key: PublicKey


_signers: dict[tuple[str, int, int], _Signer | None] = {}  # (home, keyring's change time and size) → its signer
_lock = threading.Lock()


def _signer() -> _Signer | None:
    """The GnuPG handle and signing key of the current home, found once per keyring state and process.

    python-gnupg runs ``gpg --version`` for every handle and listing the keys is another process: done per
    signature they were two of every signature's three processes. The keyring's change time and size are part of
    the cache key, so a key created (or replaced) later is found at the next call."""
    home = _home()
    try:
        keyring = (home / "pubring.kbx").stat()
    except FileNotFoundError:
        return None
    found = (str(home), keyring.st_mtime_ns, keyring.st_size)
    with _lock:
        if found not in _signers:
            gpg = gnupg.GPG(gnupghome=str(home), encoding="utf-8")
            fingerprint = _secret_fingerprint(gpg)
            _signers.clear()
            _signers[found] = (_Signer(gpg, PublicKey(fingerprint, str(gpg.export_keys(fingerprint))))
                               if fingerprint else None)
        return _signers[found]


def _secret_fingerprint(gpg: gnupg.GPG) -> str | None:
    keys = gpg.list_keys(secret=True)
    return str(keys[0]["fingerprint"]) if keys else None


def public_key() -> PublicKey | None:
    signer = _signer()
    return signer.key if signer else None


def sign_detached(data: bytes) -> str:
    """An ASCII-armoured detached signature of ``data``, or "" when no signing key is set up."""
    signer = _signer()
    if signer is None:
        return ""
    signed = signer.gpg.sign(data, keyid=signer.key.fingerprint, detach=True, binary=False,
                             extra_args=["--digest-algo", "SHA512"])
    if not signed.data:
        raise RuntimeError(f"OpenPGP signing failed: {signed.status}")
    return str(signed)


def create_key(name: str, email: str) -> PublicKey:
    """Create the platform's signing key (Ed25519, no passphrase: the data dir is the secret) if none exists."""
    home = _home()
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    gpg = gnupg.GPG(gnupghome=str(home), encoding="utf-8")
    if _secret_fingerprint(gpg) is None:
        key_input = gpg.gen_key_input(key_type="EDDSA", key_curve="ed25519", key_usage="sign", name_real=name,
                                      name_email=email, expire_date="0", no_protection=True)
        result = gpg.gen_key(key_input)
        if not result.fingerprint:
            raise RuntimeError(f"OpenPGP key generation failed: {result.stderr}")
    key = public_key()
    assert key is not None
    return key
