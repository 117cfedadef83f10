"""The vaults and the pseudonymiser the config's keys make, previous keys included."""

from __future__ import annotations

from bot.config import PrivacySettings
from bot.privacy.vault import ADDRESS, AddressVault
from moderation.pseudonym import Pseudonymiser


def contact_vault(privacy: PrivacySettings, info: bytes = ADDRESS) -> AddressVault:
    """A vault of the contact keys: sealing under the current one, opening under
    any. Another ``info`` makes another vault from the same keys (what one seals
    the other cannot open); it rotates with them."""
    current, *previous = privacy.contact_keys
    return AddressVault(current.secret, [k.secret for k in previous], info=info)


def pseudonymiser(privacy: PrivacySettings) -> Pseudonymiser:
    """Pseudonyms under the current key, with the previous keys for lookups."""
    current, *previous = privacy.pseudonym_keys
    return Pseudonymiser(current.secret, current.id,
                         previous=[Pseudonymiser(k.secret, k.id) for k in previous])
