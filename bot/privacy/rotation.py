"""The offline half of a key rotation (``sauti keys reseal``): every stored contact
moved to the pseudonyms of the current key, and every sealed value re-sealed
under the current contact key, so that the previous keys can be removed.

The online half is in the conversation pipeline: a person who writes while the
rotation is under way is found under a previous pseudonym key and moved then.
Re-keying needs no pseudonym key but the current one: a contact's identity is
computed again from its sealed address, as the channel's plug-in computes it.
Nothing here raises on a row it cannot handle; it is counted and left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.privacy.vault import AddressVault, VaultError
from bot.storage.keys import KeyStore, SealedContact
from moderation.pseudonym import Pseudonymiser


@dataclass(slots=True)
class Tally:
    """What one pass did: ``changed`` rows moved or re-sealed, ``current`` ones
    already under the current key, ``unreadable`` ones no configured key opens
    (or whose channel this installation does not know)."""

    changed: int = 0
    current: int = 0
    unreadable: int = 0


async def rekey_contacts(store: KeyStore, vault: AddressVault, pseudonyms: Pseudonymiser,
                         identify: Callable[[str, str], str]) -> Tally:
    """Move every contact whose id or person another key made to the current key's."""
    tally = Tally()

    def plan(contact: SealedContact) -> tuple[str, str] | None:
        try:
            identity = identify(contact.channel, vault.open(contact.address_sealed))
        except Exception:  # a row we cannot read is counted, never fatal
            tally.unreadable += 1
            return None
        target = (pseudonyms.contact(contact.channel, identity), pseudonyms.person(identity))
        if target == (contact.id, contact.person):
            tally.current += 1
            return None
        return target

    tally.changed = await store.rekey_contacts(plan)
    return tally


async def reseal_all(store: KeyStore, vaults: Mapping[str, AddressVault]) -> dict[str, Tally]:
    """Re-seal every sealed value the store keeps under its vault's current key.
    A kind of sealed value with no vault in ``vaults`` is a bug: KeyError."""
    tallies = {}
    for kind in store.sealed_kinds():
        vault, tally = vaults[kind], Tally()

        def transform(sealed: bytes, vault: AddressVault = vault, tally: Tally = tally
                      ) -> bytes | None:
            try:
                fresh = vault.reseal(sealed)
            except VaultError:
                tally.unreadable += 1
                return None
            if fresh is None:
                tally.current += 1
            return fresh

        tally.changed = await store.reseal(kind, transform)
        tallies[kind] = tally
    return tallies
