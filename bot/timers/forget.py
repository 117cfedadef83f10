"""Deleting handled messages at the provider, from due rows.

Twilio keeps every message, inbound and sent, with its body and the person's
number, for months, and hands it to anyone with the account's credentials.
So once Sauti has handled an inbound message, and once a sent one is
finished, a ``provider.forget`` timer asks the channel to delete it
(:meth:`~bot.transport.channel.Channel.forget`). The provider's message id is
kept sealed in the timer's payload (with it and the credentials the provider
gives back the number and the text); the timer's key owes nothing to the id:
it is made in order (:class:`ForgetKeys`), so that a grown database adds each
new row beside the last one instead of on a random page of a large index
(docs/performance.md). A delete the provider refuses for now (Twilio's 20009 for a
message it has not finished with, a 5xx, the network) is tried again with the
runner's backoff; one it refuses for good is dropped, and so is the timer of a
channel this worker does not run after a day of tries. Nothing here ever
waits on a conversation: the turn only leaves the row.

Telegram keeps what it keeps: the Bot API has no way to delete a message from
Telegram's servers (``deleteMessage`` only removes it from the chat), so the
README says so and Sauti schedules nothing for it.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta

from bot.domain.records import NewTimer
from bot.outbox.ratelimit import RateLimiter
from bot.privacy.vault import AddressVault, VaultError
from bot.storage.coarse import replay_day, timer_time
from bot.storage.ports import DueTimer
from bot.timers.runner import Abandon
from bot.transport.channel import Channel, SendError, Throttle

__all__ = ["FORGET", "INBOUND_DELAY", "SENT_DELAY", "ForgetAtProvider", "ForgetKeys",
           "forget_later", "forgetting"]

FORGET = "provider.forget"
#: Twilio refuses to delete a message it has not finished with; it asks for a
#: minute after an inbound one. A sent one waits for its delivery to settle.
INBOUND_DELAY = timedelta(minutes=1)
SENT_DELAY = timedelta(minutes=15)
GIVE_UP_AFTER = timedelta(days=2)  # of tries by a worker that lacks the channel
#: deletes a second per channel: housekeeping must not take the CPU and the
#: provider's API from the conversations (a mission's peak inbound is a few a
#: second; a backlog after a burst drains at this rate)
DELETES_PER_SECOND = 10.0


class ForgetKeys:
    """Keys of forget rows in the order they are made: the minute the row is due
    (already in the row), this worker's random tag (workers never collide), a
    counter. They say nothing the row's id and due time do not."""

    __slots__ = ("_count", "_worker")

    def __init__(self) -> None:
        self._worker = secrets.token_hex(4)
        self._count = itertools.count()

    def __call__(self, due_at: datetime) -> str:
        return f"{due_at:%Y%m%dT%H%M}.{self._worker}.{next(self._count):010d}"


def forget_later(channel: str, external_id: str, *, vault: AddressVault,
                 keys: Callable[[datetime], str], now: datetime,
                 delay: timedelta = INBOUND_DELAY) -> NewTimer:
    """The timer that will delete one message at ``channel``'s provider."""
    sealed = vault.seal(external_id).decode("ascii")  # a token is ASCII
    due_at = timer_time(now, delay)
    return NewTimer(FORGET, keys(due_at),
                    {"channel": channel, "sealed": sealed,
                     "since": replay_day(now)},  # the day: no time a turn's rows share
                    due_at)


class ForgetAtProvider:
    """The handler of ``provider.forget`` timers."""

    def __init__(self, channels: Mapping[str, Channel], vault: AddressVault, *,
                 per_second: float = DELETES_PER_SECOND) -> None:
        self._channels = channels
        self._vault = vault
        self._per_second = per_second
        self._limiter = RateLimiter()

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        payload = timer.payload
        try:
            external_id = self._vault.open(str(payload["sealed"]).encode("ascii"))
        except (KeyError, UnicodeEncodeError, VaultError):
            raise Abandon("message id unreadable") from None
        channel = self._channels.get(str(payload.get("channel", "")))
        if channel is None or not channel.forgets_messages:
            since = date.fromisoformat(str(payload.get("since", replay_day(now))))
            if now.date() - since >= GIVE_UP_AFTER:
                raise Abandon("channel not run here")
            raise LookupError("channel not run by this worker")
        await self._limiter.acquire([Throttle(f"forget:{channel.name}", self._per_second)])
        try:
            await channel.forget(external_id)
        except SendError as exc:
            if not exc.retryable:
                raise Abandon(exc.reason) from None
            raise
        return None


def forgetting(channels: Mapping[str, Channel], vault: AddressVault,
               keys: Callable[[datetime], str], delay: timedelta
               ) -> Callable[[str, str, datetime], NewTimer | None]:
    """For a message handled or sent on a channel whose provider keeps messages,
    the timer that deletes it there ``delay`` later; None for the others."""

    def later(channel: str, external_id: str, now: datetime) -> NewTimer | None:
        known = channels.get(channel)
        if known is None or not known.forgets_messages:
            return None
        return forget_later(channel, external_id, vault=vault, keys=keys, now=now,
                            delay=delay)

    return later
