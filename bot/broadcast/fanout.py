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

import logging
from collections.abc import Callable
from datetime import datetime

from bot.broadcast.texts import PRIORITY, advisory_text, text_language
from bot.domain.records import NewOutbound
from bot.i18n.catalogue import language
from bot.storage.broadcast import AdvisoryRow, Recipient
from bot.storage.ports import DueTimer, Store

__all__ = ["AdvisoryEnd", "FanOut"]

log = logging.getLogger(__name__)
BATCH = 5000


class FanOut:
    """The handler of ``broadcast`` due rows (bot.timers.TimerRunner)."""

    def __init__(self, store: Store, default_language: str, *,
                 on_queued: Callable[[], None] = lambda: None,
                 again: Callable[[], None] = lambda: None, batch: int = BATCH) -> None:
        self._store = store
        self._default = default_language
        self._on_queued = on_queued  # the dispatcher's wake-up
        self._again = again  # the timer runner's: the next batch is due at once
        self._batch = batch

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        advisory_id = int(timer.payload.get("id", timer.key))
        adv = await self._store.advisory(advisory_id, progress=False)
        if adv is None or adv.status not in ("scheduled", "sending"):
            return None  # cancelled, expired, or done
        if adv.expires_at is not None and now >= adv.expires_at:
            await self._store.drop_broadcast(advisory_id, "expired", "expired")
            return None
        audience = await self._store.audience(adv.areas, adv.channels, after=adv.cursor,
                                              limit=self._batch)
        if not audience:
            await self._store.set_advisory_status(advisory_id, "sent",
                                                  only_from=("scheduled", "sending"))
            log.info("advisory %d: fanned out to %d", advisory_id, adv.audience)
            return None
        rows = self._rows(adv, audience)
        if not await self._store.queue_broadcast(advisory_id, rows, cursor=adv.cursor,
                                                 to=audience[-1].order):
            log.info("advisory %d: a batch was queued elsewhere or it stopped", advisory_id)
        self._on_queued()
        self._again()
        return now

    def _rows(self, adv: AdvisoryRow, audience: list[Recipient]) -> list[NewOutbound]:
        texts: dict[str, str] = {}  # language -> the message, rendered once each
        rows = []
        priority = PRIORITY.get(adv.severity, 0)
        for r in audience:
            lang = text_language(adv.texts, r.language, self._default)
            if lang not in texts:
                with language(lang):
                    texts[lang] = advisory_text(adv.severity, adv.texts[lang])
            payload: dict[str, object] = {"text": texts[lang], "language": lang,
                                          "choices": []}
            if adv.expires_at is not None:
                payload["expires"] = adv.expires_at.isoformat()
            rows.append(NewOutbound(r.contact_id, r.channel, r.address_sealed, "advisory",
                                    payload, priority=priority))
        return rows


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
