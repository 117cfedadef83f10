"""Polls as the store keeps them: the question and options per language, their
fan-out (as an advisory's, bot.storage.broadcast: a cursor over the contacts
committed with each batch), and the answers, one per person and poll, kept
against the contact's pseudonym only and erased with the person's data.

A poll's message leaves its recipients who sit idle at the menu at its
question (their next number answers it); everyone else finds it from the
menu's polls entry. Nothing here is personal but the pseudonym an answer is
kept under; results are counted, never listed (bot.polls.results).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["POLL_SEND", "Answer", "NewPoll", "PollBatch", "PollRow", "PollStore"]

POLL_SEND = "poll_send"  # the due row that fans a poll out (key: its id)
POLL_STEP = "poll.answer"  # the step a poll's recipients idle at the menu are left at


@dataclass(frozen=True, slots=True)
class NewPoll:
    question: dict[str, str]  # language -> text
    options: tuple[dict[str, str], ...]  # each: language -> text
    areas: tuple[str, ...] = ()  # none: everyone subscribed anywhere
    closes_at: datetime | None = None
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class PollRow:
    id: int
    created_at: datetime
    question: dict[str, str]
    options: tuple[dict[str, str], ...]
    areas: tuple[str, ...]
    closes_at: datetime | None
    status: str  # draft, sending, open, closed
    created_by: str
    cursor: str
    audience: int


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as results count it: never who gave it."""

    option: int  # 1-based
    area: str | None
    language: str
    channel: str
    age_band: str | None = None  # as the person chose to say (bot.flows.profile)
    gender: str | None = None


@dataclass(frozen=True, slots=True)
class PollBatch:
    cursor: str
    limit: int
    payloads: Mapping[str, dict[str, Any]] = field(repr=False)  # language -> payload
    fallback: dict[str, Any] = field(repr=False)
    areas: tuple[str, ...] = ()


class PollStore(ABC):
    @abstractmethod
    async def create_poll(self, new: NewPoll, now: datetime) -> int: ...

    @abstractmethod
    async def poll(self, poll_id: int) -> PollRow | None: ...

    @abstractmethod
    async def polls(self, *, limit: int = 50) -> list[PollRow]:
        """The latest first."""

    @abstractmethod
    async def open_polls(self, now: datetime) -> list[PollRow]:
        """Those residents may answer now, the latest first."""

    @abstractmethod
    async def start_poll(self, poll_id: int, now: datetime) -> bool:
        """Draft to sending, with its fan-out's due row; False if not a draft."""

    @abstractmethod
    async def fan_out_poll(self, poll_id: int, batch: PollBatch, now: datetime) -> int | None:
        """As :meth:`~bot.storage.broadcast.BroadcastStore.fan_out`, and each
        recipient idle at the menu is left at the poll's question."""

    @abstractmethod
    async def set_poll_status(self, poll_id: int, status: str, *,
                              only_from: tuple[str, ...] = ()) -> bool: ...

    @abstractmethod
    async def answers(self, poll_id: int) -> list[Answer]:
        """Each with the answerer's profile, if they gave one."""

    @abstractmethod
    async def profile(self, contact_id: str) -> tuple[str, str] | None:
        """(age band, gender) the person gave, if any."""

    @abstractmethod
    async def answer_of(self, poll_id: int, contact_id: str) -> int | None:
        """The option this contact chose, if any (to tell them it changed)."""
