"""Real OpenPGP keys for tests, made by gpg in a throwaway home (Ed25519 + Curve25519: fast)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import gnupg


@dataclass
class TestKey:
    fingerprint: str
    public: str
    home: tempfile.TemporaryDirectory[str]

    def gpg(self) -> gnupg.GPG:
        return gnupg.GPG(gnupghome=self.home.name, encoding="utf-8")

    def decrypt(self, data: bytes | str) -> bytes:
        result = self.gpg().decrypt(data)
        assert result.ok, result.status
        return bytes(result.data)


def make_key(email: str = "security@shop.example.test", *, expired: bool = False, revoked: bool = False,
             encrypt: bool = True) -> TestKey:
    home = tempfile.TemporaryDirectory(prefix="earlywarn-testkey-")
    options = ["--faked-system-time", "20200101T000000!"] if expired else None
    gpg = gnupg.GPG(gnupghome=home.name, encoding="utf-8", options=options)
    params = {"key_type": "EDDSA", "key_curve": "ed25519", "key_usage": "sign", "name_real": "Shop Security",
              "name_email": email, "expire_date": "1d" if expired else "0", "no_protection": True}
    if encrypt:
        params.update(subkey_type="ECDH", subkey_curve="cv25519", subkey_usage="encrypt")
    result = gpg.gen_key(gpg.gen_key_input(**params))
    assert result.fingerprint, result.stderr
    fingerprint = str(result.fingerprint)
    gpg = gnupg.GPG(gnupghome=home.name, encoding="utf-8")
    if revoked:  # gpg writes a revocation certificate at generation; its armour line is masked with ":"
        certificate = (Path(home.name) / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        imported = gpg.import_keys(certificate.replace(":-----BEGIN", "-----BEGIN"))
        assert "revocation certificate imported" in imported.stderr, imported.stderr
    return TestKey(fingerprint, str(gpg.export_keys(fingerprint)), home)
