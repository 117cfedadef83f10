"""Urgent reports, end to end: a report of shooting sent over SMS (signed
webhooks at fake Twilio) alerts the first moderators at the fake Bot API within
a second; unacknowledged, it goes to the next moderator after ack_minutes
(time moved, not slept), across a restart; a tap on its button acknowledges it
and nothing more is sent. Urgent reports come first in the queue."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Config
from bot.desk.alerts import URGENT_ALERT
from bot.desk.api import Actor
from bot.timers import TimerRunner
from bot.web.service import Service
from channels.telegram import TelegramChannel
from tests.conftest import code_of, make_config
from tests.fakes.telegram import FakeTelegram, make_callback_update, make_text_update
from tests.fakes.twilio import FakeTwilio
from tests.test_telegram import PUBLIC, SECRET, TOKEN
from tests.test_twilio import SMS_FROM, WA_FROM, Bot

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"),
]

AMINA, BOSCO, CHANTAL = 700201, 700202, 700203  # invented Telegram user ids
DORA = 700204  # staff (advisories, polls), not a moderator
RESIDENT = "+243810000661"
SHOOTING = "they are shooting now near the market, people running"
AMINA_ACTOR = Actor("amina", frozenset({"moderator"}))


@dataclass
class Rig:
    config: Config
    tw: FakeTwilio
    tg: FakeTelegram
    app: App
    service: Service
    sms: Bot
    stopped: bool = False

    def alerts_to(self, chat: int) -> list[dict[str, Any]]:
        return [m for m in self.tg.sent_messages(chat) if "URGENT" in m.get("text", "")]


async def start(config: Config, tw: FakeTwilio, tg: FakeTelegram, db: Path) -> Rig:
    app = await App.open(config)
    channel = TelegramChannel(config.telegram, handle=app.conversations.handle,
                              public_url=PUBLIC, pool_size=8, poll_timeout=0.5)
    app.add_channel(channel)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    return Rig(config, tw, tg, app, service, Bot(app, service, tw, db))


async def stop(rig: Rig) -> None:
    if not rig.stopped:
        rig.stopped = True
        await rig.service.stop()
        await rig.app.close()


@asynccontextmanager
async def rigged(tmp_path: Path, *, bot: dict[str, Any] | None = None,
                 **twilio: Any) -> AsyncIterator[Rig]:
    """The service with SMS, WhatsApp and Telegram at their fakes, three moderators
    and a staff member (Dora);
    ``twilio``: more Twilio settings (WhatsApp templates); ``bot``: [bot] settings."""
    async with FakeTwilio() as tw, FakeTelegram(token=TOKEN) as tg:
        config = make_config(
            tmp_path,
            twilio={"enabled": True, "account_sid": tw.account_sid, "auth_token": tw.auth_token,
                    "sms_from": SMS_FROM, "whatsapp_from": WA_FROM,
                    "api_base_url": tw.base_url, "sms_per_second": 50, **twilio},
            telegram={"enabled": True, "token": TOKEN, "api_base_url": tg.base_url,
                      "mode": "polling", "webhook_secret": SECRET, "messages_per_second": 500,
                      "per_chat_per_second": 500},
            server={"public_url": PUBLIC + "/"}, outbox={"retry_base_seconds": 0.1},
            moderation={"ack_minutes": 10}, bot=bot or {},
            staff=[*({"name": name, "roles": ["moderator"], "telegram_user_id": user}
                     for name, user in (("amina", AMINA), ("bosco", BOSCO),
                                        ("chantal", CHANTAL))),
                   {"name": "dora", "roles": ["staff"], "telegram_user_id": DORA}])
        running = await start(config, tw, tg, tmp_path / "sauti.db")
        try:
            yield running
        finally:
            await stop(running)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rigged(tmp_path) as running:
        yield running


async def file_report(sms: Bot, text: str, number: str = RESIDENT) -> tuple[str, float]:
    """An English report over SMS; its code and the time its last webhook was sent."""
    await sms.sms(number, "hello")
    await sms.sms(number, "1")  # English
    await sms.sms(number, "1")  # report
    await sms.sms(number, "1")  # security incident
    assert "Which area?" in await sms.sms(number, text)
    await sms.sms(number, "1")  # Goma
    await sms.sms(number, "2")  # not to be contacted
    sent = time.monotonic()
    return code_of(await sms.sms(number, "1")), sent


async def until(check: Any, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.01)


def manual_runner(app: App, at: datetime) -> TimerRunner:
    """The app's urgent-alert handler, run on a clock the test sets."""
    runner = TimerRunner(app.store, clock=lambda: at)
    runner.register(URGENT_ALERT, app.alert_handler)
    return runner


async def test_an_urgent_sms_report_alerts_escalates_and_is_acknowledged_by_a_tap(
        rig: Rig, tmp_path: Path) -> None:
    ref, sent = await file_report(rig.sms, SHOOTING)
    await until(lambda: rig.alerts_to(AMINA) and rig.alerts_to(BOSCO))
    took = time.monotonic() - sent
    print(f"the first alert reached the fake Bot API {took * 1000:.0f} ms after the webhook")
    assert took < 1.0, f"the first alert took {took:.2f} s"
    alert = rig.alerts_to(AMINA)[0]
    assert ref in alert["text"] and "Security incident" in alert["text"]
    assert "Goma" in alert["text"] and "shooting" not in alert["text"]  # never its text
    buttons = alert["reply_markup"]["inline_keyboard"]
    assert buttons[0][0]["callback_data"] == f"/ack {ref}"
    assert rig.alerts_to(CHANTAL) == []  # the next tier waits
    assert rig.sms.rows("SELECT urgent FROM reports WHERE ref = ?", ref) == [(1,)]

    # nobody acknowledges; the service restarts; ack_minutes pass
    await stop(rig)
    again = await start(rig.config, rig.tw, rig.tg, tmp_path / "sauti.db")
    try:
        later = datetime.now(UTC) + timedelta(minutes=11)
        assert await manual_runner(again.app, later).run_once() == 1
        await until(lambda: again.alerts_to(CHANTAL))
        assert "Not acknowledged after 10 min." in again.alerts_to(CHANTAL)[0]["text"]
        assert len(again.alerts_to(AMINA)) == 1  # not alerted twice in that round

        # amina taps the button under her alert
        before = len(again.tg.sent_messages(AMINA))
        again.tg.push_update(make_callback_update(
            again.tg.next_update_id(), AMINA, f"/ack {ref}", alert["message_id"],
            language_code="en", message_text=alert["text"]))
        await until(lambda: len(again.tg.sent_messages(AMINA)) > before)
        answer = again.tg.sent_messages(AMINA)[-1]["text"]
        assert answer.startswith(f"Acknowledged {ref} after ")
        view = await again.app.desk.show(AMINA_ACTOR, ref)
        state = await again.app.store.desk_state(ref)
        assert view.urgent and state is not None and state.alert is not None
        assert state.alert.acked_by == "amina" and state.alert.ack_seconds is not None
        assert rig.sms.rows("SELECT count(*) FROM due WHERE kind = ?", URGENT_ALERT) == [(0,)]
        # escalation stopped: nothing more, however late
        much_later = datetime.now(UTC) + timedelta(hours=3)
        assert await manual_runner(again.app, much_later).run_once() == 0
        # a second acknowledgement is told who was first
        reply = await say(again, BOSCO, f"/ack {ref}")
        assert reply == f"amina acknowledged {ref} already, after " + \
            answer.split(" after ")[1].removesuffix(" Escalation stopped.")
    finally:
        await stop(again)


async def say(rig: Rig, user: int, text: str) -> str:
    before = len(rig.tg.sent_messages(user))
    rig.tg.push_update(make_text_update(rig.tg.next_update_id(), user, text,
                                        language_code="en"))
    await until(lambda: len(rig.tg.sent_messages(user)) > before)
    return str(rig.tg.sent_messages(user)[-1]["text"])


async def test_urgent_reports_come_first_and_ack_takes_the_latest_waiting(rig: Rig) -> None:
    calm, _ = await file_report(rig.sms, "the water pump at the school is broken since monday")
    ref, _ = await file_report(rig.sms, "armed men entered the camp right now, beating people",
                               "+243810000662")
    await until(lambda: rig.alerts_to(AMINA))
    await say(rig, AMINA, "hello")
    await say(rig, AMINA, "1")
    listed = await say(rig, AMINA, "/queue")
    lines = listed.splitlines()
    assert lines[0].startswith(f"! {ref}") and calm in lines[1]
    only = await say(rig, AMINA, "/queue urgent")
    assert ref in only and calm not in only
    assert (await say(rig, AMINA, "/ack")).startswith(f"Acknowledged {ref} after ")
    assert await say(rig, AMINA, "/ack") == "No urgent alert is waiting to be acknowledged."
    assert await say(rig, AMINA, f"/ack {calm}") == f"Report {calm} has no urgent alert waiting."
    db = sqlite3.connect(rig.sms.db)
    audit = db.execute("SELECT actor, action, target FROM audit WHERE action = 'ack'").fetchall()
    db.close()
    assert audit == [("amina", "ack", ref)]
