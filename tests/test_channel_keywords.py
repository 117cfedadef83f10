"""A channel added to the bot brings the words its carrier acts on, there only."""

from __future__ import annotations

from bot.app import App
from bot.i18n.keywords import Keyword
from channels.sms import SmsChannel
from tests.conftest import RecordingChannel, Resident


async def test_cancel_opts_out_on_sms_but_not_on_telegram(app: App) -> None:
    sms = RecordingChannel(name="sms")
    sms.carrier_keywords = SmsChannel.carrier_keywords
    telegram = RecordingChannel(name="telegram")
    app.add_channel(sms)
    app.add_channel(telegram)
    assert app.keywords.match("cancel", "sms") is Keyword.STOP
    assert app.keywords.match("cancel", "telegram") is None
    on_sms = Resident(app, sms, "+243810000901")
    on_telegram = Resident(app, telegram, "700901")
    await on_sms.send("hello")
    await on_telegram.send("hello")
    await on_sms.send("CANCEL")
    await on_telegram.send("CANCEL")
    sms_contact = await app.store.load(app.conversations.contact_id("sms", "+243810000901"))
    tg_contact = await app.store.load(app.conversations.contact_id("telegram", "700901"))
    assert sms_contact is not None and sms_contact.contact.opted_out
    assert tg_contact is not None and not tg_contact.contact.opted_out
