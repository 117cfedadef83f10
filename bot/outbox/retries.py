"""When a failed send is tried again, what a channel's failures say about it,
and how the outbox names an error in its logs.

A message's own failure (a 5xx, a time-out, a dropped connection) spends one of
its ``outbox.max_attempts`` tries; the waits between them grow from
``retry_base_seconds`` by a ratio chosen so that together they last at least
``retry_max_seconds``: an outage of that long loses nothing. Such failures also
make the channel *degraded*: the sends behind wait a moment each time, so a
failing provider is probed, not flooded. A channel *down* (out of reach, or
refusing the bot's own credentials) spends no tries at all (see
:meth:`ChannelSpells.down`).
"""

from __future__ import annotations

import random
import re
import traceback
from functools import lru_cache
from pathlib import Path

from bot.outbox.clock import Clock
from bot.storage.ports import StoreError
from bot.transport.channel import SendError

__all__ = ["ChannelSpells", "backoff", "describe", "reason_code", "spread", "where"]

_STORE_CODE = re.compile(r"\(([A-Za-z][A-Za-z0-9_]*)\)$")


def backoff(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds to wait before try ``attempt + 1``: exponential, with jitter
    (a channel connecting in the background)."""
    return random.uniform(base / 2, min(cap, base * 2**attempt))


def spread(attempt: int, tries: int, base: float, span: float) -> float:
    """Seconds to wait before try ``attempt + 2`` once try ``attempt + 1`` failed.

    The waits grow from ``base`` at least twofold, by the ratio that makes the
    ``tries - 1`` waits of a message add up to ``span``; jitter only lengthens
    them, and none is longer than ``span``."""
    waits = max(1, tries - 1)
    if waits == 1:
        return max(base, span)
    wait: float = base * _ratio(waits, base, span) ** attempt
    return min(span, wait * random.uniform(1.0, 1.25))


@lru_cache(maxsize=32)
def _ratio(waits: int, base: float, span: float) -> float:
    """The smallest ratio r >= 2 with base * (1 + r + ... + r**(waits - 1)) >= span."""

    def total(r: float) -> float:
        return base * sum(float(r**k) for k in range(waits))

    low = 2.0
    if total(low) >= span:
        return low
    high = max(low, float((span / base) ** (1 / (waits - 1)))) + 1
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if total(middle) < span else (low, middle)
    return high


def reason_code(reason: str) -> str:
    """The part of a send error's reason before any ":" (a provider's code, or a
    kind of failure): what logs and metric labels show of it."""
    return reason.split(":")[0][:40]


def describe(exc: BaseException) -> str:
    """An exception as the outbox logs it: its type and, when it has one, the
    provider's or the database's code. Never its message, which may quote a
    number or a text."""
    name = type(exc).__name__
    if isinstance(exc, SendError):
        return f"{name} {reason_code(exc.reason)}"
    if isinstance(exc, StoreError):
        found = _STORE_CODE.search(str(exc))
        return f"{name} {found.group(1)}" if found else name
    return name


def where(exc: BaseException) -> str:
    """Where ``exc`` was raised (file, line, function): a bug's address, safe to log."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


class ChannelSpells:
    """Channels the sends find *down* (out of reach, credentials refused) or
    *degraded* (answering, but failing), since when; a send that goes through
    ends both."""

    def __init__(self, clock: Clock, base: float, longest: float) -> None:
        self._clock = clock
        self._base, self._longest = base, longest
        self._down: dict[str, tuple[float, float]] = {}  # first found down, last
        self._degraded: dict[str, float] = {}  # last failure

    def down(self, channel: str) -> tuple[float, float]:
        """A send found ``channel`` down: how long it has been (seconds), and how
        long to wait: about as long, from ``base`` up to ``longest``, with
        jitter. A spell with nothing tried for longer than ``longest`` is over."""
        clock = self._clock.monotonic()
        since, last = self._down.get(channel, (clock, clock))
        if clock - last > self._longest:
            since = clock
        self._down[channel] = (since, clock)
        down_for = clock - since
        return down_for, random.uniform(0.5, 1) * min(self._longest,
                                                      max(self._base, down_for))

    def degraded(self, channel: str) -> float:
        """A send on ``channel`` failed though the provider answered (5xx, a
        time-out): how long the sends behind it wait (a moment: the failing
        message's own retry is spread, see :func:`spread`)."""
        self._degraded[channel] = self._clock.monotonic()
        return random.uniform(0.5, 1) * self._base

    def ok(self, channel: str) -> None:
        self._down.pop(channel, None)
        self._degraded.pop(channel, None)

    def state(self, channel: str) -> str:
        """"down", "degraded" (within ``longest`` of the last such failure, with
        nothing sent since) or "up"."""
        clock = self._clock.monotonic()
        spell = self._down.get(channel)
        if spell is not None and clock - spell[1] <= self._longest:
            return "down"
        failed = self._degraded.get(channel)
        if failed is not None and clock - failed <= self._longest:
            return "degraded"
        return "up"
