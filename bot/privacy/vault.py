"""Encryption at rest of what must stay readable to the bot alone: deliverable
addresses, the text of messages waiting in the outbox, a report's reach link,
a provider's message id until it is deleted there.

A key from config is stretched with HKDF into an AES-256-GCM key; ``info``
tells apart vaults made from the same keys for different purposes, so that
what one seals the other cannot open: the address vault (``b"address"``) and
the reach vault (``b"reach"``) of the same contact keys open nothing of each
other's. A vault holds the current key and the previous ones of a rotation:
it seals under the current key and opens under any, and :meth:`reseal` moves
a value sealed under a previous key to the current one.

A token is ``s1.`` and, in URL-safe base64, a key tag (4 bytes derived from
the key, which tell which configured key opens it without trying each), a
random 96-bit nonce, the ciphertext and its 16-byte tag. It carries no time,
and two seals of the same text never compare equal.

Tokens sealed before (Fernet, ``gAAAAA…``, from the same HKDF derivation)
still open, and :meth:`reseal` moves them to the current format: Fernet
costs 8 µs a seal against 1 for AES-GCM, and every message seals or opens
several values (docs/performance.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ADDRESS = b"address"
REACH = b"reach"
PREFIX = b"s1."
_SALT = b"sauti-contact-v1"
_GCM = b"/aes-256-gcm"  # appended to ``info``: the AES key is not the Fernet key
_TAG, _NONCE = 4, 12


class VaultError(Exception):
    """A record could not be decrypted (wrong key or damaged record)."""


def _derive(key: str, info: bytes) -> bytes:
    if not key:
        raise ValueError("contact key must not be empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info
                ).derive(key.encode("utf-8"))


class _Key:
    __slots__ = ("aead", "tag")

    def __init__(self, key: str, info: bytes) -> None:
        secret = _derive(key, info + _GCM)
        self.aead = AESGCM(secret)
        self.tag = hashlib.sha256(b"sauti-key-tag|" + secret).digest()[:_TAG]


def _fernet(key: str, info: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(key, info)))


class AddressVault:
    """Seals under ``key``; opens what ``key`` or any of ``previous`` sealed."""

    __slots__ = ("_current", "_fernets", "_keys")

    def __init__(self, key: str, previous: Sequence[str] = (), *, info: bytes = ADDRESS) -> None:
        everyone = [key, *previous]
        keys = [_Key(s, info) for s in everyone]
        self._current = keys[0]
        self._keys = {k.tag: k for k in reversed(keys)}  # the current one wins a shared tag
        self._fernets = MultiFernet([_fernet(s, info) for s in everyone])

    def __repr__(self) -> str:
        return "AddressVault(<hidden>)"

    def seal(self, text: str) -> bytes:
        nonce = os.urandom(_NONCE)
        sealed = self._current.aead.encrypt(nonce, text.encode("utf-8"), None)
        return PREFIX + base64.urlsafe_b64encode(self._current.tag + nonce + sealed)

    def open(self, sealed: bytes) -> str:
        try:
            return self._open(sealed)[1].decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError("record cannot be decrypted with the configured keys") from None

    def reseal(self, sealed: bytes) -> bytes | None:
        """``sealed`` under the current key, or None when it is already;
        :class:`VaultError` when no configured key opens it."""
        current, plain = self._open(sealed)
        return None if current else self.seal(plain.decode("utf-8"))

    def _open(self, sealed: bytes) -> tuple[bool, bytes]:
        """Whether the current key sealed it in the current format, and its text."""
        try:
            if sealed.startswith(PREFIX):
                raw = base64.b64decode(sealed[len(PREFIX):], b"-_", validate=True)
                key = self._keys.get(raw[:_TAG])
                if key is not None:
                    nonce, body = raw[_TAG:_TAG + _NONCE], raw[_TAG + _NONCE:]
                    return key is self._current, key.aead.decrypt(nonce, body, None)
            elif sealed.startswith(b"gAAAAA"):
                return False, self._fernets.decrypt(sealed)
        except (InvalidTag, InvalidToken, binascii.Error, ValueError):
            pass
        raise VaultError("record cannot be decrypted with the configured keys")


def reach_vault(contact_key: str, previous: Sequence[str] = ()) -> AddressVault:
    """The vault of reach links (a report's way back to its author, if they agreed)."""
    return AddressVault(contact_key, previous, info=REACH)
