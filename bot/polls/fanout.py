"""A poll's fan-out: its due row (kind ``poll_send``) queues its question to the
audience batch by batch, as an advisory's (bot.broadcast.fanout), each in the
resident's language (else the default), with its options as buttons or numbers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.flows.poll import localised, question_text
from bot.i18n.catalogue import language
from bot.storage.polls import PollBatch, PollRow
from bot.storage.ports import DueTimer, Store

__all__ = ["PollFanOut"]

BATCH = 1000
RUN_SECONDS = 1.0


class PollFanOut:
    def __init__(self, store: Store, languages: list[str], default_language: str, *,
                 on_queued: Callable[[], None] = lambda: None,
                 again: Callable[[], None] = lambda: None, batch: int = BATCH) -> None:
        self._store = store
        self._languages = languages
        self._default = default_language
        self._on_queued, self._again, self._batch = on_queued, again, batch

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        poll_id = int(timer.payload.get("id", timer.key))
        started = time.monotonic()
        while True:
            poll = await self._store.poll(poll_id)
            if poll is None or poll.status != "sending":
                return None
            queued = await self._store.fan_out_poll(poll_id, self._batch_of(poll), now)
            if queued == 0:
                await self._store.set_poll_status(poll_id, "open", only_from=("sending",))
                return None
            self._on_queued()
            if time.monotonic() - started >= RUN_SECONDS:
                break
            await asyncio.sleep(0)
        self._again()
        return now

    def _batch_of(self, poll: PollRow) -> PollBatch:
        payloads: dict[str, dict[str, Any]] = {}
        for lang in self._languages:
            with language(lang):
                payloads[lang] = {
                    "text": question_text(poll, lang, self._default), "language": lang,
                    "choices": [[str(n), localised(o, lang, self._default)]
                                for n, o in enumerate(poll.options, 1)]}
        return PollBatch(poll.cursor, self._batch, payloads, payloads[self._default],
                         poll.areas)
