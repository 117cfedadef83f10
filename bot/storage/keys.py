"""The store's part in a key rotation (``sauti keys reseal``, and a person found
under a previous pseudonym key): contacts moved to the pseudonyms of the
current key, and sealed values re-sealed under the current contact key.

Every backend implements :class:`KeyStore` (tests/test_keys_store.py is its
contract). The store knows where sealed values are (:meth:`KeyStore.sealed_kinds`);
the caller knows the keys, and hands in what to do with each row.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["CONTACT_ADDRESS", "OUTBOX_ADDRESS", "OUTBOX_PAYLOAD", "REPORT_REACH", "TIMER_SEALED",
           "KeyStore", "Rekey", "Reseal", "SealedContact"]

# The sealed values a store keeps, by kind: each is re-sealed by the vault of its kind.
CONTACT_ADDRESS = "contact_address"  # contacts.address_sealed: where replies and advisories go
OUTBOX_ADDRESS = "outbox_address"  # outbox.address_sealed: a message's address until it is sent
# outbox.payload["sealed"] (text): what a waiting message says, until it is sent
OUTBOX_PAYLOAD = "outbox_payload"
# reports.reach: a contactable report's way back to its author, under the *reach* vault
# (the contact keys with HKDF info "reach"), not the address vault
REPORT_REACH = "report_reach"
# A due row's payload["sealed"] (the sealed token as text): what a job needs that must
# not be kept in clear, such as a provider's message id (bot.timers.forget).
TIMER_SEALED = "timer_sealed"


@dataclass(frozen=True, slots=True)
class SealedContact:
    """What re-keying a stored contact needs: who it is now, and its sealed address."""

    id: str
    person: str
    channel: str
    address_sealed: bytes = field(repr=False)


# (new contact id, new person) for a contact, or None to leave it as it is
Rekey = Callable[[SealedContact], tuple[str, str] | None]
# a sealed value re-sealed, or None to leave it as it is
Reseal = Callable[[bytes], bytes | None]


class KeyStore(ABC):
    @abstractmethod
    async def rekey_contact(self, old_id: str, new_id: str, person: str) -> bool:
        """Move contact ``old_id`` to ``new_id`` (its person becoming ``person``),
        with its session, subscriptions, outbox rows and reach id (which its
        reports' links lead to), in one transaction. False, and nothing changed,
        when no contact ``old_id`` is stored. If ``new_id`` is stored too, the two
        are merged: the newer contact and session stay, the subscriptions are joined and the old
        contact's messages follow, and its reach id if the stored one has none."""

    @abstractmethod
    async def rekey_contacts(self, plan: Rekey, *, batch: int = 2000) -> int:
        """Every stored contact for which ``plan`` names a new id or person is moved
        as :meth:`rekey_contact` moves one, in the order they were stored (each is
        shown to ``plan`` once); a batch of contacts per transaction. ``plan``
        must not raise. Returns how many were moved."""

    @abstractmethod
    def sealed_kinds(self) -> tuple[str, ...]:
        """Every kind of sealed value this store keeps (``CONTACT_ADDRESS``, ...)."""

    @abstractmethod
    async def reseal(self, kind: str, transform: Reseal, *, batch: int = 500) -> int:
        """Replace each stored sealed value of ``kind`` by ``transform(value)``
        (None leaves it), each read and replaced in the same transaction, a batch
        of rows per transaction. ``transform`` must not raise. Returns how many
        were replaced."""
