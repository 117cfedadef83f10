"""Polls as staff run them (the CLI now, chat's /poll next): checked, sent,
closed, their results; only the ``staff`` role, every action audited."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from bot.broadcast.service import STAFF
from bot.config.model import Config
from bot.desk.api import Actor, DeskError
from bot.polls.results import Results, tally
from bot.storage.desk import AuditRow
from bot.storage.polls import NewPoll, PollRow
from bot.storage.ports import Store

__all__ = ["PollError", "Polls"]

MAX_TEXT = 300
Clock = Callable[[], datetime]


class PollError(ValueError):
    """Bad input: its message says what is wrong and what would work."""


class Polls:
    def __init__(self, store: Store, config: Config, *, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._areas = tuple(a.code for a in config.areas)
        self._languages = tuple(config.bot.languages)
        self._default = config.bot.default_language
        self.min_cell = config.privacy.min_cell

    def _texts(self, what: str, texts: Mapping[str, str]) -> dict[str, str]:
        clean = {k.strip().lower(): v.strip() for k, v in texts.items()}
        bad = [k for k in clean if k not in self._languages]
        if bad or self._default not in clean:
            not_these = f"; not {', '.join(bad)}" if bad else ""
            raise PollError(f"{what} needs a text in {self._default} (languages: "
                            f"{', '.join(self._languages)}){not_these}")
        if any(not v or len(v) > MAX_TEXT for v in clean.values()):
            raise PollError(f"each text of {what} must have 1 to {MAX_TEXT} characters")
        return clean

    def check(self, *, question: Mapping[str, str], options: Sequence[Mapping[str, str]],
              areas: Sequence[str] = (), closes_at: datetime | None = None,
              created_by: str = "") -> NewPoll:
        if not 2 <= len(options) <= 9:
            raise PollError("a poll has 2 to 9 options")
        wanted = tuple(dict.fromkeys(a.strip().lower() for a in areas))
        if any(a not in self._areas for a in wanted):
            raise PollError(f"unknown area in {', '.join(wanted)} (areas: "
                            f"{', '.join(self._areas)})")
        if closes_at is not None and closes_at <= self._clock():
            raise PollError("--closes must be in the future")
        return NewPoll(self._texts("the question", question),
                       tuple(self._texts(f"option {n}", o) for n, o in enumerate(options, 1)),
                       wanted, closes_at, created_by)

    async def create(self, actor: Actor, new: NewPoll) -> int:
        await self._require(actor, "poll_create")
        poll_id = await self._store.create_poll(new, self._clock())
        await self._audit(actor, "poll_create", poll_id)
        return poll_id

    async def show(self, actor: Actor, poll_id: int) -> PollRow:
        await self._require(actor, "poll_show")
        poll = await self._store.poll(poll_id)
        if poll is None:
            raise PollError(f"no poll {poll_id} (sauti poll list)")
        return poll

    async def list(self, actor: Actor) -> list[PollRow]:
        await self._require(actor, "poll_list")
        return await self._store.polls()

    async def send(self, actor: Actor, poll_id: int) -> None:
        poll = await self.show(actor, poll_id)
        if not await self._store.start_poll(poll.id, self._clock()):
            raise PollError(f"poll {poll_id} is {poll.status}: only a draft is sent")
        await self._audit(actor, "poll_send", poll_id)

    async def close(self, actor: Actor, poll_id: int) -> None:
        poll = await self.show(actor, poll_id)
        if not await self._store.set_poll_status(poll.id, "closed",
                                                 only_from=("draft", "sending", "open")):
            raise PollError(f"poll {poll_id} is closed already")
        await self._audit(actor, "poll_close", poll_id)

    async def results(self, actor: Actor, poll_id: int) -> tuple[PollRow, Results]:
        poll = await self.show(actor, poll_id)
        answers = await self._store.answers(poll.id)
        await self._audit(actor, "poll_results", poll_id)
        return poll, tally(answers, len(poll.options), self.min_cell)

    async def _require(self, actor: Actor, action: str) -> None:
        if not actor.may(STAFF):
            await self._store.add_audit(AuditRow(self._clock(), actor.name, action, "",
                                                 "denied", False))
            raise DeskError("forbidden", role=STAFF, action=action)

    async def _audit(self, actor: Actor, action: str, poll_id: int) -> None:
        await self._store.add_audit(AuditRow(self._clock(), actor.name, action, f"P{poll_id}",
                                             "ok", False))
