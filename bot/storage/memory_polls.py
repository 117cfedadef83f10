"""Polls in the in-memory store (bot.storage.polls): a mix-in of
:class:`~bot.storage.memory.MemoryStore`, on its tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.records import Contact, Session
from bot.storage.changes import TurnChangeSet
from bot.storage.coarse import session_time
from bot.storage.desk import IDLE_STEPS
from bot.storage.memory_rows import _Queued, _Timer
from bot.storage.polls import POLL_SEND, POLL_STEP, Answer, NewPoll, PollBatch, PollRow, PollStore


class MemoryPolls(PollStore):
    _contacts: dict[str, Contact]
    _subs: dict[str, dict[str, str]]
    _sessions: dict[str, Session]
    _outbox: dict[int, _Queued]

    def _next_id(self, table: str) -> int:
        raise NotImplementedError  # MemoryStore's

    def _put(self, q: _Queued) -> None:
        raise NotImplementedError  # MemoryDesk's

    @property
    def _due(self) -> dict[int, _Timer]:
        raise NotImplementedError  # MemoryStore's

    def _poll_tables(self) -> None:
        self._polls: dict[int, PollRow] = {}
        self._answers: dict[tuple[int, str], tuple[int, Answer]] = {}  # -> (order, answer)
        self._profiles: dict[str, tuple[str, str]] = {}

    def _answered(self, changes: TurnChangeSet) -> None:
        """A turn's answers (MemoryStore's commit)."""
        c = changes.write.contact
        if changes.profile is not None:
            self._profiles[c.id] = (changes.profile.age_band, changes.profile.gender)
        for a in changes.poll_answers:
            poll = self._polls.get(a.poll_id)
            areas = [s for s in self._subs.get(c.id, {}) if poll and s in poll.areas]
            self._answers[(a.poll_id, c.id)] = (len(self._answers), Answer(
                a.option, areas[0] if areas else None, changes.language or "en", c.channel))

    def _forget_answers(self, contact_id: str) -> None:
        for key in [k for k in self._answers if k[1] == contact_id]:
            del self._answers[key]
        self._profiles.pop(contact_id, None)

    async def create_poll(self, new: NewPoll, now: datetime) -> int:
        poll_id = self._next_id("polls")
        self._polls[poll_id] = PollRow(poll_id, now, dict(new.question), tuple(new.options),
                                       tuple(sorted(set(new.areas))), new.closes_at, "draft",
                                       new.created_by, "", 0)
        return poll_id

    async def poll(self, poll_id: int) -> PollRow | None:
        return self._polls.get(poll_id)

    async def polls(self, *, limit: int = 50) -> list[PollRow]:
        return sorted(self._polls.values(), key=lambda p: -p.id)[:limit]

    async def open_polls(self, now: datetime) -> list[PollRow]:
        return [p for p in await self.polls(limit=10_000) if p.status in ("sending", "open")
                and (p.closes_at is None or p.closes_at > now)]

    async def start_poll(self, poll_id: int, now: datetime) -> bool:
        poll = self._polls.get(poll_id)
        if poll is None or poll.status != "draft":
            return False
        self._polls[poll_id] = replace(poll, status="sending")
        timer_id = max(self._due, default=0) + 1
        self._due[timer_id] = _Timer(timer_id, POLL_SEND, str(poll_id), {"id": poll_id}, now)
        return True

    async def fan_out_poll(self, poll_id: int, batch: PollBatch, now: datetime) -> int | None:
        poll = self._polls.get(poll_id)
        if poll is None or poll.status != "sending" or poll.cursor != batch.cursor:
            return None
        wanted = set(batch.areas)
        found = sorted((c for c in self._contacts.values()
                        if c.id > batch.cursor and not c.opted_out and self._subs.get(c.id)
                        and (not wanted or wanted & set(self._subs[c.id]))),
                       key=lambda c: c.id)[:batch.limit]
        if not found:
            return 0
        queued = datetime.now(UTC)
        for c in found:
            oid = self._next_id("outbox")
            payload = batch.payloads.get(c.language or "", batch.fallback)
            self._put(_Queued(oid, queued, c.id, c.channel, c.address_sealed, "poll", 0,
                              dict(payload), queued))
            held = self._sessions.get(c.id)
            if held is None or held.step is None or held.step in IDLE_STEPS:
                self._sessions[c.id] = Session(c.id, POLL_STEP, {"draft": "poll", "poll": poll_id},
                                               session_time(now))
        self._polls[poll_id] = replace(poll, cursor=found[-1].id,
                                       audience=poll.audience + len(found))
        return len(found)

    async def set_poll_status(self, poll_id: int, status: str, *,
                              only_from: tuple[str, ...] = ()) -> bool:
        poll = self._polls.get(poll_id)
        if poll is None or (only_from and poll.status not in only_from):
            return False
        self._polls[poll_id] = replace(poll, status=status)
        return True

    async def answers(self, poll_id: int) -> list[Answer]:
        found = []
        for (pid, contact_id), (_n, a) in self._answers.items():
            if pid == poll_id:
                age, gender = self._profiles.get(contact_id, (None, None))
                found.append(replace(a, age_band=age, gender=gender))
        return found

    async def profile(self, contact_id: str) -> tuple[str, str] | None:
        return self._profiles.get(contact_id)

    async def answer_of(self, poll_id: int, contact_id: str) -> int | None:
        found = self._answers.get((poll_id, contact_id))
        return None if found is None else found[1].option
