"""The contact row is rewritten when the contact changes or its last-message
time is a minute old, not on every answer of a conversation (one row fewer per
turn); what is stored, and what a fresh process loads, stays right."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.config import Config
from bot.conversation.commit import CONTACT_TOUCH
from bot.storage.coarse import contact_time
from bot.storage.sqlite.connection import ts
from tests.conftest import RecordingChannel, Resident

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def minute(moment: datetime) -> str:
    """A contact's time as stored: to the minute, rounded down."""
    return ts(contact_time(moment))


def row(config: Config) -> tuple[str | None, int, str, str]:
    """The one contact row, read from the file by a separate connection."""
    path = Path(config.storage.url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT language, opted_out, created_at, last_inbound_at"
                          " FROM contacts").fetchall()
    assert len(rows) == 1
    return rows[0]


async def test_quick_answers_leave_the_contact_row_alone(app: App, resident, config) -> None:
    r = resident("+243810000301")
    assert "Choose your language" in await r.send("hello", at=T0)
    assert "What would you like to do?" in await r.send("1", at=T0 + timedelta(seconds=5))
    assert "Choose your language" in await r.send("4", at=T0 + timedelta(seconds=20))
    assert row(config) == ("en", 0, ts(T0), ts(T0))
    later = T0 + CONTACT_TOUCH + timedelta(seconds=1)
    assert "What would you like to do?" in await r.send("1", at=later)
    assert row(config) == ("en", 0, ts(T0), minute(later))


async def test_a_change_is_written_at_once(app: App, resident, config) -> None:
    r = resident("+243810000302")
    await r.send("hello", at=T0)
    await r.send("1", at=T0 + timedelta(seconds=2))
    await r.send("4", at=T0 + timedelta(seconds=4))
    french = T0 + timedelta(seconds=6)
    assert "Langue" in await r.send("2", at=french)
    assert row(config) == ("fr", 0, ts(T0), minute(french))
    stop = T0 + timedelta(seconds=8)
    await r.send("STOP", at=stop)
    assert row(config) == ("fr", 1, ts(T0), minute(stop))


async def test_a_new_process_carries_on_from_the_stored_row(config: Config) -> None:
    first = await App.open(config)
    channel = RecordingChannel()
    first.add_channel(channel)
    r = Resident(first, channel, "+243810000303")
    await r.send("hello", at=T0)
    await r.send("1", at=T0 + timedelta(seconds=3))
    await r.send("4", at=T0 + timedelta(seconds=6))  # now at the language menu
    await first.close()

    second = await App.open(config)
    second.add_channel(channel)
    r2 = Resident(second, channel, "+243810000303")
    reply = await r2.send("2", at=T0 + timedelta(seconds=9))
    assert "Langue" in reply  # the session went on from the language menu
    assert row(config) == ("fr", 0, ts(T0), minute(T0 + timedelta(seconds=9)))
    await second.close()
