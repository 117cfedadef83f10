"""Moderation's verdicts on reports as moderators meet them: abuse is a flag
and a score, never a drop; a graphic report of violence is urgent and not
abuse; a sensitive urgent report alerts only moderators with the role, and
never the moderators' group; the group gets the others."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.desk.alerts import URGENT_ALERT
from bot.desk.api import Actor
from bot.desk.replies import report_parts
from bot.i18n.catalogue import language
from bot.outbox.payload import message_of
from bot.timers import TimerRunner
from tests.conftest import RecordingChannel, Resident, make_config

ZAWADI = Actor("Zawadi", frozenset({"moderator", "sensitive"}))
GROUP = -1001234567  # an invented Telegram group


@pytest.fixture
async def mod_app(tmp_path: Path) -> AsyncIterator[App]:
    app = await App.open(make_config(
        tmp_path, moderation={"alert_telegram_chat_id": GROUP},
        staff=[{"name": "Amina", "roles": ["moderator"], "telegram_user_id": 4141},
               {"name": "Zawadi", "roles": ["moderator", "sensitive"],
                "telegram_user_id": 4242}]))
    app.add_channel(RecordingChannel())
    app.add_channel(RecordingChannel(name="telegram"))
    yield app
    await app.close()


async def filed(app: App, who: str, text: str, category: str = "1") -> str:
    r = Resident(app, app.channels["console"], who)  # type: ignore[arg-type]
    await r.send("hello")
    await r.send("1")
    return await r.report(text, category=category, contact="2")


async def alerts(app: App) -> list[tuple[str, str]]:
    """(address, text) of the alerts queued, taken off the queue."""
    later = datetime.now(UTC) + timedelta(minutes=1)
    rows = await app.store.claim_outbound(later, 50, later + timedelta(minutes=1))
    found = []
    for row in rows:
        if row.kind == "alert":
            assert row.address_sealed is not None
            found.append((app.vault.open(row.address_sealed), message_of(row, app.vault).text))
        await app.store.outbound_sent(row.id, external_id=None, segments=1, now=later)
    return sorted(found)


async def run_alerts(app: App, at: datetime) -> int:
    runner = TimerRunner(app.store, clock=lambda: at)
    runner.register(URGENT_ALERT, app.alert_handler)
    return await runner.run_once()


async def test_abuse_is_flagged_and_scored_never_dropped(mod_app: App) -> None:
    rude = await filed(mod_app, "r1", "you stupid idiots never help, useless bot")
    graphic = await filed(mod_app, "r2", "soldiers raped my sister last night and beat my "
                                         "father, he is bleeding, please come")
    rude_view = await mod_app.desk.show(ZAWADI, rude)
    assert rude_view.report.abusive and rude_view.report.abuse_score >= 0.5
    assert not rude_view.urgent
    with language("en"):
        head = report_parts(rude_view, {})[0]
    assert "Possible abuse (score" in head and "insult" in head
    graphic_view = await mod_app.desk.show(ZAWADI, graphic)
    assert graphic_view.urgent and not graphic_view.report.abusive
    assert "sexual_violence" in graphic_view.report.cues
    queued = [v.ref for v in (await mod_app.desk.queue(ZAWADI)).items]
    assert queued == [graphic, rude]  # both kept; the urgent one first


async def test_the_group_gets_alerts_but_never_a_sensitive_one(mod_app: App) -> None:
    now = datetime.now(UTC)
    public = await filed(mod_app, "r3", "gunmen are shooting at the market now")
    assert await run_alerts(mod_app, now) == 1
    assert [a for a, _ in await alerts(mod_app)] == [str(GROUP)]
    conduct = await filed(mod_app, "r4", "a mission driver is threatening to kill my brother "
                                         "tonight", category="5")
    assert await run_alerts(mod_app, now) == 1
    sent = await alerts(mod_app)
    assert [a for a, _ in sent] == ["4242"]  # Zawadi alone: the role, and not the group
    assert conduct in sent[0][1] and public not in sent[0][1]
    assert "driver" not in sent[0][1]  # never the text
    # the next round of the public one goes to the moderators themselves
    assert await run_alerts(mod_app, now + timedelta(minutes=11)) == 2
    later = await alerts(mod_app)
    assert sorted(a for a, _ in later) == ["4141", "4242", "4242"]
