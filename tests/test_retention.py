"""Retention applied, and deleted means gone from the file: two years of invented
history purged through the real app, the database's bytes searched for what
was purged or erased, the file's permissions, ``sauti purge`` as an operator
runs it, and the daily purge of ``sauti serve``."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.storage.sqlite.connection import sqlite_path
from bot.storage.sqlite.retention import KEPT, RULES
from bot.timers import DAILY, PURGE, DailyPurge, TimerRunner, retention_of
from bot.web.service import Service
from tests.conftest import Resident, make_config
from tests.test_cli import run
from tests.test_due_runner import ManualClock

TABLES = ("reports", "outbox", "inbound_seen", "sessions", "contacts")


def database_bytes(config: Config) -> bytes:
    """The database file and its -wal (and -shm), as a thief would copy them."""
    db = sqlite_path(config.storage.url)
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def counts(config: Config) -> dict[str, int]:
    db = sqlite3.connect(sqlite_path(config.storage.url))
    try:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        db.close()


def report_phrase(month: int) -> str:
    return f"zebra-quill-{month:02d}"


def draft_phrase(month: int) -> str:
    return f"heron-lantern-{month:02d}"


async def say(person: Resident, at: datetime, *answers: str) -> datetime:
    """``answers``, a few seconds apart from ``at``; when the last was sent."""
    for answer in answers:
        at += timedelta(seconds=7)
        await person.send(answer, at=at)
    return at


async def test_two_years_of_history_purged_leave_nothing_of_it_in_the_file(
        app: App, config: Config, resident: Callable[[str], Resident]) -> None:
    """Each month one resident files a report and another leaves a draft. The
    store stamps queued replies with its own clock, so the invented history
    runs from today on and the purge comes at its end, two years later."""
    start = datetime.now(UTC)
    moments = {month: start + timedelta(days=30 * month) for month in range(24)}
    for month, at in moments.items():
        at = await say(resident(f"reporter-{month}"), at, "hi", "1", "1", "1",
                       f"Goats taken from the blue well, {report_phrase(month)}", "1", "2", "1")
        await say(resident(f"drafter-{month}"), at, "hi", "1", "1", "2",
                  f"Unsent: a fence cut near the orchard, {draft_phrase(month)}")
    end = start + timedelta(days=730)
    await say(resident("latecomer"), end - timedelta(minutes=5), "hi", "1")
    before = counts(config)
    raw = database_bytes(config)
    for month in moments:  # the search finds what is there
        assert report_phrase(month).encode() in raw and draft_phrase(month).encode() in raw

    removed = await app.store.purge(end, retention_of(config))

    after = counts(config)
    year_ago = end - timedelta(days=365)
    purged_months = [m for m, at in moments.items() if at < year_ago]
    assert len(purged_months) == 13  # months 0 to 12; 13 to 23 are within the year
    assert removed == {"reports": 13, "outbox": before["outbox"],
                       "replay_keys": before["inbound_seen"] - 2,  # the latecomer's, today
                       "sessions": 48, "drafts": 24, "audit": 0, "held": 0}
    assert after == {"reports": before["reports"] - 13, "outbox": 0, "inbound_seen": 2,
                     "sessions": 1, "contacts": before["contacts"]}
    assert before["outbox"] > 24 * 13 and before["inbound_seen"] == 24 * 13 + 2
    raw = database_bytes(config)
    for month in moments:
        assert draft_phrase(month).encode() not in raw, f"draft of month {month} left"
        found = report_phrase(month).encode() in raw
        assert found is (month not in purged_months), f"report of month {month}"
    await app.close()
    raw = database_bytes(config)  # and so it stays once closed
    assert not any(report_phrase(m).encode() in raw for m in purged_months)


async def test_erase_my_data_leaves_none_of_their_words_in_the_file(
        app: App, config: Config, resident: Callable[[str], Resident]) -> None:
    """What erase deletes (here a draft in the session, and its older versions)
    is overwritten in the file and gone from the write-ahead log at once."""
    person, other = resident("amani-invented"), resident("baraka-invented")
    await other.send("hi")
    await other.send("1")
    for answer in ("hi", "1", "1", "1", "Soldiers took the harvest, zinnia-marmot-41"):
        await person.send(answer)
    await person.send("Soldiers took the harvest, zinnia-marmot-41 again")  # re-asked: rewritten
    assert b"zinnia-marmot-41" in database_bytes(config)
    for answer in ("MENU", "5", "1", "1"):
        await person.send(answer)
    assert person.last is not None and "erased" in person.last.text
    wal = sqlite_path(config.storage.url).with_name("sauti.db-wal")
    assert wal.stat().st_size < 64 * 1024  # emptied, then only what came after
    assert b"zinnia-marmot-41" not in database_bytes(config)
    await other.send("2")  # others carry on
    assert b"zinnia-marmot-41" not in database_bytes(config)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that keeps nothing from anyone: the store must not rely on the operator's."""
    old = os.umask(0)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_and_its_directory_are_the_owners_alone(
        tmp_path: Path, open_umask: None) -> None:
    config = make_config(tmp_path / "new" / "place")
    app = await App.open(config)
    try:
        db = sqlite_path(config.storage.url)
        await app.store.schedule("job", "k", {}, datetime.now(UTC))  # a write: -wal, -shm
        assert mode(db.parent) == 0o700
        files = sorted(db.parent.iterdir())
        assert [f.name for f in files] == ["sauti.db", "sauti.db-shm", "sauti.db-wal"]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        await app.close()


async def test_a_database_left_open_to_others_is_closed_to_them(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    db = sqlite_path(config.storage.url)
    sqlite3.connect(db).close()
    db.chmod(0o644)  # as earlier versions created it
    app = await App.open(config)
    await app.close()
    assert mode(db) == 0o600


async def test_every_table_is_under_a_retention_rule_or_kept_for_a_reason(app: App) -> None:
    db = sqlite3.connect(sqlite_path(app.config.storage.url))
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    ruled = {r.table for r in RULES}
    assert tables - ruled - set(KEPT) == set(), "a table nobody decided the retention of"
    assert set(KEPT) <= tables and not ruled & set(KEPT)
    assert {r.table for r in RULES if not r.optional} <= tables


async def test_purge_works_in_small_transactions(
        app: App, config: Config, resident: Callable[[str], Resident]) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=10)
    for n in range(7):
        await resident(f"resident-{n}").send("hi", at=long_ago)
    app.store.purge_chunk = 3  # type: ignore[attr-defined]
    removed = await app.store.purge(datetime.now(UTC), retention_of(config))
    assert (removed["replay_keys"], removed["sessions"]) == (7, 7)
    assert counts(config)["inbound_seen"] == 0


async def test_the_daily_purge_runs_from_its_due_row_and_reschedules_itself(
        app: App, config: Config, resident: Callable[[str], Resident]) -> None:
    """The job ``sauti serve`` runs, under a clock the test moves: it purges at its
    due time, is due again a day later, and each run purges what has aged since."""
    clock = ManualClock(datetime.now(UTC))
    runner = TimerRunner(app.store, clock=clock)
    runner.register(PURGE, DailyPurge(app.store, retention_of(config)))
    runner.keep(PURGE, DAILY)
    await resident("early").send("hi", at=clock.now - timedelta(hours=1))
    assert await runner.run_once() == 1  # due at once in a new database
    assert counts(config)["sessions"] == 0
    await resident("later").send("hi", at=clock.now)
    clock.advance(hours=23)
    assert await runner.run_once() == 0
    assert counts(config)["sessions"] == 1
    clock.advance(hours=1)
    assert await runner.run_once() == 1
    assert counts(config)["sessions"] == 0
    clock.advance(days=3)  # a day missed (the server was off): it runs once, then daily
    assert await runner.run_once() == 1
    assert await runner.run_once() == 0
    db = sqlite3.connect(sqlite_path(config.storage.url))
    rows = db.execute("SELECT kind, key, due_at FROM due").fetchall()
    db.close()
    assert rows == [(PURGE, DAILY, (clock.now + timedelta(days=1)).isoformat())]


async def test_sauti_serve_purges_once_started_and_keeps_the_timer_for_tomorrow(
        config: Config) -> None:
    app = await App.open(config)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    db = sqlite3.connect(sqlite_path(config.storage.url))
    try:
        due: list[tuple[str]] = []
        for _ in range(500):
            due = db.execute("SELECT due_at FROM due WHERE kind = ?", (PURGE,)).fetchall()
            if due and datetime.fromisoformat(due[0][0]) > datetime.now(UTC) + timedelta(hours=23):
                break
            await asyncio.sleep(0.01)
        assert len(due) == 1
        assert datetime.fromisoformat(due[0][0]) > datetime.now(UTC) + timedelta(hours=23)
    finally:
        db.close()
        await service.stop()
        await app.close()


def test_sauti_purge_prints_what_it_removed(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    toml = tmp_path / "config.toml"
    toml.write_text(f'[storage]\nurl = "{config.storage.url}"\n')

    async def history() -> None:
        app = await App.open(config)
        try:
            from tests.conftest import RecordingChannel

            channel = RecordingChannel()
            app.add_channel(channel)
            old = datetime.now(UTC) - timedelta(days=400)
            for answer in ("hi", "1", "1", "1", "Invented: the bridge fell, xylo-corvid-77",
                           "1", "2", "1"):
                old += timedelta(seconds=5)
                await Resident(app, channel, "old-reporter").send(answer, at=old)
            await Resident(app, channel, "today").send("hi")
        finally:
            await app.close()

    missing = run(["purge", "--config", str(toml)], tmp_path)
    assert missing.returncode == 1 and str(sqlite_path(config.storage.url)) in missing.stderr
    assert not sqlite_path(config.storage.url).exists()  # a purge creates no database
    asyncio.run(history())
    done = run(["purge", "--config", str(toml)], tmp_path)
    assert done.returncode == 0, done.stderr
    printed = dict(line.split(": ") for line in done.stdout.splitlines())
    assert printed == {"reports": "1", "outbox": "0", "replay_keys": "8", "sessions": "1",
                       "drafts": "0", "audit": "0", "held": "0"}
    assert "xylo-corvid" not in done.stdout + done.stderr
    assert counts(config)["reports"] == 0
    again = run(["purge", "--json", "--config", str(toml)], tmp_path)
    assert again.returncode == 0
    assert json.loads(again.stdout) == {"reports": 0, "outbox": 0, "replay_keys": 0,
                                        "sessions": 0, "drafts": 0, "audit": 0, "held": 0}
