"""Retention as a daily due row: the purge ``sauti serve`` runs, and how long
each kind of row is kept (``sauti purge`` applies the same, at once).

Replay keys (``inbound_seen``) are kept :data:`REPLAY_WINDOW`, two days. They
exist so that a provider's redelivery of a message already handled is handled
once; no provider redelivers past a day. Telegram keeps an update it could not
deliver, or that the bot did not confirm, for at most 24 hours, whether by
webhook or ``getUpdates``; Twilio retries a webhook only within its total
time-out of 15 seconds (``rc``, at most 5 retries). Keys are kept to the day
(a key goes once its whole day is two days past), so a key lives two to three
days: a margin over Telegram's day for clocks and for a bot that was down.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.config import Config
from bot.storage.ports import DueTimer, Retention, RetentionStore

log = logging.getLogger(__name__)
PURGE = "retention.purge"
DAILY = "daily"  # the key of the one purge timer
REPLAY_WINDOW = timedelta(days=2)
EVERY = timedelta(days=1)


def retention_of(config: Config) -> Retention:
    """How long rows are kept under ``config``: ``privacy.retention_days`` for
    records, the session time-out for sessions and their drafts."""
    return Retention(records=timedelta(days=config.privacy.retention_days),
                     replay_keys=REPLAY_WINDOW,
                     sessions=timedelta(minutes=config.bot.session_timeout_minutes))


def described(removed: dict[str, int]) -> str:
    """Counts per kind, for a log line or the terminal: never any row's content."""
    return ", ".join(f"{kind} {count}" for kind, count in removed.items())


class DailyPurge:
    """The handler of the purge timer: purge at the timer's moment, say what went,
    and be due again a day later (the row reschedules itself)."""

    def __init__(self, store: RetentionStore, retention: Retention,
                 every: timedelta = EVERY) -> None:
        self._store = store
        self._retention = retention
        self._every = every

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime:
        removed = await self._store.purge(now, self._retention)
        log.info("retention: purged %s", described(removed))
        return now + self._every
