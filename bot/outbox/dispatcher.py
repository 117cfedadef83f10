"""The outbox dispatcher: sends what turns and broadcasts left in the store.

Every outbound message is written to the store first (in the same transaction
as the turn that produced it), then claimed from here under a lease, sent
within each channel's rates, and marked. One person's messages go out in
order; different people's concurrently.

Crash window: a message whose send succeeded but whose "sent" mark was not
written (the process died in between) is sent again once its lease expires.
So after a crash at most the messages in flight at that moment (at most
``concurrency``) can arrive twice; without a crash none does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.config import OutboxSettings
from bot.domain.messages import Choice, Outbound
from bot.domain.records import OutboundRecord
from bot.observability.metrics import Metrics
from bot.outbox.ratelimit import RateLimiter
from bot.privacy.vault import AddressVault, VaultError
from bot.storage.locks import KeyedLocks
from bot.storage.ports import OutboxStore
from bot.transport.channel import Channel, ContactView, SendError, Throttle, Undeliverable

log = logging.getLogger(__name__)


def backoff(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds to wait before try ``attempt + 1``: exponential, with jitter."""
    return random.uniform(base / 2, min(cap, base * 2**attempt))


def message_of(record: OutboundRecord) -> Outbound:
    p = record.payload
    return Outbound(text=str(p.get("text", "")),
                    choices=tuple(Choice(str(k), str(v)) for k, v in p.get("choices", [])),
                    kind=record.kind,
                    language=str(p.get("language", "en")),
                    parts_sent=int(p.get("parts_sent", 0)),
                    segments_sent=int(p.get("segments_sent", 0)))


class Dispatcher:
    def __init__(self, store: OutboxStore, channels: Mapping[str, Channel], vault: AddressVault,
                 *, settings: OutboxSettings | None = None,
                 metrics: Metrics | None = None) -> None:
        self._store = store
        self._channels = channels
        self._vault = vault
        self._settings = settings or OutboxSettings()
        self._metrics = metrics or Metrics()
        self._limiter = RateLimiter()
        self._order = KeyedLocks()
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: dict[asyncio.Task[None], int] = {}  # running deliveries -> message id
        self._sending: set[int] = set()  # ids whose send call has started
        # channel -> (when it was first found down, when last): a down spell
        self._down: dict[str, tuple[float, float]] = {}

    def wake(self) -> None:
        self._wake.set()

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    async def drain(self) -> int:
        """Send everything due now, then return how many were handled."""
        total = 0
        while True:
            done = await self.run_once()
            total += done
            if done == 0:
                return total

    async def run_once(self) -> int:
        """Claim one batch and send it (concurrently, in order per person)."""
        now = datetime.now(UTC)
        lease = now + timedelta(seconds=self._settings.lease_seconds)
        batch = await self._store.claim_outbound(now, self._settings.concurrency * 4, lease,
                                                 self._sendable())
        if batch:
            gate = asyncio.Semaphore(self._settings.concurrency)
            await asyncio.gather(*(self._deliver_in_order(r, gate) for r in batch))
        return len(batch)

    async def run(self, idle_wait: float = 1.0) -> None:
        """Deliver until :meth:`stop`; a claim never waits for a slow batch to end."""
        gate = asyncio.Semaphore(self._settings.concurrency)
        tasks = self._tasks
        try:
            await self._loop(gate, idle_wait)
        except asyncio.CancelledError:
            for task in tasks:  # hard stop: what was in flight is re-sent after its lease
                task.cancel()
            raise
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self, gate: asyncio.Semaphore, idle_wait: float) -> None:
        tasks = self._tasks
        while not self._stopping:
            self._wake.clear()
            room = self._settings.concurrency * 2 - len(tasks)
            batch: list[OutboundRecord] = []
            if room >= self._settings.concurrency or not tasks:  # claim in batches, not 1 by 1
                now = datetime.now(UTC)
                lease = now + timedelta(seconds=self._settings.lease_seconds)
                batch = await self._store.claim_outbound(now, room, lease, self._sendable())
            for record in batch:
                task = asyncio.create_task(self._deliver_in_order(record, gate))
                tasks[task] = record.id
                task.add_done_callback(self._forget)
            if tasks and (batch or room < self._settings.concurrency):
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            elif not batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle_wait)

    def _sendable(self) -> list[str]:
        """The channels this process can send on now (one whose provider is not
        reached yet waits)."""
        return sorted(name for name, channel in self._channels.items() if channel.ready)

    def channel_state(self, name: str) -> str:
        """"connecting" (its provider not reached yet), "down" (sends find it out
        of reach or refusing our credentials) or "up"."""
        channel = self._channels.get(name)
        if channel is not None and not channel.ready:
            return "connecting"
        spell = self._down.get(name)
        if spell is not None and time.monotonic() - spell[1] <= self._settings.retry_max_seconds:
            return "down"
        return "up"

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    def stop(self) -> None:
        """Stop claiming; sends under way finish, those still waiting for their
        turn (rate, order) go back to the queue untried."""
        self._stopping = True
        self._wake.set()
        for task, message_id in list(self._tasks.items()):
            if message_id not in self._sending:
                task.cancel()

    async def _deliver_in_order(self, record: OutboundRecord, gate: asyncio.Semaphore) -> None:
        key = record.contact_id or f"#{record.id}"
        try:
            async with self._order(key), gate:
                try:
                    await self._deliver(record)
                except Exception as exc:  # a bug must not kill the dispatcher: keep it queued
                    log.exception("outbox: unexpected %s on message %d", type(exc).__name__,
                                  record.id)
                    await self._store.outbound_retry(
                        record.id, error=f"internal: {type(exc).__name__}",
                        at=datetime.now(UTC) + timedelta(seconds=60))
        except asyncio.CancelledError:
            if record.id not in self._sending:  # never tried: give it back at once
                await self._store.outbound_release(record.id)
            raise
        finally:
            self._sending.discard(record.id)

    async def _deliver(self, record: OutboundRecord) -> None:
        now = datetime.now(UTC)
        message = message_of(record)
        if record.opted_out and message.kind != "reply":
            await self._fail(record, "opted out", now)
            return
        first = self._channels.get(record.channel)
        if first is None:
            await self._fail(record, "channel not available", now)
            return
        decided = first.prepare(message, ContactView(record.last_inbound_at),
                                now)
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
        await self._limiter.acquire(throttles)
        started = time.perf_counter()
        self._sending.add(record.id)
        try:
            result = await channel.send(address, message, rendered)
        except SendError as exc:
            self._metrics.send_latency.observe(time.perf_counter() - started,
                                               channel=channel_name)
            await self._send_failed(record, channel_name, throttles, exc)
            return
        self._metrics.send_latency.observe(time.perf_counter() - started, channel=channel_name)
        self._down.pop(channel_name, None)
        self._metrics.outbound.inc(channel=channel_name, result="sent")
        if channel.capabilities.billed_by_segment:
            self._metrics.segments.inc(result.segments, channel=channel_name)
        await self._store.outbound_sent(record.id, external_id=result.external_id,
                                        segments=result.segments, now=datetime.now(UTC))

    async def _send_failed(self, record: OutboundRecord, channel: str,
                           throttles: list[Throttle], exc: SendError) -> None:
        now = datetime.now(UTC)
        self._metrics.send_errors.inc(channel=channel, reason=exc.reason.split(":")[0][:40])
        if exc.opted_out and record.contact_id:
            await self._store.set_opted_out(record.contact_id, True)
        if exc.retry_after is not None:
            for t in throttles[:1]:  # the channel's first bucket is its sender-wide one
                self._limiter.pause(t.key, exc.retry_after)
        if exc.channel_down:
            await self._channel_down(record, channel, throttles, exc, now)
            return
        attempts = record.attempts + 1
        if exc.retryable and attempts < self._settings.max_attempts:
            delay = exc.retry_after if exc.retry_after is not None else backoff(
                record.attempts, self._settings.retry_base_seconds,
                self._settings.retry_max_seconds)
            await self._store.outbound_retry(record.id, error=exc.reason,
                                             at=now + timedelta(seconds=delay),
                                             parts_sent=exc.parts_sent,
                                             segments_sent=exc.segments_sent)
            self._metrics.outbound.inc(channel=channel, result="retry")
            log.warning("send on %s failed (%s), try %d, next in %.1fs", channel, exc.reason,
                        attempts, delay)
        else:
            await self._fail(record, exc.reason, now, channel)

    async def _channel_down(self, record: OutboundRecord, channel: str,
                            throttles: list[Throttle], exc: SendError, now: datetime) -> None:
        """The provider was out of reach or refused our credentials: the channel is
        down, not this message, so none of its tries is spent (a long outage, or a
        token rotated at the provider, would otherwise use them all and lose it).
        It waits about as long as the channel has been down (doubling, from
        ``retry_base_seconds`` up to ``retry_max_seconds``, with jitter), and the
        sender's bucket pauses as long, so the sends queued behind this one wait
        too instead of each finding the door closed."""
        settings = self._settings
        clock = time.monotonic()
        since, last = self._down.get(channel, (clock, clock))
        if clock - last > settings.retry_max_seconds:  # an old spell, nothing sent since
            since = clock
        self._down[channel] = (since, clock)
        down_for = clock - since
        delay = random.uniform(0.5, 1) * min(settings.retry_max_seconds,
                                             max(settings.retry_base_seconds, down_for))
        for t in throttles[:1]:
            self._limiter.pause(t.key, delay)
        await self._store.outbound_retry(record.id, error=exc.reason,
                                         at=now + timedelta(seconds=delay),
                                         parts_sent=exc.parts_sent,
                                         segments_sent=exc.segments_sent, counted=False)
        self._metrics.outbound.inc(channel=channel, result="deferred")
        log.warning("send on %s: channel down (%s) for %.0fs, next in %.1fs, no try spent",
                    channel, exc.reason, down_for, delay)

    async def _fail(self, record: OutboundRecord, reason: str, now: datetime,
                    channel: str | None = None) -> None:
        await self._store.outbound_failed(record.id, error=reason, now=now)
        self._metrics.outbound.inc(channel=channel or record.channel, result="failed")
        log.warning("send on %s failed for good: %s", channel or record.channel, reason)

