"""One turn of a conversation: the person's message, their state, and what
the flows decide to say and change. Lives in memory only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.conversation.draft import Draft
from bot.domain.effects import Effect
from bot.domain.messages import Choice, Location, MediaKind
from bot.domain.records import Advisory, Report
from bot.storage.polls import PollRow
from moderation.anonymise import Redacted
from moderation.screening import Screened


@dataclass(frozen=True, slots=True)
class Message:
    """The cleaned inbound message. ``text`` is raw: never stored, never logged,
    nor shown in a repr (a traceback's locals), nor is the location."""

    text: str = field(repr=False)
    folded: str = field(repr=False)
    choice: str | None
    media: tuple[MediaKind, ...]
    location: Location | None = field(repr=False)
    truncated: bool
    received_at: datetime


@dataclass(slots=True)
class State:
    """A person's conversation as stored: ``data`` is the encoded draft."""

    step: str | None
    data: dict[str, Any] = field(repr=False)
    language: str
    opted_out: bool
    flood: list[int] | None = None  # the sender's token bucket (bot.conversation.flood)


D = TypeVar("D", bound=Draft)


class Lookups(Protocol):
    """The reads that flows need from the store."""

    async def report_by_ref(self, ref: str) -> Report | None: ...
    async def latest_advisory(self, area: str, now: datetime) -> Advisory | None: ...
    async def subscriptions(self, contact_id: str) -> list[str]: ...
    async def reference_exists(self, ref: str) -> bool: ...
    async def poll(self, poll_id: int) -> PollRow | None: ...
    async def answer_of(self, poll_id: int, contact_id: str) -> int | None: ...
    async def profile(self, contact_id: str) -> tuple[str, str] | None: ...
    async def open_polls(self, now: datetime) -> list[PollRow]: ...


@dataclass(slots=True)
class Turn:
    """What handlers read and write. ``say`` collects text for one reply;
    ``image`` (a PNG) goes with it where the channel ``channel`` shows pictures."""

    state: State
    message: Message
    contact_id: str = field(repr=False)
    lookups: Lookups = field(repr=False)
    screener: Callable[[str], Screened] = field(repr=False)
    parts: list[str] = field(default_factory=list, repr=False)
    choices: tuple[Choice, ...] = ()
    effects: list[Effect] = field(default_factory=list)
    draft: Draft | None = field(default=None, repr=False)
    channel: str = ""
    resume: str | None = None  # the step HELP interrupted, its draft kept (flow.RESUME)
    image: bytes | None = field(default=None, repr=False)
    _screened: Screened | None = field(default=None, repr=False)

    def say(self, text: str) -> None:
        if text:
            self.parts.append(text)

    def redacted(self) -> Redacted:
        """The message text with personal data removed (computed once)."""
        return self.screened().redacted

    def screened(self) -> Screened:
        """The message text through the moderation pipeline: redacted, and its
        urgent and abuse verdicts (computed once, only for a turn that keeps text)."""
        if self._screened is None:
            self._screened = self.screener(self.message.text)
        return self._screened

    def effect(self, effect: Effect) -> None:
        self.effects.append(effect)

    def draft_of(self, kind: type[D]) -> D:
        """The flow's draft so far, or a new empty one (another flow's is dropped)."""
        if not isinstance(self.draft, kind):
            self.draft = kind()
        return self.draft

    def forget(self) -> None:
        """Drop the draft: the flow is done or cancelled."""
        self.draft = None
        self.resume = None
