"""``/advisory`` in chat: guided (areas, severity, a text per language, a preview
with the audience and who gets the default language, confirm), its progress
with ``/advisory ID``; ``/cancel`` leaves it; only the ``staff`` role may."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.broadcast.fanout import FanOut
from bot.storage.broadcast import BROADCAST
from bot.timers import TimerRunner
from tests.conftest import RecordingChannel, Resident, make_config


@pytest.fixture
async def chat_app(tmp_path: Path) -> AsyncIterator[App]:
    app = await App.open(make_config(tmp_path, staff=[
        {"name": "Chantal", "roles": ["staff"], "console_user": "chantal"},
        {"name": "Amina", "roles": ["moderator"], "console_user": "amina"}]))
    app.add_channel(RecordingChannel())
    yield app
    await app.close()


async def person(app: App, who: str, lang: str = "1") -> Resident:
    r = Resident(app, app.channels["console"], who)  # type: ignore[arg-type]
    await r.send("hello")
    await r.send(lang)
    return r


async def subscribed(app: App, who: str, lang: str, area: str) -> None:
    r = await person(app, who, lang)
    for text in ("2", "1", area):
        await r.send(text)


async def test_staff_send_an_advisory_step_by_step_and_follow_it(chat_app: App) -> None:
    await subscribed(chat_app, "en-goma", "1", "1")
    await subscribed(chat_app, "fr-bukavu", "2", "2")
    staff = await person(chat_app, "chantal")
    asked = await staff.send("/advisory")
    assert asked.startswith("New advisory. Which areas?") and "1. Goma" in asked
    assert "No area 9." in await staff.send("1 9")  # asked again
    assert "How serious?" in await staff.send("1, 2")
    assert "Its text in English?" in await staff.send("2")
    french = await staff.send("The road to Sake is closed")
    assert "Its text in Français? Send - to skip" in french
    preview = await staff.send("-")
    assert "Warning to Goma, Bukavu: 2 residents (console 2)." in preview
    assert "1 of them gets it in English: no text in theirs." in preview
    assert "en: The road to Sake is closed" in preview and "1. Send" in preview
    sent = await staff.send("1")
    assert sent.startswith("Advisory 1 is going out.")
    assert "Advisory 1 (scheduled) to bukavu, goma: 0 queued" in await staff.send("/advisory 1")
    runner = TimerRunner(chat_app.store, clock=lambda: datetime.now(UTC) + timedelta(seconds=1))
    runner.register(BROADCAST, FanOut(chat_app.store, "en"))
    while await runner.run_once():
        pass
    assert "Advisory 1 (sent) to bukavu, goma: 2 queued" in await staff.send("/advisory 1")
    assert await staff.send("/advisory 7") == "No advisory 7."
    audit = [(r.actor, r.action) for r in await chat_app.store.audit_rows()]
    assert ("Chantal", "advisory_send") in audit


async def test_cancel_leaves_it_and_a_moderator_may_not(chat_app: App) -> None:
    staff = await person(chat_app, "chantal")
    await staff.send("/advisory")
    await staff.send("1")
    assert await staff.send("/cancel") == "Cancelled."
    assert "What would you like to do?" in await staff.send("MENU")
    assert await chat_app.store.advisories() == []
    moderator = await person(chat_app, "amina")
    answer = await moderator.send("/advisory")
    assert "New advisory" not in answer  # answered as unknown input
    assert await chat_app.store.advisories() == []


async def test_staff_ask_a_poll_step_by_step(tmp_path: Path) -> None:
    app = await App.open(make_config(tmp_path, staff=[
        {"name": "Chantal", "roles": ["staff"], "console_user": "chantal"}]))
    app.add_channel(RecordingChannel())
    try:
        await subscribed(app, "voter", "1", "1")
        staff = await person(app, "chantal")
        asked = await staff.send("/poll")
        assert asked.startswith("New poll. Its question in English, then its options")
        assert "then 2-9 options" in await staff.send("Is the road open?\nYes")
        french = await staff.send("Is the road open?\nYes\nNo\nNot sure")
        assert "The same in Français" in french
        assert "then 3 options" in await staff.send("La route est-elle ouverte ?\nOui\nNon")
        assert "For which areas?" in await staff.send(
            "La route est-elle ouverte ?\nOui\nNon\nJe ne sais pas")
        assert "Close it when?" in await staff.send("1")
        assert (await staff.send("yesterday")).startswith("Send hours (48)")
        assert (await staff.send("2001-01-01 08:00")).startswith("Send hours (48)")  # past
        assert (await staff.send("-48")).startswith("Send hours (48)")
        preview = await staff.send("48")
        assert preview.startswith("Is the road open?\n1. Yes\n2. No\n3. Not sure\nTo: Goma.")
        assert "\nCloses: " in preview
        done = await staff.send("1")
        assert done.startswith("Poll 1 is going out. /results 1 shows its answers.")
        poll = await app.store.poll(1)
        assert poll is not None and poll.status == "sending" and poll.areas == ("goma",)
        assert poll.options[2] == {"en": "Not sure", "fr": "Je ne sais pas"}
        assert poll.created_by == "Chantal" and poll.closes_at is not None
        assert timedelta(hours=47) < poll.closes_at - poll.created_at <= timedelta(hours=48)
    finally:
        await app.close()


def test_a_closing_time_is_hours_a_local_time_or_none() -> None:
    from zoneinfo import ZoneInfo

    from bot.polls.chat import closing_time

    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert closing_time("0", now, "Africa/Kinshasa") is None
    assert closing_time(" - ", now, "Africa/Kinshasa") is None
    assert closing_time("48", now, "Africa/Kinshasa") == now + timedelta(hours=48)
    assert closing_time("6h", now, "Africa/Kinshasa") == now + timedelta(hours=6)
    local = closing_time("2026-12-24 18:00", now, "Africa/Kinshasa")
    assert local == datetime(2026, 12, 24, 18, 0, tzinfo=ZoneInfo("Africa/Kinshasa"))
    assert local == datetime(2026, 12, 24, 17, 0, tzinfo=UTC)  # Kinshasa is UTC+1
    for bad in ("", "soon", "2026-12-03 10:00", "2026-12-02 12:00", "99999", "-3",
                "2027-12-24 18:00"):  # the last: over 90 days
        assert closing_time(bad, now, "Africa/Kinshasa") == "bad", bad
