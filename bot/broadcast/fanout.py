"""The fan-out of an advisory: its due row (kind ``broadcast``) run by the timer
runner, one batch of outbox rows a run, due again at once until its audience is
done; and the row at its expiry (kind ``advisory_end``) that drops what has not
gone.

Each batch and the cursor it moves are one transaction
(:meth:`~bot.storage.broadcast.BroadcastStore.queue_broadcast`), so a worker
killed mid-broadcast leaves the row to run again from where the last batch
ended: nobody is queued twice, nobody is skipped. Residents subscribed to two of
its areas get it once; those who opted out or erased their data are not in its
audience; each gets it in their own language, else the mission's default.
Sending then follows each channel's rate, replies to residents first.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.broadcast.texts import PRIORITY, advisory_text, text_language
from bot.i18n.catalogue import language
from bot.storage.broadcast import AdvisoryRow, Batch
from bot.storage.ports import DueTimer, Store

__all__ = ["AdvisoryEnd", "FanOut"]

log = logging.getLogger(__name__)
BATCH = 1000  # rows a transaction: the writer is held a few milliseconds at a time
RUN_SECONDS = 1.0  # batches one claim of the due row runs, at most this long


class FanOut:
    """The handler of ``broadcast`` due rows (bot.timers.TimerRunner)."""

    def __init__(self, store: Store, default_language: str, *,
                 on_queued: Callable[[], None] = lambda: None,
                 again: Callable[[], None] = lambda: None, batch: int = BATCH,
                 runs: int = 1_000_000) -> None:
        self._store = store
        self._default = default_language
        self._on_queued = on_queued  # the dispatcher's wake-up
        self._again = again  # the timer runner's: the next batch is due at once
        self._batch = batch
        self._runs = runs  # batches a claim runs at most (tests: one)

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        """Batches for up to ``RUN_SECONDS``, each its own transaction with the
        event loop free in between (webhooks keep their latency), then due again."""
        advisory_id = int(timer.payload.get("id", timer.key))
        started = time.monotonic()
        for done in itertools.count():
            adv = await self._store.advisory(advisory_id, progress=False)
            if adv is None or adv.status not in ("scheduled", "sending"):
                return None  # cancelled, expired, or done
            if adv.expires_at is not None and now >= adv.expires_at:
                await self._store.drop_broadcast(advisory_id, "expired", "expired")
                return None
            queued = await self._store.fan_out(advisory_id, self._batch_of(adv))
            if queued == 0:
                await self._store.set_advisory_status(advisory_id, "sent",
                                                      only_from=("scheduled", "sending"))
                log.info("advisory %d: fanned out to %d", advisory_id, adv.audience)
                return None
            if queued is None:
                log.info("advisory %d: a batch was queued elsewhere or it stopped",
                         advisory_id)
            self._on_queued()
            if done + 1 >= self._runs or time.monotonic() - started >= RUN_SECONDS:
                break
            await asyncio.sleep(0)  # whatever waits on the loop goes first
        self._again()
        return now

    def _batch_of(self, adv: AdvisoryRow) -> Batch:
        """What each language's residents read: their text, else the default's."""
        payloads: dict[str, dict[str, Any]] = {}
        for lang in adv.texts:
            with language(lang):
                payload: dict[str, Any] = {"text": advisory_text(adv.severity, adv.texts[lang]),
                                           "language": lang, "choices": []}
            if adv.expires_at is not None:
                payload["expires"] = adv.expires_at.isoformat()
            payloads[lang] = payload
        fallback = payloads[text_language(adv.texts, None, self._default)]
        return Batch(adv.cursor, self._batch, payloads, fallback,
                     PRIORITY.get(adv.severity, 0), adv.areas, adv.channels)


class AdvisoryEnd:
    """The handler of ``advisory_end`` due rows: at its expiry, an advisory's
    messages not sent yet are dropped, with that reason, never sent late."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        advisory_id = int(timer.payload.get("id", timer.key))
        dropped = await self._store.drop_broadcast(advisory_id, "expired", "expired")
        if dropped:
            log.info("advisory %d expired: %d messages dropped", advisory_id, dropped)
        return None
