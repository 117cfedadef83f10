"""The keyed values the store keeps instead of anything that joins a person:
a report's sealed reach link, and the replay tag of a provider's message id.

- **Reach link**: a contactable report keeps its author's reach id (a random
  value on their contact row, made for this) sealed with the reach vault
  (``contact_key``, HKDF info ``b"reach"``). Each link has its own random IV, so
  it equals nothing else stored, not even the link of the same person's next
  report; only the key (in the config, never in the database) opens it.
  Erasing one's data opens the links inside the erase's transaction and
  destroys those that lead to the person.
- **Replay tag**: the replay table keeps HMAC-SHA256 of ``channel|message id``
  under a key derived from ``pseudonym_key`` (HKDF info ``b"replay"``), never
  the id itself: with the provider's credentials, a Twilio MessageSid fetches
  the sender's number and the unredacted body from Twilio's API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.privacy.vault import AddressVault, VaultError, reach_vault

__all__ = ["StoreKeys"]


class StoreKeys:
    """What the store and the pipeline compute with the config's keys, and no more:
    ``reach``, the reach vault (the contact keys under HKDF info ``b"reach"``,
    previous keys included, so that it rotates with them); ``replay_key``, the
    current pseudonym key, from which the replay tags' key is derived."""

    __slots__ = ("_reach", "_replay")

    def __init__(self, *, reach: AddressVault, replay_key: str) -> None:
        if not replay_key:
            raise ValueError("pseudonym key must not be empty")
        self._reach = reach
        replay = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sauti-pseudonym-v1",
                      info=b"replay").derive(replay_key.encode("utf-8"))
        # keyed once, copied per message (OpenSSL 3 makes a fresh key costly)
        self._replay = hmac.new(replay, digestmod=hashlib.sha256)

    @classmethod
    def ephemeral(cls) -> StoreKeys:
        """Random keys that die with the process: for a store that keeps nothing
        past it (memory://) and for tests."""
        return cls(reach=reach_vault(secrets.token_urlsafe(32)),
                   replay_key=secrets.token_urlsafe(32))

    @property
    def reach(self) -> AddressVault:
        """The reach vault (a key rotation re-seals the links with it)."""
        return self._reach

    def __repr__(self) -> str:
        return "StoreKeys(<hidden>)"

    def replay_tag(self, channel: str, external_id: str) -> str:
        """What the replay table keeps of a provider's message id."""
        mac = self._replay.copy()
        mac.update(f"{channel}|{external_id}".encode())
        return mac.hexdigest()[:32]

    def seal_reach(self, reach_id: str) -> bytes:
        """A fresh reach link to a contact's ``reach_id`` (equal to no other)."""
        return self._reach.seal(reach_id)

    def reach_of(self, link: bytes) -> str | None:
        """The reach id a link leads to; None if these keys cannot open it."""
        try:
            return self._reach.open(link)
        except VaultError:
            return None
