"""Stored moments: ISO 8601 text in UTC that sorts as the moments do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.storage.sqlite.connection import ts


def test_ts_is_iso_8601_in_utc_to_the_microsecond() -> None:
    """Rows already stored are compared and sorted as text against new ones."""
    assert ts(datetime(2026, 12, 31, 23, 59, 59, 5, tzinfo=UTC)) == \
        "2026-12-31T23:59:59.000005+00:00"
    assert ts(datetime(2027, 1, 1, 2, 30, tzinfo=timezone(timedelta(hours=3)))) == \
        "2026-12-31T23:30:00.000000+00:00"  # another zone: the same moment in UTC
    assert ts(datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=UTC)) == "0999-05-06T07:08:09.000010+00:00"


def test_ts_sorts_as_time() -> None:
    base = datetime(2026, 11, 29, 12, 0, 59, 999_999, tzinfo=UTC)
    moments = [base + timedelta(microseconds=n) for n in (-1, 0, 1, 2, 1_000_000)]
    assert sorted(moments, key=ts) == moments
    assert ts(base) < ts(base + timedelta(microseconds=1)) < ts(base + timedelta(seconds=1))
