"""The outbox dispatcher: sends what turns and broadcasts left in the store.

Every outbound message is written to the store first (in the same transaction
as the turn that produced it), then sent from here; a crash between the two
loses nothing, it only delays.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.channel import Channel, SendError
from bot.messages import Choice, Outbound
from bot.records import OutboundRecord
from bot.storage.base import Store
from bot.vault import AddressVault, VaultError

log = logging.getLogger(__name__)


def backoff(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds to wait before try ``attempt + 1``: exponential, full jitter."""
    return random.uniform(base / 2, min(cap, base * 2**attempt))


def message_of(record: OutboundRecord) -> Outbound:
    p = record.payload
    return Outbound(text=str(p.get("text", "")),
                    choices=tuple(Choice(str(k), str(v)) for k, v in p.get("choices", [])),
                    kind=str(p.get("kind", record.kind)),
                    language=str(p.get("language", "en")))


class Dispatcher:
    def __init__(self, store: Store, channels: Mapping[str, Channel], vault: AddressVault,
                 *, max_attempts: int = 8, batch: int = 200) -> None:
        self._store = store
        self._channels = channels
        self._vault = vault
        self._max_attempts = max_attempts
        self._batch = batch
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Send everything due now; returns how many were handled."""
        total = 0
        while True:
            done = await self.run_once()
            total += done
            if done == 0:
                return total

    async def run_once(self) -> int:
        due = await self._store.due_outbound(datetime.now(UTC), self._batch)
        for record in due:
            await self._deliver(record)
        return len(due)

    async def run(self, idle_wait: float = 1.0) -> None:
        """Deliver until :meth:`stop`; sleeps until woken or ``idle_wait`` passes."""
        while not self._stopping:
            self._wake.clear()
            if await self.run_once() == 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), idle_wait)
                except TimeoutError:
                    pass

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _deliver(self, record: OutboundRecord) -> None:
        now = datetime.now(UTC)
        channel = self._channels.get(record.channel)
        if channel is None or record.address_sealed is None:
            await self._store.outbound_failed(record.id, error="channel not available", now=now)
            return
        try:
            address = self._vault.open(record.address_sealed)
        except VaultError:
            await self._store.outbound_failed(record.id, error="address unreadable", now=now)
            return
        try:
            result = await channel.send(address, message_of(record))
        except SendError as exc:
            await self._failed_send(record, exc, now)
            return
        await self._store.outbound_sent(record.id, external_id=result.external_id,
                                        segments=result.segments, now=datetime.now(UTC))

    async def _failed_send(self, record: OutboundRecord, exc: SendError, now: datetime) -> None:
        attempts = record.attempts + 1
        if exc.retryable and attempts < self._max_attempts:
            delay = exc.retry_after if exc.retry_after is not None else backoff(record.attempts)
            await self._store.outbound_retry(record.id, error=exc.reason,
                                             at=now + timedelta(seconds=delay))
            log.warning("send on %s failed (%s), retry %d in %.1fs", record.channel,
                        exc.reason, attempts, delay)
        else:
            await self._store.outbound_failed(record.id, error=exc.reason, now=now)
            log.warning("send on %s failed for good after %d tries: %s", record.channel,
                        attempts, exc.reason)
