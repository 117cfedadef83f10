"""Timers as due rows: the runner, and the jobs ``sauti serve`` keeps (the daily purge)."""

from __future__ import annotations

from bot.timers.retention import DAILY, PURGE, DailyPurge, retention_of
from bot.timers.runner import Abandon, Clock, Handler, TimerRunner, utc_now

__all__ = ["DAILY", "PURGE", "Abandon", "Clock", "DailyPurge", "Handler", "TimerRunner",
           "retention_of", "utc_now"]
