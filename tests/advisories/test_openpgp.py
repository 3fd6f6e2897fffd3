"""The signing handle is made once per keyring state, and a new key is used as soon as it exists."""

from __future__ import annotations

import subprocess
from pathlib import Path

import gnupg
import pytest

from earlywarn.advisories import openpgp


def _verified_by(signature: str, data: bytes, home: Path, tmp_path: Path) -> str:
    """The fingerprint that made ``signature`` over ``data``, checked with ``home``'s public key only."""
    (tmp_path / "checker").mkdir(parents=True, mode=0o700)
    checker = gnupg.GPG(gnupghome=str(tmp_path / "checker"), encoding="utf-8")
    exported = gnupg.GPG(gnupghome=str(home), encoding="utf-8").export_keys(openpgp.public_key().fingerprint)
    checker.import_keys(exported)
    (tmp_path / "sig.asc").write_text(signature)
    result = checker.verify_data(str(tmp_path / "sig.asc"), data)
    assert result.valid, result.status
    return str(result.pubkey_fingerprint)


@pytest.fixture
def counted(monkeypatch):
    made: list[str] = []
    real = gnupg.GPG

    def making(*args, **kwargs):
        made.append(kwargs.get("gnupghome", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(openpgp.gnupg, "GPG", making)
    return made


def test_one_handle_signs_many_documents_and_a_new_key_is_picked_up(tmp_path, settings, counted):
    homes = [tmp_path / "first", tmp_path / "second"]
    try:
        settings.EARLYWARN = {**settings.EARLYWARN, "OPENPGP_HOME": str(homes[0])}
        assert openpgp.sign_detached(b"x") == ""  # no key yet: nothing is signed
        first = openpgp.create_key("first", "first@example.test")
        counted.clear()
        signatures = [openpgp.sign_detached(f"doc {i}".encode()) for i in range(3)]
        assert openpgp.public_key() == first
        assert len(counted) == 0  # create_key's own call already found the key: no new handle per signature
        assert _verified_by(signatures[2], b"doc 2", homes[0], tmp_path) == first.fingerprint

        settings.EARLYWARN = {**settings.EARLYWARN, "OPENPGP_HOME": str(homes[1])}
        second = openpgp.create_key("second", "second@example.test")
        assert second.fingerprint != first.fingerprint
        assert openpgp.public_key() == second
        signature = openpgp.sign_detached(b"after")
        assert _verified_by(signature, b"after", homes[1], tmp_path / "v2") == second.fingerprint
    finally:
        for home in homes:
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
