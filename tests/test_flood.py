"""Flood control: a sender past their burst is answered once, politely, and
their messages are held (redacted, unlinked, copies collapsed) for moderators;
keywords still work; the next minute lets them through again. The bucket is
in the store, so a restarted (or another) worker keeps it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.conversation.flood import Bucket
from bot.desk.api import Actor
from tests.conftest import RecordingChannel, Resident, make_config

T0 = datetime(2026, 12, 3, 9, 0, 5, tzinfo=UTC)
AMINA = Actor("Amina", frozenset({"moderator"}))
POLITE = "You are sending many messages"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, bot={"flood_burst": 5, "flood_per_minute": 3},
                       staff=[{"name": "Amina", "roles": ["moderator"],
                               "console_user": "amina"}])


async def flood(r: Resident, texts: list[str], at: datetime) -> list[str]:
    return [await r.send(t, at=at) for t in texts]


def test_the_bucket_refills_each_minute_up_to_the_burst() -> None:
    bucket = Bucket(1, 100)
    ok, bucket = bucket.take(100, 5, 3)
    assert ok and bucket.tokens == 0
    ok, bucket = bucket.take(100, 5, 3)
    assert not ok and bucket.held == 1
    ok, bucket = bucket.take(101, 5, 3)  # a new minute: three more
    assert ok and bucket == Bucket(2, 101)
    ok, bucket = bucket.take(200, 5, 3)  # never more than the burst
    assert ok and bucket.tokens == 4
    assert Bucket.of("garbage", 7, 5) == Bucket(5, 7)
    assert Bucket.of([99, 7, -3], 7, 5) == Bucket(5, 7, 0)


async def test_a_flood_is_answered_once_and_held_for_moderators(
        app: App, config: Config, resident: Callable[[str], Resident]) -> None:
    r = resident("+243810000551")
    await r.send("hello", at=T0)  # greeted: a first message is never held
    await r.send("1", at=T0)  # English
    answered = await flood(r, ["9", "9", "9", "9"], T0)  # five tokens, "1" took one
    assert all(a for a in answered) and not any(POLITE in a for a in answered)
    held = await flood(r, ["call me on 0810000999 !!!", "call me on 0810000999 !!!",
                           "BUY NOW", "call me on 0810000999 !!!"], T0)
    assert POLITE in held[0] and held[1:] == ["", "", ""]  # one answer, then silence
    page = await app.desk.held(AMINA)
    assert page.total == 2
    rows = {h.text: h for h in page.items}
    assert rows["call me on [phone] !!!"].copies == 3 and rows["BUY NOW"].copies == 1
    assert all(h.channel == "console" and h.language == "en" for h in page.items)
    # a keyword always works, and takes no token
    assert "What would you like to do?" in await r.send("MENU", at=T0)
    # a new minute: three more go through, and the next spell is answered once again
    later = T0 + timedelta(minutes=1)
    assert await r.send("hello again", at=later) == "Please reply 1-5."  # through: answered
    await flood(r, ["9", "9"], later)
    assert POLITE in await r.send("9", at=later)
    db = sqlite3.connect(Path(app.config.storage.url.removeprefix("sqlite:///")))
    stored = b"".join(str(row).encode() for row in db.execute("SELECT * FROM held"))
    db.close()
    assert b"0810000999" not in stored and b"+243810000551" not in stored


async def test_moderators_read_held_messages_in_chat(
        app: App, config: Config, resident: Callable[[str], Resident],
        channel: RecordingChannel) -> None:
    r = resident("+243810000552")
    await r.send("hi", at=T0)
    await flood(r, ["spam spam"] * 8, T0)
    moderator = Resident(app, channel, "amina")
    await moderator.send("hello", at=T0)
    await moderator.send("1", at=T0)
    listed = await moderator.send("/queue held", at=T0)
    assert "3× · console · en" in listed and "spam spam" in listed  # 8 sent, 5 let through
    assert "1-1 of 1." in listed


async def test_the_bucket_survives_a_restart(config: Config) -> None:
    first = await App.open(config)
    channel = RecordingChannel()
    first.add_channel(channel)
    r = Resident(first, channel, "+243810000553")
    await r.send("hi", at=T0)
    await flood(r, ["9"] * 5, T0)
    await first.close()
    second = await App.open(config)
    second.add_channel(channel)
    again = Resident(second, channel, "+243810000553")
    assert POLITE in await again.send("9", at=T0)
    await second.close()
