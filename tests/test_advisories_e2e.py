"""An advisory through the real channel clients: residents subscribed over
Telegram (fake Bot API), SMS and WhatsApp (fake Twilio, signed webhooks) in
English and French; staff send one with English and French texts, and another
in English only; each resident gets each exactly once, in their language, else
the mission's default. And `sauti advisory` as an operator runs it; and a poll
over the same clients, answered by a button, a number and an option's text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.desk.api import Actor
from tests.conftest import REAL_KEYS_TOML
from tests.fakes.telegram import make_text_update
from tests.test_cli import run
from tests.test_urgent_alerts import Rig, rigged, until

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"),
]

STAFF = Actor("Chantal", frozenset({"staff"}))
SMS_EN, WA_FR = "+243810000881", "+243810000882"
TG_FR = 700381  # an invented Telegram user id
BOTH = {"en": "The road to Sake is closed", "fr": "La route de Sake est fermée"}
EN_ONLY = {"en": "Water at the market tomorrow"}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rigged(tmp_path) as running:
        yield running


async def subscribe(say: object, lang: str) -> None:
    for text in ("hello", lang, "2", "1", "1"):  # language, advisories, subscribe, Goma
        await say(text)  # type: ignore[operator]


async def telegram(rig: Rig, text: str) -> None:
    """The French Telegram resident says ``text``; back once the bot answered."""
    before = len(rig.tg.sent_messages(TG_FR))
    rig.tg.push_update(make_text_update(rig.tg.next_update_id(), TG_FR, text,
                                        language_code="fr"))
    await until(lambda: len(rig.tg.sent_messages(TG_FR)) > before)


def advisories(texts: list[str]) -> list[str]:
    return [t for t in texts if "Sake" in t or "market" in t]


async def test_a_mixed_audience_gets_it_once_in_their_language(rig: Rig) -> None:
    await subscribe(lambda t: rig.sms.sms(SMS_EN, t), "1")
    await subscribe(lambda t: rig.sms.wa(WA_FR, t), "2")
    await subscribe(lambda t: telegram(rig, t), "2")
    b = rig.app.broadcasts
    await b.send(STAFF, b.check(areas=["goma"], severity="warning", texts=BOTH))
    await b.send(STAFF, b.check(areas=["goma"], severity="info", texts=EN_ONLY))
    rig.app.timers.wake()  # the CLI's due rows are found within a second; here at once

    def sms() -> list[str]:
        return advisories([m["Body"] for m in rig.tw.sent_to(SMS_EN)])

    def whatsapp() -> list[str]:
        return advisories([m["Body"] for m in rig.tw.sent_to(f"whatsapp:{WA_FR}")])

    def tg() -> list[str]:
        return advisories([str(m.get("text", "")) for m in rig.tg.sent_messages(TG_FR)])

    await until(lambda: len(sms()) == 2 and len(whatsapp()) == 2 and len(tg()) == 2, 10)
    assert sms() == ["Warning: The road to Sake is closed",
                     "Information: Water at the market tomorrow"]
    french = ["Attention : La route de Sake est fermée",
              "Information: Water at the market tomorrow"]  # no French text: the default's
    assert whatsapp() == french and tg() == french
    # a message reaches the fake provider a moment before its "sent" mark is stored
    async with asyncio.timeout(10):
        while True:
            shown_all = [await rig.app.store.advisory(row.id)
                         for row in await rig.app.store.advisories()]
            if all(shown is not None and "queued" not in shown.progress for shown in shown_all):
                break
            await asyncio.sleep(0.01)
    for shown in shown_all:
        assert shown is not None and shown.status == "sent" and shown.audience == 3
        assert "queued" not in shown.progress  # all gone, nothing left to send twice
    assert len(sms()) == 2 and len(whatsapp()) == 2 and len(tg()) == 2


def test_the_cli_sends_lists_shows_and_cancels(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/sauti.db"\n{REAL_KEYS_TOML}'
                      '[[staff]]\nname = "Chantal"\nroles = ["staff"]\n', "utf-8")
    base = ["--config", str(config)]
    assert run([*base, "db", "upgrade"], tmp_path).returncode == 0
    dry = run([*base, "advisory", "send", "--area", "goma", "--severity", "info", "--text",
               "en=Road closed", "fr=Route fermée", "--dry-run"], tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "audience: 0 residents" in dry.stdout and "nothing was sent" in dry.stdout
    sent = run([*base, "--as", "Chantal", "advisory", "send", "--area", "goma", "bukavu",
                "--severity", "critical", "--text", "en=Road closed", "--expires",
                "2099-01-01T08:00"], tmp_path)
    assert sent.returncode == 0, sent.stderr
    advisory_id = int(sent.stdout.splitlines()[0])
    listed = run([*base, "advisory", "list", "--json"], tmp_path)
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["severity"], r["areas"], r["created_by"]) for r in rows] == [
        (advisory_id, "critical", ["bukavu", "goma"], "Chantal")]
    shown = run([*base, "advisory", "show", str(advisory_id)], tmp_path)
    assert f"Advisory {advisory_id}  (scheduled, critical)" in shown.stdout
    assert "en: Road closed" in shown.stdout
    cancelled = run([*base, "advisory", "cancel", str(advisory_id)], tmp_path)
    assert cancelled.returncode == 0 and "cancelled: 0 messages" in cancelled.stdout
    again = run([*base, "advisory", "cancel", str(advisory_id)], tmp_path)
    assert again.returncode == 2 and "cancelled already" in again.stderr
    past = run([*base, "advisory", "send", "--area", "goma", "--severity", "info", "--text",
                "en=x", "--expires", "2001-01-01T00:00"], tmp_path)
    assert past.returncode == 2 and "--expires" in past.stderr
    unknown = run([*base, "advisory", "send", "--area", "mars", "--severity", "info",
                   "--text", "en=x"], tmp_path)
    assert unknown.returncode == 2 and "unknown area" in unknown.stderr


async def test_outside_the_whatsapp_window_the_template_goes(tmp_path: Path) -> None:
    """A WhatsApp subscriber who last wrote two days ago is outside the 24-hour
    window: the advisory goes as the configured template, in their language."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    templates = {"advisory": {"en": "HXadvisory_en", "fr": "HXadvisory_fr"}}
    async with rigged(tmp_path, whatsapp_templates=templates) as rig:
        await subscribe(lambda t: rig.sms.wa(WA_FR, t), "2")
        long_ago = (datetime.now(UTC) - timedelta(days=2)).replace(second=0, microsecond=0)
        with sqlite3.connect(tmp_path / "sauti.db") as db:
            db.execute("UPDATE contacts SET last_inbound_at = ?", (long_ago.isoformat(),))
        before = len(rig.tw.sent_to(f"whatsapp:{WA_FR}"))
        b = rig.app.broadcasts
        await b.send(STAFF, b.check(areas=["goma"], severity="critical", texts=BOTH))
        rig.app.timers.wake()
        await until(lambda: len(rig.tw.sent_to(f"whatsapp:{WA_FR}")) > before, 10)
        sent = rig.tw.sent_to(f"whatsapp:{WA_FR}")[before]
        assert sent["ContentSid"] == "HXadvisory_fr"
        said = json.loads(sent["ContentVariables"])["1"]
        assert said.endswith("La route de Sake est fermée")  # the severity, then the text


async def test_a_poll_over_the_real_clients_answered_by_button_number_and_text(
        rig: Rig) -> None:
    """Telegram answers with a button, SMS with a number, WhatsApp with an option's
    text; the results count each once."""
    from datetime import UTC, datetime, timedelta

    from bot.polls.fanout import PollFanOut
    from bot.storage.polls import POLL_SEND
    from bot.timers import TimerRunner
    from tests.fakes.telegram import make_callback_update

    await subscribe(lambda t: rig.sms.sms(SMS_EN, t), "1")
    await subscribe(lambda t: rig.sms.wa(WA_FR, t), "2")
    await subscribe(lambda t: telegram(rig, t), "2")
    staff = Actor("Chantal", frozenset({"staff"}))
    polls = rig.app.polls
    poll_id = await polls.create(staff, polls.check(
        question={"en": "Is the road open?", "fr": "La route est-elle ouverte ?"},
        options=[{"en": "Yes", "fr": "Oui"}, {"en": "No", "fr": "Non"}], areas=["goma"]))
    await polls.send(staff, poll_id)
    runner = TimerRunner(rig.app.store, clock=lambda: datetime.now(UTC) + timedelta(seconds=1))
    runner.register(POLL_SEND, PollFanOut(rig.app.store, ["en", "fr"], "en"))
    while await runner.run_once():
        pass
    rig.app.dispatcher.wake()

    def asked(messages: list[str], question: str) -> bool:
        return any(question in m for m in messages)

    await until(lambda: asked([m["Body"] for m in rig.tw.sent_to(SMS_EN)], "Is the road open?")
                and asked([m["Body"] for m in rig.tw.sent_to(f"whatsapp:{WA_FR}")],
                          "La route est-elle ouverte ?")
                and asked([str(m.get("text", "")) for m in rig.tg.sent_messages(TG_FR)],
                          "La route est-elle ouverte ?"), 10)
    question = next(m for m in rig.tg.sent_messages(TG_FR)
                    if "La route" in str(m.get("text", "")))
    buttons = question["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in buttons] == ["1", "2"]
    before = len(rig.tg.sent_messages(TG_FR))
    rig.tg.push_update(make_callback_update(rig.tg.next_update_id(), TG_FR, "2",
                                            question["message_id"], language_code="fr"))
    await until(lambda: len(rig.tg.sent_messages(TG_FR)) > before)
    assert "Merci. Votre réponse : Non." in rig.tg.sent_messages(TG_FR)[-1]["text"]
    assert (await rig.sms.sms(SMS_EN, "1")).startswith("Thank you. Your answer: Yes.")
    assert (await rig.sms.wa(WA_FR, "non")).startswith("Merci. Votre réponse : Non.")
    _poll, res = await polls.results(staff, poll_id)
    assert (res.respondents, res.counts) == (3, (1, 2))
    await results_as_a_photo(rig, poll_id)


async def results_as_a_photo(rig: Rig, poll_id: int) -> None:
    """Staff on Telegram ask /results: the chart comes as a photo (a PNG of the
    chart's width), its caption the counts and shares."""
    from bot.polls.chart import WIDTH_PX
    from tests.test_poll_chart import png_size
    from tests.test_urgent_alerts import DORA

    rig.tg.push_update(make_text_update(rig.tg.next_update_id(), DORA, f"/results {poll_id}",
                                        language_code="en"))
    await until(lambda: rig.tg.sent_photos(DORA) != [], 10)
    [photo] = rig.tg.sent_photos(DORA)
    assert png_size(photo)[0] == WIDTH_PX
    [sent] = rig.tg.sent_messages(DORA)
    assert sent["caption"].splitlines() == [
        "Is the road open? (n = 3)", "1. Yes: 1 (33%)", "2. No: 2 (67%)",
        "Turnout: 3 of 3 (100%)."]
