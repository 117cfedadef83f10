"""The messages one dispatcher holds, and the leases that keep them its own.

A claim leases its messages for ``outbox.lease_seconds``; while the dispatcher
holds them (waiting for their turn or their rate, sending, storing that they
were sent) their leases are renewed every third of a lease, in one statement,
so none runs out under it. A renewal only
extends the lease the dispatcher set itself: a message claimed again
elsewhere since (its lease ran out while the store could not be reached) is
lost to this dispatcher, which then does not send it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.records import OutboundRecord
from bot.outbox.clock import Clock
from bot.outbox.storewatch import StoreWatch, retry_in
from bot.storage.ports import OutboxStore
from bot.transport.channel import Throttle

__all__ = ["Leases"]


@dataclass(slots=True)
class _Held:
    until: datetime
    channel: str


class Leases:
    def __init__(self, store: OutboxStore, clock: Clock, seconds: float,
                 watch: StoreWatch) -> None:
        self._store = store
        self._clock = clock
        self.seconds = seconds
        self._watch = watch
        self._held: dict[int, _Held] = {}
        self._channels: Counter[str] = Counter()
        self._failures = 0  # renewals failed in a row
        self.lost: set[int] = set()  # held, but claimed again elsewhere
        self._rates: dict[str, float] = {}  # channel -> messages a second, at most
        self._keeper: asyncio.Task[None] | None = None

    def __contains__(self, message_id: int) -> bool:
        return message_id in self._held

    def __len__(self) -> int:
        return len(self._held)

    def note_rate(self, channel: str, throttles: Sequence[Throttle]) -> None:
        """What a send on ``channel`` costs of its sender-wide rate (the first throttle)."""
        if throttles:
            first = throttles[0]
            self._rates[channel] = first.per_second / max(1.0, first.cost)

    def claim_size(self, room: int, channels: Sequence[str]) -> tuple[int, list[str]]:
        """How many to claim, on which of ``channels``: no more than each can send in
        half a lease at its rate (known once it has sent), and only once it holds
        half of that or less, so that claims stay batched."""
        limit, hungry = 0, []
        for name in channels:
            rate = self._rates.get(name)
            if rate is None:
                limit = want = room
            else:
                budget = max(1, int(rate * self.seconds / 2))
                held = self._channels[name]
                want = budget - held if held <= budget // 2 else 0
            if want > 0:
                hungry.append(name)
                limit += want
        return min(room, limit), hungry

    def lease(self) -> tuple[datetime, datetime]:
        """Now, and the end of a lease taken now."""
        now = self._clock.now()
        return now, now + timedelta(seconds=self.seconds)

    def take(self, record: OutboundRecord, until: datetime) -> bool:
        """Hold ``record``, leased until ``until``; False if it was held already
        (a claim found its lease run out: the claim renewed it)."""
        held = self._held.get(record.id)
        if held is not None:
            held.until = until
            return False
        self._held[record.id] = _Held(until, record.channel)
        self._channels[record.channel] += 1
        return True

    def drop(self, message_id: int) -> None:
        held = self._held.pop(message_id, None)
        self.lost.discard(message_id)
        if held is not None:
            self._channels[held.channel] -= 1
            if self._channels[held.channel] <= 0:
                del self._channels[held.channel]

    def running_out(self, message_id: int) -> bool:
        """Whether the lease of a held message has less than half of it left (its
        renewals failed): not to be sent before it is renewed."""
        held = self._held.get(message_id)
        return held is None or (held.until - self._clock.now()).total_seconds() < \
            self.seconds / 2

    def expired(self, message_id: int) -> bool:
        held = self._held.get(message_id)
        return held is None or held.until <= self._clock.now()

    async def still_ours(self, message_id: int, stopping: Callable[[], bool]) -> bool:
        """Whether a held message may be sent now, under a lease that will not run
        out mid-send: one whose renewals failed is renewed first (waiting for the
        store if need be, unless ``stopping()``); one claimed again elsewhere is not."""
        if message_id not in self._held:
            return False
        if message_id not in self.lost and not self.running_out(message_id):
            return True
        while message_id not in self.lost and not await self.renew([message_id]):
            if stopping():
                return False
            await self._clock.sleep(retry_in(2))
        return message_id not in self.lost

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renewals run (:meth:`keep`) for the block; a block inside shares them."""
        if self._keeper is not None and not self._keeper.done():
            yield
            return
        keeper = self._keeper = asyncio.create_task(self.keep())
        try:
            yield
        finally:
            keeper.cancel()
            await asyncio.wait([keeper])  # a cancellation of the block still goes through
            self.stop_watching()

    async def keep(self) -> None:
        """Renew every held lease each third of a lease, until cancelled; after a
        failure, sooner (the store's own backoff)."""
        while True:
            await self._clock.sleep(retry_in(self._failures) if self._failures
                                    else self.seconds / 3)
            await self.renew()

    async def renew(self, ids: list[int] | None = None) -> bool:
        """Renew the leases of ``ids`` (default: all held); False if the store
        failed. Those found claimed again elsewhere are put in :attr:`lost`."""
        held = self._held
        groups: dict[datetime, list[int]] = {}
        for message_id in held if ids is None else ids:
            if message_id in held and message_id not in self.lost:
                groups.setdefault(held[message_id].until, []).append(message_id)
        _now, until = self.lease()
        for old, group in groups.items():
            try:
                renewed = await self._store.renew_outbound(group, old, until)
            except Exception as exc:  # the store's trouble is the watch's to tell
                self._failures += 1
                if self._failures == 1:
                    self._watch.failed(exc, "renewing leases")
                else:
                    self._watch.again()
                return False
            for message_id in group:
                mine = held.get(message_id)
                if mine is None or mine.until != old:
                    continue  # dropped, or claimed again here meanwhile (a new lease)
                if message_id in renewed:
                    mine.until = until
                else:
                    self.lost.add(message_id)
        if self._failures:
            self._failures = 0
            self._watch.cleared(succeeded=True)
        else:
            self._watch.ok()
        return True

    def stop_watching(self) -> None:
        """No renewal runs any more: a run of failures it had is over."""
        if self._failures:
            self._failures = 0
            self._watch.cleared(succeeded=False)
