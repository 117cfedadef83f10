"""The store as the outbox finds it: answering, or in a spell of errors.

A spell begins with the first claim, renewal or mark that fails, and ends
once every one that failed has gone through since: a lock held by an
operator's ``sqlite3`` session, a full disk, a backup. It is logged when it
begins and when it ends, not at every try, and ``/healthz`` and
``sauti_store_up`` show it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.outbox.clock import Clock
from bot.outbox.retries import describe

__all__ = ["RETRY_BASE_SECONDS", "RETRY_MAX_SECONDS", "Abandoned", "StoreWatch", "Tries",
           "retry_in"]

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_BASE_SECONDS = 0.25
RETRY_MAX_SECONDS = 10.0  # the longest a store that answers again waits to be used


def retry_in(failures: int) -> float:
    """Seconds before trying the store again after ``failures`` failures in a row."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2.0 ** max(0, failures - 1))


class Abandoned(Exception):
    """A write the store would not take before a stop's grace ran out."""


@dataclass(slots=True)
class _Spell:
    began: datetime
    error: str  # the first failure's type and code
    doing: str
    failures: int = 1
    ended: datetime | None = None

    def view(self) -> dict[str, Any]:
        seen: dict[str, Any] = {"began": self.began.isoformat(), "error": self.error,
                                "doing": self.doing, "failures": self.failures}
        if self.ended is not None:
            seen["ended"] = self.ended.isoformat()
        return seen


class StoreWatch:
    """Callers report the first failure of a run (:meth:`failed`), the next ones
    (:meth:`again`), and the end of the run (:meth:`cleared`); anything that went
    through says :meth:`ok`."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._failing = 0  # callers whose last try failed
        self._spell: _Spell | None = None
        self._last: _Spell | None = None
        self._since = clock.now()

    @property
    def up(self) -> bool:
        return self._spell is None

    def failed(self, exc: BaseException, doing: str) -> None:
        """A caller's try failed after its last one went through."""
        self._failing += 1
        if self._spell is not None:
            self._spell.failures += 1
            return
        now = self._clock.now()
        self._spell = _Spell(now, describe(exc), doing)
        self._since = now
        log.error("store unavailable (%s, %s): the outbox keeps what it holds and tries "
                  "again", self._spell.error, doing)

    def again(self) -> None:
        """The same caller failed once more."""
        if self._spell is not None:
            self._spell.failures += 1

    def cleared(self, *, succeeded: bool) -> None:
        """A caller's run of failures is over: it went through, or gave up."""
        self._failing = max(0, self._failing - 1)
        if succeeded:
            self.ok()

    def ok(self) -> None:
        """Something went through: the spell is over once nobody is failing."""
        spell = self._spell
        if spell is None or self._failing:
            return
        spell.ended = self._since = self._clock.now()
        self._spell, self._last = None, spell
        log.warning("store answering again after %.1fs (%d failed tries)",
                    (spell.ended - spell.began).total_seconds(), spell.failures)

    def view(self) -> dict[str, Any]:
        """For ``/healthz``: ``state`` ("up" or "down") and ``since`` when, the
        spell under way (``down``) or the last one (``last_down``)."""
        seen: dict[str, Any] = {"state": "up" if self.up else "down",
                                "since": self._since.isoformat()}
        if self._spell is not None:
            seen["down"] = self._spell.view()
        elif self._last is not None:
            seen["last_down"] = self._last.view()
        return seen

    async def persist(self, doing: str, write: Callable[[], Awaitable[T]],
                      grace: Callable[[], float | None]) -> T:
        """``write``, tried again with backoff until it goes through; once
        ``grace()`` gives the seconds a stop still waits, no longer than that
        (then :class:`Abandoned`)."""
        tries = Tries(self, doing)
        try:
            while True:
                try:
                    result = await write()
                except Exception as exc:
                    delay, left = tries.failed(exc), grace()
                    if left is not None:
                        if left <= 0:
                            raise Abandoned from None
                        delay = min(delay, left)
                    await self._clock.sleep(delay)
                    continue
                tries.worked()
                return result
        finally:
            tries.end()


class Tries:
    """One caller's run of failed tries at the store: the first opens the spell
    (or joins the one under way), the next count in it, and the run's end, by a
    try that went through or by giving up, clears its share."""

    __slots__ = ("_doing", "_watch", "failures")

    def __init__(self, watch: StoreWatch, doing: str) -> None:
        self._watch, self._doing, self.failures = watch, doing, 0

    def failed(self, exc: BaseException) -> float:
        """Count a failed try; the seconds to wait before the next."""
        self.failures += 1
        if self.failures == 1:
            self._watch.failed(exc, self._doing)
        else:
            self._watch.again()
        return retry_in(self.failures)

    def worked(self) -> None:
        if self.failures:
            self.failures = 0
            self._watch.cleared(succeeded=True)
        else:
            self._watch.ok()

    def end(self) -> None:
        """The caller stops trying (a failure still counted is given up)."""
        if self.failures:
            self.failures = 0
            self._watch.cleared(succeeded=False)
