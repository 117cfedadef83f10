"""What the store computes with keys it is handed and never keeps: a report's
sealed reach link, and the replay tag of a provider's message id.

:class:`Keyed` is what a backend needs; the config's keys fill it
(bot.privacy.links.StoreKeys, built by bot.app). A store opened without them
(a test's, memory://) makes :func:`random_keys`, which die with the process:
no reach link or replay tag it made outlives it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["Keyed", "random_keys"]


class Keyed(Protocol):
    def replay_tag(self, channel: str, external_id: str) -> str:
        """What the replay table keeps of a provider's message id."""

    def seal_reach(self, reach_id: str) -> bytes:
        """A fresh reach link to a contact's reach id (equal to no other)."""

    def reach_of(self, link: bytes) -> str | None:
        """The reach id a link leads to; None if these keys cannot open it."""


class _RandomKeys:
    __slots__ = ("_fernet", "_replay")

    def __init__(self) -> None:
        self._fernet = Fernet(Fernet.generate_key())
        self._replay = hmac.new(secrets.token_bytes(32), digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "random_keys()"

    def replay_tag(self, channel: str, external_id: str) -> str:
        mac = self._replay.copy()
        mac.update(f"{channel}|{external_id}".encode())
        return mac.hexdigest()[:32]

    def seal_reach(self, reach_id: str) -> bytes:
        return self._fernet.encrypt_at_time(reach_id.encode(), 0)

    def reach_of(self, link: bytes) -> str | None:
        try:
            return self._fernet.decrypt(link).decode()
        except (InvalidToken, UnicodeDecodeError):
            return None


def random_keys() -> Keyed:
    """Keys that die with the process (a store that keeps nothing past it, tests)."""
    return _RandomKeys()
