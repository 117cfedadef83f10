"""One turn of a conversation: the person's message, their state, and what
the flows decide to say and change. Lives in memory only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.domain.effects import Effect
from bot.domain.messages import Choice, Location, MediaKind
from bot.domain.records import Advisory, Report
from bot.i18n.catalogue import _
from moderation.anonymise import Redacted


@dataclass(frozen=True, slots=True)
class Message:
    """The cleaned inbound message. ``text`` is raw: never stored, never logged."""

    text: str
    folded: str
    choice: str | None
    media: tuple[MediaKind, ...]
    location: Location | None
    truncated: bool
    received_at: datetime


@dataclass(slots=True)
class State:
    step: str | None
    data: dict[str, Any]
    language: str
    opted_out: bool


class Lookups(Protocol):
    """The reads that flows need from the store."""

    async def report_by_ref(self, ref: str) -> Report | None: ...
    async def latest_advisory(self, area: str, now: datetime) -> Advisory | None: ...
    async def subscriptions(self, contact_id: str) -> list[str]: ...
    async def reference_exists(self, ref: str) -> bool: ...




@dataclass(slots=True)
class Turn:
    """What handlers read and write. ``say`` collects text for one reply."""

    state: State
    message: Message
    contact_id: str
    lookups: Lookups
    redactor: Callable[[str], Redacted]
    parts: list[str] = field(default_factory=list)
    choices: tuple[Choice, ...] = ()
    effects: list[Effect] = field(default_factory=list)
    _redacted: Redacted | None = None

    def say(self, text: str) -> None:
        if text:
            self.parts.append(text)

    def redacted(self) -> Redacted:
        """The message text with personal data removed (computed once)."""
        if self._redacted is None:
            self._redacted = self.redactor(self.message.text)
        return self._redacted

    def effect(self, effect: Effect) -> None:
        self.effects.append(effect)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data


def menu_hint() -> str:
    from bot.i18n.keywords import Keyword, shown

    return _("Send {menu} for the menu.").format(menu=shown(Keyword.MENU))


def numbered_hint(count: int) -> str:
    return _("Please reply with a number from 1 to {count}.").format(count=count)
