"""Reaching staff members of their own accord (a referral clock's warning, and
later urgent alerts): on which channel, at which address, in which language.

A member is reached on their first identity (Telegram, then SMS, then
WhatsApp, then the console: :func:`~bot.staff.directory.addresses`) whose
channel this process runs; when none runs, on the first one (the message
waits in the outbox for it). The language is the one their own conversation
on that identity uses, if they ever wrote from it (a moderator who chose
French is warned in French); else the mission's default language. Nothing of
this is stored: addresses come from config, the language from the contact row
of the member's pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.config.model import StaffMember
from bot.staff.directory import Identify, addresses
from bot.storage.ports import Store
from moderation.pseudonym import Pseudonymiser

__all__ = ["StaffReach", "Target"]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    channel: str
    address: str
    language: str

    def __repr__(self) -> str:  # an address never reaches a log line
        return f"Target({self.name!r}, {self.channel!r}, <address>, {self.language!r})"


class StaffReach:
    def __init__(self, members: Iterable[StaffMember], pseudonyms: Pseudonymiser,
                 identify: Identify, store: Store, *, default_language: str,
                 running: Callable[[str], bool] = lambda channel: True) -> None:
        self._members = tuple(members)
        self._pseudonyms = pseudonyms
        self._identify = identify
        self._store = store
        self._default = default_language
        self._running = running

    async def with_roles(self, *roles: str) -> list[Target]:
        """Every member who has all of ``roles``, as a target, in config order."""
        found = []
        for member in self._members:
            if set(roles) <= set(member.roles):
                target = await self.of(member)
                if target is not None:
                    found.append(target)
        return found

    async def of(self, member: StaffMember) -> Target | None:
        identities = list(addresses(member))
        if not identities:
            return None
        channel, address = next(((c, a) for c, a in identities if self._running(c)),
                                identities[0])
        return Target(member.name, channel, address, await self._language(channel, address))

    async def _language(self, channel: str, address: str) -> str:
        try:
            contact_id = self._pseudonyms.contact(channel, self._identify(channel, address))
        except Exception:  # no plug-in for the channel, or an address it refuses
            return self._default
        convo = await self._store.load(contact_id)
        return (convo.contact.language if convo is not None else None) or self._default
