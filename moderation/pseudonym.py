"""Keyed pseudonyms of senders: HMAC-SHA256, never a plain hash.

A phone number space is small enough to hash exhaustively in minutes, so the
key (from config, stored away from the database) is what makes a pseudonym
unlinkable. Pseudonyms carry their key id (``k1:…``) so that keys can rotate:
while a rotation is under way the pseudonymiser of the current key holds the
previous ones, and :meth:`Pseudonymiser.earlier_contacts` names the contact
ids a person had under them, so that their conversation is found and moved.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence


class Pseudonymiser:
    """Maps a normalised identity to ``<key id>:<hex>``."""

    __slots__ = ("_key_id", "_keyed", "_previous")

    def __init__(self, key: str | bytes, key_id: str = "k1",
                 previous: Sequence[Pseudonymiser] = ()) -> None:
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if not raw:
            raise ValueError("pseudonym key must not be empty")
        self._key_id = key_id
        # keyed once, copied per pseudonym (OpenSSL 3 makes a fresh key costly)
        self._keyed = hmac.new(raw, digestmod=hashlib.sha256)
        self._previous = tuple(previous)

    def __repr__(self) -> str:
        return f"Pseudonymiser(key_id={self._key_id!r})"

    @property
    def key_id(self) -> str:
        return self._key_id

    def earlier_contacts(self, channel: str, identity: str) -> list[str]:
        """The contact ids the previous keys made for this contact, newest key first."""
        return [p.contact(channel, identity) for p in self._previous]

    def of(self, identity: str) -> str:
        mac = self._keyed.copy()
        mac.update(identity.encode("utf-8"))
        digest = mac.digest()
        return f"{self._key_id}:{digest[:16].hex()}"

    def person(self, identity: str) -> str:
        """The pseudonym of the person behind a normalised identity (the same on
        SMS and WhatsApp, whose identities are both E.164 numbers)."""
        return self.of(identity)

    def contact(self, channel: str, identity: str) -> str:
        """The pseudonym of one deliverable contact: one per channel and person."""
        return self.of(f"contact|{channel}|{identity}")

