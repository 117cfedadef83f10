"""Encryption at rest of what must stay readable to the bot alone: deliverable
addresses, the text of messages waiting in the outbox, a report's reach link.

A key from config is stretched with HKDF into a Fernet key; ``info`` tells
apart vaults made from the same keys for different purposes, so that what
one seals the other cannot open: the address vault (``b"address"``) and the
reach vault (``b"reach"``) of the same contact keys open nothing of each
other's. A vault holds the current key and the previous ones of a rotation
(:class:`~cryptography.fernet.MultiFernet`): it seals under the current key
and opens under any, and :meth:`reseal` moves a value sealed under a previous
key to the current one.

Tokens carry no time: Fernet writes the moment of sealing in clear into every
token, which would date a contact to the second, or a report's reach link to
the second it was filed. Sauti never uses Fernet's time-to-live, so it seals
at time zero (a re-seal keeps it). Each token still has its own random IV:
two seals of the same text never compare equal.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ADDRESS = b"address"
REACH = b"reach"
_SALT = b"sauti-contact-v1"


class VaultError(Exception):
    """A record could not be decrypted (wrong key or damaged record)."""


def _fernet(key: str, info: bytes) -> Fernet:
    if not key:
        raise ValueError("contact key must not be empty")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info
                   ).derive(key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


class AddressVault:
    """Seals under ``key``; opens what ``key`` or any of ``previous`` sealed."""

    __slots__ = ("_all", "_current")

    def __init__(self, key: str, previous: Sequence[str] = (), *, info: bytes = ADDRESS) -> None:
        self._current = _fernet(key, info)
        self._all = MultiFernet([self._current, *(_fernet(k, info) for k in previous)])

    def __repr__(self) -> str:
        return "AddressVault(<hidden>)"

    def seal(self, text: str) -> bytes:
        return self._current.encrypt_at_time(text.encode("utf-8"), 0)

    def open(self, sealed: bytes) -> str:
        try:
            return self._all.decrypt(sealed).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError):
            raise VaultError("record cannot be decrypted with the configured keys") from None

    def reseal(self, sealed: bytes) -> bytes | None:
        """``sealed`` under the current key, or None when it is already;
        :class:`VaultError` when no configured key opens it."""
        try:
            self._current.decrypt(sealed)
            return None
        except InvalidToken:
            pass
        try:
            return self._all.rotate(sealed)
        except InvalidToken:
            raise VaultError("record cannot be decrypted with the configured keys") from None


def reach_vault(contact_key: str, previous: Sequence[str] = ()) -> AddressVault:
    """The vault of reach links (a report's way back to its author, if they agreed)."""
    return AddressVault(contact_key, previous, info=REACH)
