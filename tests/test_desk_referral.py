"""The referral clock of sensitive reports, on an injected clock: a due row
left when the report is filed, sensitive moderators warned before and at the
deadline through the outbox to their staff identity, the clock stopped by a
referral."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.desk.api import Actor
from bot.desk.referral import REFERRAL, ReferralClock
from bot.outbox.payload import message_of
from bot.timers import TimerRunner
from tests.conftest import RecordingChannel, Resident, make_config

FILED = datetime(2026, 11, 20, 8, 0, 5, tzinfo=UTC)
ZAWADI = Actor("Zawadi", frozenset({"moderator", "sensitive"}))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(
        tmp_path,
        moderation={"sensitive_referral_hours": 24},
        staff=[{"name": "Amina", "roles": ["moderator"], "telegram_user_id": 1111},
               {"name": "Zawadi", "roles": ["moderator", "sensitive"],
                "telegram_user_id": 4242},
               {"name": "Baraka", "roles": ["moderator", "sensitive"],
                "phone": "+243810000009"}],
        partners=[{"code": "hcr", "name": "Protection cluster"}])


async def sensitive_report(r: Resident) -> str:
    await r.send("hello", at=FILED)
    await r.send("1", at=FILED)
    for text in ("1", "5", "A staff member asked for money", "1", "2"):
        await r.send(text, at=FILED)
    done = await r.send("1", at=FILED)
    return done.split("Its code is ")[1][:6]


class Clock:
    def __init__(self) -> None:
        self.now = FILED

    def __call__(self) -> datetime:
        return self.now


async def warnings(app: App) -> list[tuple[str, str, str]]:
    """(channel, address, text) of the alerts queued, taken off the queue."""
    later = datetime.now(UTC) + timedelta(minutes=1)
    rows = await app.store.claim_outbound(later, 50, later + timedelta(minutes=1))
    found = []
    for row in rows:
        assert row.kind == "alert" and row.address_sealed is not None
        found.append((row.channel, app.vault.open(row.address_sealed),
                      message_of(row, app.vault).text))
        await app.store.outbound_sent(row.id, external_id=None, segments=1, now=later)
    return sorted(found)


async def test_sensitive_moderators_are_warned_before_and_at_the_deadline(
        app: App, config: Config, resident) -> None:
    ref = await sensitive_report(resident("s-1"))
    clock = Clock()
    runner = TimerRunner(app.store, clock=clock)
    runner.register(REFERRAL, ReferralClock(app.store, config, app.vault, app.staff_reach))
    clock.now = FILED + timedelta(minutes=2)
    assert await runner.run_once() == 1  # sets itself to the warning time
    assert await warnings(app) == []
    clock.now = FILED + timedelta(hours=17)
    assert await runner.run_once() == 0  # not yet: 18 hours in
    clock.now = FILED + timedelta(hours=18, minutes=1)
    assert await runner.run_once() == 1
    soon = f"Sensitive report {ref} must be referred within 6 hours."
    assert await warnings(app) == [("sms", "+243810000009", soon), ("telegram", "4242", soon)]
    clock.now = FILED + timedelta(hours=24, minutes=1)
    assert await runner.run_once() == 1
    late = f"Sensitive report {ref} is past its referral deadline."
    assert await warnings(app) == [("sms", "+243810000009", late), ("telegram", "4242", late)]
    clock.now = FILED + timedelta(days=3)
    assert await runner.run_once() == 0  # done with
    audit = [(a.actor, a.action, a.target) for a in
             await app.store.audit_rows(include_sensitive=True)]
    assert audit == [("referral-clock", "referral_soon", ref),
                     ("referral-clock", "referral_late", ref)]
    assert await app.desk.audit(Actor.operator()) == []  # sensitive targets hidden


async def test_a_referral_stops_the_clock(app: App, config: Config, resident) -> None:
    ref = await sensitive_report(resident("s-2"))
    await app.desk.take(ZAWADI, ref)
    await app.desk.refer(ZAWADI, ref, "hcr")
    assert not await app.store.cancel_timer(REFERRAL, ref)  # deleted with the referral
    # a row that outlived it (a race) finds the report moved and ends quietly
    await app.store.schedule(REFERRAL, ref, {"ref": ref}, FILED)
    clock = Clock()
    clock.now = FILED + timedelta(days=2)
    runner = TimerRunner(app.store, clock=clock)
    runner.register(REFERRAL, ReferralClock(app.store, config, app.vault, app.staff_reach))
    assert await runner.run_once() == 1
    assert await runner.run_once() == 0
    assert await warnings(app) == []


async def test_only_sensitive_reports_have_a_clock(app: App, resident) -> None:
    r = resident("p-1")
    await r.send("hello")
    await r.send("1")
    ref = await r.report("Water point broken", contact="2")
    assert not await app.store.cancel_timer(REFERRAL, ref)


async def test_each_is_warned_in_their_own_language_on_a_channel_that_runs(
        tmp_path: Path) -> None:
    config = make_config(
        tmp_path, moderation={"sensitive_referral_hours": 24},
        staff=[{"name": "Zawadi", "roles": ["moderator", "sensitive"],
                "telegram_user_id": 4242, "console_user": "zawadi"},
               {"name": "Baraka", "roles": ["moderator", "sensitive"],
                "phone": "+243810000009"}])
    app = await App.open(config)
    try:
        chan = RecordingChannel()  # the console runs here; Telegram and SMS do not
        app.add_channel(chan)
        zawadi = Resident(app, chan, "zawadi")
        await zawadi.send("bonjour", at=FILED)
        await zawadi.send("2", at=FILED)  # Français, in her own conversation
        ref = await sensitive_report(Resident(app, chan, "s-3"))
        clock = Clock()
        runner = TimerRunner(app.store, clock=clock)
        runner.register(REFERRAL, ReferralClock(app.store, config, app.vault, app.staff_reach))
        clock.now = FILED + timedelta(minutes=2)
        await runner.run_once()
        clock.now = FILED + timedelta(hours=18, minutes=1)
        assert await runner.run_once() == 1
        assert await warnings(app) == [
            ("console", "zawadi",
             f"Le signalement sensible {ref} doit être transmis d'ici 6 heures."),
            ("sms", "+243810000009", f"Sensitive report {ref} must be referred within 6 hours.")]
    finally:
        await app.close()
