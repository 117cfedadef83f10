"""Encryption at rest of deliverable addresses (the only ones we keep).

A key of any length from config is stretched with HKDF into a Fernet key, so
operators can paste a passphrase or a random string.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class VaultError(Exception):
    """An address could not be decrypted (wrong key or damaged record)."""


class AddressVault:
    __slots__ = ("_fernet",)

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("contact key must not be empty")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"sauti-contact-v1", info=b"address"
        ).derive(key.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def __repr__(self) -> str:
        return "AddressVault(<hidden>)"

    def seal(self, address: str) -> bytes:
        return self._fernet.encrypt(address.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken:
            raise VaultError("address record cannot be decrypted with the configured key") from None
