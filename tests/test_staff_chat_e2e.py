"""The loop closed in chat, end to end: a resident reports over SMS in French
(fake Twilio, signed webhooks), a moderator works it from Telegram (fake Bot
API) with /queue /show /take /answer /status; the resident gets the answer in
French at fake Twilio, then the satisfaction question, and answers it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.desk.api import Actor
from bot.web.service import Service
from channels.telegram import TelegramChannel
from channels.twilio import MAX_BODY_CHARS
from tests.conftest import code_of, make_config
from tests.fakes.telegram import FakeTelegram, make_text_update
from tests.fakes.twilio import FakeTwilio
from tests.test_telegram import PUBLIC, SECRET, TOKEN, Running
from tests.test_twilio import SMS_FROM, WA_FROM, Bot

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"),
]

MODERATOR = 700099  # an invented Telegram user id
RESIDENT = "+243810000777"
SMS_MODERATOR = "+243810000888"  # the same staff member's phone, written nationally below


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[tuple[Bot, Running]]:
    async with FakeTwilio() as tw, FakeTelegram(token=TOKEN) as tg:
        config = make_config(
            tmp_path,
            twilio={"enabled": True, "account_sid": tw.account_sid, "auth_token": tw.auth_token,
                    "sms_from": SMS_FROM, "whatsapp_from": WA_FROM,
                    "api_base_url": tw.base_url, "sms_per_second": 50,
                    "send_timeout_seconds": 0.5},
            telegram={"enabled": True, "token": TOKEN, "api_base_url": tg.base_url,
                      "mode": "polling", "webhook_secret": SECRET, "messages_per_second": 500,
                      "per_chat_per_second": 500},
            server={"public_url": PUBLIC + "/"}, outbox={"retry_base_seconds": 0.1},
            staff=[{"name": "amina", "roles": ["moderator"], "telegram_user_id": MODERATOR,
                    "phone": "0810000888"}])
        app = await App.open(config)
        channel = TelegramChannel(config.telegram, handle=app.conversations.handle,
                                  public_url=PUBLIC, pool_size=8, poll_timeout=1.0)
        app.add_channel(channel)
        service = Service(app, host="127.0.0.1", port=0)
        await service.start()
        try:
            yield (Bot(app, service, tw, tmp_path / "sauti.db"),
                   Running(app, service, tg, channel, tmp_path / "sauti.db"))
        finally:
            await service.stop()
            await app.close()


async def test_the_loop_closed_from_telegram_to_a_french_sms_reporter(
        both: tuple[Bot, Running], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the SDKs' DEBUG echoes what they send, as elsewhere
    for name in ("channels", "bot", "moderation"):
        caplog.set_level(logging.DEBUG, logger=name)
    sms, tg = both
    updates = iter(range(1, 100))

    async def moderator(text: str) -> str:
        message = await tg.say(make_text_update(next(updates), MODERATOR, text,
                                                language_code="en"), MODERATOR)
        return str(message["text"])

    # the resident, in French, asks to be contacted
    assert (await sms.sms(RESIDENT, "bonjour")).startswith("Bonjour, ici Sauti")
    await sms.sms(RESIDENT, "2")
    await sms.sms(RESIDENT, "1")
    await sms.sms(RESIDENT, "2")
    assert "Quelle zone" in await sms.sms(RESIDENT, "Le forage du quartier ne donne plus d'eau")
    await sms.sms(RESIDENT, "1")
    await sms.sms(RESIDENT, "1")  # yes, you may contact me
    ref = code_of(await sms.sms(RESIDENT, "1"))

    await moderator("hello")  # a first message is greeted, as anyone's
    await moderator("1")  # English
    assert ref in await moderator("/queue")
    assert "forage" in await moderator(f"/show {ref}")
    assert "in_review" in await moderator(f"/take {ref}")
    before = len(sms.fake.sent_to(RESIDENT))
    assert "Answer kept" in await moderator(f"/answer {ref} Une equipe passe demain.")
    await sms.until(lambda: len(sms.fake.sent_to(RESIDENT)) > before)
    answered = sms.fake.sent_to(RESIDENT)[before]["Body"]
    assert ref in answered and "Une equipe passe demain." in answered
    assert "signalement" in answered  # in the report's language, French

    assert "actioned" in await moderator(f"/status {ref} actioned")
    before = len(sms.fake.sent_to(RESIDENT))
    assert "closed" in await moderator(f"/status {ref} closed")
    await sms.until(lambda: any("satisfait" in m.get("Body", "")
                                for m in sms.fake.sent_to(RESIDENT)[before:]))
    bodies = [m["Body"] for m in sms.fake.sent_to(RESIDENT)[before:]]
    assert any("clos" in b for b in bodies)
    assert "Merci pour votre r" in await sms.sms(RESIDENT, "1")
    view = await sms.app.desk.show(Actor("amina", frozenset({"moderator"})), ref)
    assert view.satisfaction == "yes"
    logged = caplog.text
    for secret in (RESIDENT, RESIDENT[1:], str(MODERATOR), "forage", "passe demain"):
        assert secret not in logged


async def test_a_moderator_on_sms_gets_a_long_report_in_several_bodies(
        both: tuple[Bot, Running]) -> None:
    sms, _tg = both
    await sms.sms(RESIDENT, "hello")
    await sms.sms(RESIDENT, "1")
    await sms.sms(RESIDENT, "1")
    await sms.sms(RESIDENT, "1")
    long = " ".join(["The bridge on the northern road collapsed after the rain"] * 50)
    await sms.sms(RESIDENT, long)
    await sms.sms(RESIDENT, "1")
    await sms.sms(RESIDENT, "2")
    ref = code_of(await sms.sms(RESIDENT, "1"))
    await sms.sms(SMS_MODERATOR, "hello")
    await sms.sms(SMS_MODERATOR, "1")
    before = len(sms.fake.sent_to(SMS_MODERATOR))
    await sms.sms(SMS_MODERATOR, f"/show {ref}")  # recognised by its phone
    await sms.until(lambda: len(sms.fake.sent_to(SMS_MODERATOR)) >= before + 2)
    bodies = [m["Body"] for m in sms.fake.sent_to(SMS_MODERATOR)[before:]]
    shown = "\n".join(bodies)
    assert len(bodies) >= 2 and all(len(b) <= MAX_BODY_CHARS for b in bodies)
    assert f"Report {ref}" in shown and "northern road" in shown
