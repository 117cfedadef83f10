"""The staff directory: a [[staff]] member recognised by the pseudonym of
their channel identity (telegram_user_id on Telegram, phone on SMS and
WhatsApp, console_user on the console).

Only pseudonyms are kept: the directory computes, once, the contact id each
configured identity has on each channel (the same keyed pseudonym the
conversation pipeline gives the sender) and forgets the identity itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.config.model import StaffMember
from moderation.pseudonym import Pseudonymiser

log = logging.getLogger(__name__)

Identify = Callable[[str, str], str]  # (channel, address) -> normalised identity


@dataclass(frozen=True, slots=True)
class StaffIdentity:
    """A staff member as one of their contacts: who, with what roles, on which channel."""

    name: str
    roles: frozenset[str]
    channel: str


def addresses(member: StaffMember) -> Iterator[tuple[str, str]]:
    """(channel, address) of every identity ``member`` has in config, the one to
    reach them on first: Telegram, then SMS (and WhatsApp), then the console."""
    if member.telegram_user_id is not None:
        yield "telegram", str(member.telegram_user_id)
    if member.phone:
        yield "sms", member.phone
        yield "whatsapp", member.phone
    if member.console_user:
        yield "console", member.console_user


class StaffDirectory:
    """contact id (pseudonym) -> :class:`StaffIdentity`."""

    __slots__ = ("_by_contact", "_by_name")

    def __init__(self, members: Iterable[StaffMember], pseudonyms: Pseudonymiser,
                 identify: Identify) -> None:
        self._by_contact: dict[str, StaffIdentity] = {}
        self._by_name: dict[str, frozenset[str]] = {}
        for member in members:
            roles = frozenset(member.roles)
            self._by_name[member.name] = roles
            for channel, address in addresses(member):
                try:
                    identity = identify(channel, address)
                except Exception:  # no plug-in for the channel, or an address it refuses
                    log.debug("a staff identity is not usable on %s", channel)
                    continue
                contact = pseudonyms.contact(channel, identity)
                self._by_contact[contact] = StaffIdentity(member.name, roles, channel)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:  # never the pseudonyms
        return f"StaffDirectory({len(self._by_name)} members)"

    def of_contact(self, contact_id: str) -> StaffIdentity | None:
        """The staff member writing from ``contact_id``, or None for a resident."""
        return self._by_contact.get(contact_id)

    def roles_of(self, name: str) -> frozenset[str] | None:
        """The roles of the staff member called ``name`` in config (None: no such member)."""
        return self._by_name.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_name))
