"""The outbox dispatcher: sends what turns and broadcasts left in the store.

Every outbound message is written to the store first (in the same transaction
as the turn that produced it), then claimed from here under a lease, sent
within each channel's rates, and marked. One person's messages go out in
order; different people's concurrently.

Nothing stops it: a claim, a renewal or a mark the store refuses is tried
again with backoff (the spell logged once, shown in ``/healthz`` and
``sauti_store_up``), and a message sent but not yet marked is held, its lease
renewed, until the store takes the mark: it is never sent again for that.

Crash window: a message whose send had begun but whose "sent" mark was not
stored when the process died is sent again once its lease runs out. Sends and
their marks run within ``concurrency`` slots, so after a crash at most
``concurrency`` messages can arrive twice; without a crash none does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.config import OutboxSettings
from bot.domain.records import NewTimer, OutboundRecord
from bot.observability.metrics import Metrics
from bot.outbox.clock import Clock, nap
from bot.outbox.leases import Leases
from bot.outbox.payload import expired, message_of
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retries import ChannelSpells, backoff, describe, reason_code, spread, where
from bot.outbox.storewatch import Abandoned, StoreWatch, Tries
from bot.privacy.vault import AddressVault, VaultError
from bot.storage.locks import KeyedLocks
from bot.storage.ports import OutboxStore
from bot.transport.channel import (
    Channel,
    ContactView,
    SendError,
    SendResult,
    Throttle,
    Undeliverable,
)

__all__ = ["STOP_GRACE_SECONDS", "Dispatcher", "backoff"]

#: what to leave behind once a message went on a channel (its provider id, when)
AfterSend = Callable[[str, str, datetime], NewTimer | None]
log = logging.getLogger(__name__)
T = TypeVar("T")
STOP_GRACE_SECONDS = 10.0  # how long a stop waits for the store to take what was sent
UNEXPECTED_RETRY_SECONDS = 60.0


class Dispatcher:
    def __init__(self, store: OutboxStore, channels: Mapping[str, Channel], vault: AddressVault,
                 *, settings: OutboxSettings | None = None,
                 metrics: Metrics | None = None, clock: Clock | None = None,
                 after_send: AfterSend | None = None) -> None:
        self._store = store
        self._after_send = after_send
        self._channels = channels
        self._vault = vault
        self._settings = s = settings or OutboxSettings()
        self._metrics = metrics or Metrics()
        self._clock = clock or Clock()
        self._limiter = RateLimiter(clock=self._clock)
        self._order = KeyedLocks()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._stop_by = 0.0  # monotonic time after which a stopping mark gives up
        self._tasks: dict[asyncio.Task[None], int] = {}  # running deliveries -> message id
        self._sending: set[int] = set()  # ids whose send call has started
        self._delivered: dict[int, tuple[str, SendResult]] = {}  # sent, not yet marked
        self._watch = StoreWatch(self._clock)
        self._leases = Leases(store, self._clock, s.lease_seconds, self._watch)
        self._spells = ChannelSpells(self._clock, s.retry_base_seconds, s.retry_max_seconds)
        self._people: Counter[str] = Counter()  # person -> their messages held here
        self._behind: dict[str, int] = {}  # person -> a message of theirs put back to wait
        self._metrics.gauge("sauti_store_up", "1 while the outbox finds the store answering, "
                            "0 during a spell of store errors", self._store_up)

    def wake(self) -> None:
        self._wake.set()

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    @property
    def in_flight(self) -> int:
        """Sends under way (their call to the provider started, their mark not stored)."""
        return len(self._sending)

    def store_state(self) -> dict[str, Any]:
        """The store as the outbox finds it, for ``/healthz``."""
        return self._watch.view()

    async def _store_up(self) -> float:
        return float(self._watch.up)

    async def drain(self) -> int:
        """Send everything due now, then return how many were handled."""
        total = 0
        while True:
            done = await self.run_once()
            total += done
            if done == 0:
                return total

    async def run_once(self) -> int:
        """Claim one batch and send it (concurrently, in order per person); a
        store error goes to the caller."""
        limit, channels = self._leases.claim_size(self._settings.concurrency * 4, self._sendable())
        if limit <= 0:
            return 0
        batch = await self._claim(limit, channels)
        if batch:
            gate = asyncio.Semaphore(self._settings.concurrency)
            async with self._leases.kept():
                await asyncio.gather(*(self._deliver_in_order(r, gate) for r in batch))
        return len(batch)

    async def run(self, idle_wait: float = 1.0) -> None:
        """Deliver until :meth:`stop`; a claim never waits for a slow batch to end."""
        gate = asyncio.Semaphore(self._settings.concurrency)
        tasks = self._tasks
        async with self._leases.kept():
            try:
                await self._loop(gate, idle_wait)
            except asyncio.CancelledError:
                for task in tasks:  # hard stop: what was in flight is re-sent after its lease
                    task.cancel()
                raise
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self, gate: asyncio.Semaphore, idle_wait: float) -> None:
        tasks, concurrency = self._tasks, self._settings.concurrency
        tries = Tries(self._watch, "claiming messages")
        while not self._stopping:
            self._wake.clear()
            room = concurrency * 2 - len(tasks)
            batch: list[OutboundRecord] = []
            if room >= concurrency or not tasks:  # claim in batches, not 1 by 1
                limit, channels = self._leases.claim_size(room, self._sendable())
                try:
                    batch = await self._claim(limit, channels) if limit > 0 else []
                except Exception as exc:  # the store's trouble must not end the loop
                    await nap(self._clock, tries.failed(exc), self._stopped)
                    continue
                tries.worked()
            for record in batch:
                task = asyncio.create_task(self._deliver_in_order(record, gate))
                tasks[task] = record.id
                task.add_done_callback(self._forget)
            if tasks and (batch or room < concurrency):
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            elif not batch:
                await nap(self._clock, idle_wait, self._wake, self._stopped)
        tries.end()

    async def _claim(self, limit: int, channels: list[str]) -> list[OutboundRecord]:
        """Claim up to ``limit``; the messages this dispatcher holds already (their
        lease ran out under it) stay where they are, with the claim's lease."""
        now, until = self._leases.lease()
        batch = await self._store.claim_outbound(now, limit, until, channels)
        self._watch.ok()
        return [r for r in batch if self._leases.take(r, until)]

    def _sendable(self) -> list[str]:
        """The channels this process can send on now (one whose provider is not
        reached yet waits)."""
        return sorted(name for name, channel in self._channels.items() if channel.ready)

    def channel_state(self, name: str) -> str:
        """"connecting" (its provider not reached yet), "down" (sends find it out
        of reach or refusing our credentials), "degraded" (its provider answers
        sends with failures: 5xx, time-outs) or "up"."""
        channel = self._channels.get(name)
        if channel is not None and not channel.ready:
            return "connecting"
        return self._spells.state(name)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    def stop(self) -> None:
        """Stop claiming; sends under way finish (their marks are tried for up to
        ``STOP_GRACE_SECONDS``), those still waiting for their turn (rate, order)
        go back to the queue untried."""
        if not self._stopping:
            self._stop_by = self._clock.monotonic() + STOP_GRACE_SECONDS
        self._stopping = True
        self._wake.set()
        self._stopped.set()
        for task, message_id in list(self._tasks.items()):
            if message_id not in self._sending:
                task.cancel()

    # ------------------------------------------------------------- one message

    async def _deliver_in_order(self, record: OutboundRecord, gate: asyncio.Semaphore) -> None:
        key = record.contact_id or f"#{record.id}"
        self._people[key] += 1
        try:
            async with self._order(key), gate:
                first = self._behind.get(key)
                if first is not None and first < record.id:  # an earlier one went back
                    await self._give_back(record)
                    return
                try:
                    if record.id not in self._leases.lost:
                        await self._deliver(record, key)
                except Abandoned:
                    log.error("outbox: stopped before the store took a mark; message %d may "
                              "be sent again after its lease", record.id)
                if record.id in self._leases.lost:  # claimed again elsewhere: it goes first
                    self._hold_back(key, record.id)
        except asyncio.CancelledError:
            if record.id not in self._sending:  # never tried: give it back at once
                await self._give_back(record)
            raise
        finally:
            self._sending.discard(record.id)
            self._leases.drop(record.id)
            self._people[key] -= 1
            if self._people[key] <= 0:
                del self._people[key]
                self._behind.pop(key, None)

    async def _give_back(self, record: OutboundRecord) -> None:
        """Back to the queue untried, if still ours (a lease that ran out is left
        to run out: someone may have claimed the message since)."""
        if record.id in self._leases.lost or self._leases.expired(record.id):
            return
        try:
            await self._store.outbound_release(record.id)
        except Exception as exc:  # its lease runs out instead; the spell's log tells it
            self._watch.failed(exc, "giving messages back")
            self._watch.cleared(succeeded=False)
        else:
            self._watch.ok()

    async def _persist(self, doing: str, write: Callable[[], Awaitable[T]]) -> T:
        return await self._watch.persist(doing, write, self._grace)

    def _grace(self) -> float | None:
        """Seconds a stopping dispatcher still waits for the store (None: not stopping)."""
        return self._stop_by - self._clock.monotonic() if self._stopping else None

    async def _deliver(self, record: OutboundRecord, key: str) -> None:
        try:
            await self._send(record, key)
        except (Abandoned, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug must not kill the dispatcher: keep it queued
            log.error("outbox: unexpected %s at %s on message %d", describe(exc), where(exc),
                      record.id)
            if record.id in self._delivered:  # it went: mark it so, never send it again
                await self._mark_sent(record, self._delivered.pop(record.id))
                return
            await self._requeue(record, key, error=f"internal: {type(exc).__name__}",
                                delay=UNEXPECTED_RETRY_SECONDS)
        finally:
            self._delivered.pop(record.id, None)

    async def _send(self, record: OutboundRecord, key: str) -> None:
        now = self._clock.now()
        try:
            message = message_of(record, self._vault)
        except VaultError:
            await self._fail(record, "message unreadable", now)
            return
        if (record.opted_out and message.kind != "reply") or expired(record, now):
            await self._fail(record, "expired" if expired(record, now) else "opted out", now)
            return
        first = self._channels.get(record.channel)
        if first is None:
            await self._fail(record, "channel not available", now)
            return
        decided = first.prepare(message, ContactView(record.last_inbound_at), now)
        if isinstance(decided, Undeliverable):
            await self._fail(record, decided.reason, now)
            return
        channel_name, message = decided.channel, decided.message
        channel = self._channels.get(channel_name)
        if channel is None or record.address_sealed is None:
            await self._fail(record, "channel not available", now)
            return
        try:
            address = self._vault.open(record.address_sealed)
        except VaultError:
            await self._fail(record, "address unreadable", now)
            return
        rendered = channel.render(message)
        throttles = list(channel.throttles(address, rendered))
        self._leases.note_rate(record.channel, throttles)
        await self._limiter.acquire(throttles)
        if not await self._leases.still_ours(record.id, lambda: self._stopping):
            return
        started = time.perf_counter()
        self._sending.add(record.id)
        try:
            result = await channel.send(address, message, rendered)
        except SendError as exc:
            self._metrics.send_latency.observe(time.perf_counter() - started,
                                               channel=channel_name)
            await self._send_failed(record, key, channel_name, throttles, exc)
            return
        self._delivered[record.id] = (channel_name, result)
        self._metrics.send_latency.observe(time.perf_counter() - started, channel=channel_name)
        self._spells.ok(channel_name)
        self._metrics.outbound.inc(channel=channel_name, result="sent")
        if channel.capabilities.billed_by_segment:
            self._metrics.segments.inc(result.segments, channel=channel_name)
        await self._mark_sent(record, self._delivered.pop(record.id))
        if self._behind.get(key) == record.id:
            del self._behind[key]

    async def _mark_sent(self, record: OutboundRecord, sent: tuple[str, SendResult]) -> None:
        """Mark it sent, with the due row that will delete it at the provider
        (``after_send``), in the same write."""
        channel, result = sent
        sent_at = self._clock.now()
        timer = None
        if self._after_send is not None and result.external_id:
            timer = self._after_send(channel, result.external_id, sent_at)
        await self._persist("marking a message sent", lambda: self._store.outbound_sent(
            record.id, external_id=result.external_id, segments=result.segments, now=sent_at,
            timer=timer))

    async def _send_failed(self, record: OutboundRecord, key: str, channel: str,
                           throttles: list[Throttle], exc: SendError) -> None:
        self._metrics.send_errors.inc(channel=channel, reason=reason_code(exc.reason))
        if exc.opted_out and record.contact_id:
            contact_id = record.contact_id
            await self._persist("marking a contact opted out",
                                lambda: self._store.set_opted_out(contact_id, True))
        if exc.retry_after is not None:
            for t in throttles[:1]:  # the channel's first bucket is its sender-wide one
                self._limiter.pause(t.key, exc.retry_after)
        settings = self._settings
        if exc.channel_down:
            down_for, delay = self._spells.down(channel)
            for t in throttles[:1]:  # the sends behind wait it out too
                self._limiter.pause(t.key, delay)
            await self._requeue(record, key, error=exc.reason, delay=delay, counted=False,
                                exc=exc)
            self._metrics.outbound.inc(channel=channel, result="deferred")
            log.warning("send on %s: channel down (%s) for %.0fs, next in %.1fs, no try spent",
                        channel, describe(exc), down_for, delay)
            return
        attempts = record.attempts + 1
        if exc.retryable and attempts < settings.max_attempts:
            if exc.retry_after is not None:
                delay = exc.retry_after
            else:  # the provider answered, and failed: the channel is degraded
                delay = spread(record.attempts, settings.max_attempts,
                               settings.retry_base_seconds, settings.retry_max_seconds)
                pause = self._spells.degraded(channel)
                for t in throttles[:1]:
                    self._limiter.pause(t.key, pause)
            await self._requeue(record, key, error=exc.reason, delay=delay, exc=exc)
            self._metrics.outbound.inc(channel=channel, result="retry")
            log.warning("send on %s failed (%s), try %d, next in %.1fs", channel, describe(exc),
                        attempts, delay)
        else:
            await self._fail(record, exc.reason, self._clock.now(), channel)

    async def _requeue(self, record: OutboundRecord, key: str, *, error: str, delay: float,
                       counted: bool = True, exc: SendError | None = None) -> None:
        """Back to the queue, due in ``delay`` seconds; this person's later messages
        held here go back too, untried, and wait for it."""
        at = self._clock.now() + timedelta(seconds=delay)
        parts, segments = (exc.parts_sent, exc.segments_sent) if exc is not None else (0, 0)
        await self._persist("putting a message back", lambda: self._store.outbound_retry(
            record.id, error=error, at=at, parts_sent=parts, segments_sent=segments,
            counted=counted))
        self._hold_back(key, record.id)

    def _hold_back(self, key: str, message_id: int) -> None:
        """This person's messages after ``message_id`` held here go back untried."""
        self._behind[key] = min(self._behind.get(key, message_id), message_id)

    async def _fail(self, record: OutboundRecord, reason: str, now: datetime,
                    channel: str | None = None) -> None:
        await self._persist("marking a message failed", lambda: self._store.outbound_failed(
            record.id, error=reason, now=now))
        self._metrics.outbound.inc(channel=channel or record.channel, result="failed")
        log.warning("send on %s failed for good: %s", channel or record.channel,
                    reason_code(reason))
