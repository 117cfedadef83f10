"""Stored moments: ``ts`` must give exactly what isoformat gives (rows already
stored are compared and sorted as text against new ones)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from bot.storage.sqlite.connection import ts


def test_ts_is_isoformat_in_utc() -> None:
    rng = random.Random(7)
    start = datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC)
    moments = [start + timedelta(microseconds=rng.randrange(4_000_000)) for _ in range(2000)]
    moments += [start.replace(microsecond=0), datetime(1, 1, 1, tzinfo=UTC),
                datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=UTC),
                datetime(2026, 3, 1, 2, 30, tzinfo=timezone(timedelta(hours=3)))]
    rng.shuffle(moments)
    for moment in moments + sorted(moments):
        assert ts(moment) == moment.astimezone(UTC).isoformat(timespec="microseconds")


def test_ts_sorts_as_time() -> None:
    base = datetime(2026, 11, 29, 12, 0, 59, 999_999, tzinfo=UTC)
    moments = [base + timedelta(microseconds=n) for n in (-1, 0, 1, 2, 1_000_000)]
    assert sorted(moments, key=ts) == moments
    assert ts(base) < ts(base + timedelta(microseconds=1)) < ts(base + timedelta(seconds=1))
