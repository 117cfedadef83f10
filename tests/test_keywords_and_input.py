"""Global keywords at every step, opt-out, bad input, restarts and idle expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.config import Config
from bot.domain.messages import MediaKind
from bot.i18n.catalogue import pgettext_in
from bot.i18n.keywords import KeywordTable
from bot.storage.coarse import session_time
from channels.sms import SmsChannel
from tests.conftest import RecordingChannel, Resident, code_of, make_config
from tests.test_flows_en import onboard

STEPS_TO_REACH = {
    "menu": [],
    "report.category": ["1"],
    "report.description": ["1", "1"],
    "report.area": ["1", "1", "Smoke seen over the hill"],
    "report.contact": ["1", "1", "Smoke seen over the hill", "1"],
    "report.confirm": ["1", "1", "Smoke seen over the hill", "1", "2"],
    "advisory": ["2"],
    "check": ["3"],
    "language": ["4"],
    "help": ["5"],
    "help.erase": ["5", "1"],
}


def keyword_words(lang: str, keyword: str) -> list[str]:
    return [w.strip() for w in pgettext_in(lang, "keyword", keyword).split(",") if w.strip()]


@pytest.mark.parametrize("step", sorted(STEPS_TO_REACH))
@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_every_keyword_works_at_every_step(app: App, resident, step: str, lang: str):
    for keyword, expect in (("MENU", "menu"), ("HELP", "help"), ("LANGUAGE", "language")):
        for word in keyword_words(lang, keyword):
            r = resident(f"kw-{step}-{lang}-{keyword}-{word}")
            await onboard(r)
            for answer in STEPS_TO_REACH[step]:
                await r.send(answer)
            await r.send(word.lower())
            convo = await app.store.load(app.conversations.contact_id("console", r.address))
            assert convo is not None and convo.session is not None
            assert convo.session.step == expect, (word, step)


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_stop_silences_and_start_resumes_in_every_language(app: App, resident, lang):
    for stop in keyword_words(lang, "STOP"):
        r = resident(f"stop-{lang}-{stop}")
        await onboard(r)
        await r.send("1")  # mid-flow
        reply = await r.send(stop.capitalize())
        assert reply, "STOP is confirmed once"
        convo = await app.store.load(app.conversations.contact_id("console", r.address))
        assert convo is not None and convo.contact.opted_out
        assert await r.send("1") == ""
        assert await r.send("hello") == ""
        start = keyword_words(lang, "START")[0]
        back = await r.send(start)
        assert "1. " in back and back
        convo = await app.store.load(app.conversations.contact_id("console", r.address))
        assert convo is not None and not convo.contact.opted_out


async def test_stop_as_very_first_message_opts_out(app: App, resident):
    r = resident("first-stop")
    assert "no more messages" in await r.send("STOP")
    assert await r.send("hello") == ""


async def test_keyword_inside_a_sentence_is_text(app: App, resident):
    r = resident("sentence")
    await onboard(r)
    await r.send("1")
    await r.send("1")
    reply = await r.send("please stop the fighting near the market")
    assert "Which area?" in reply


def test_twilio_words_stop_only_on_sms():
    table = KeywordTable(["en", "fr"])
    table.learn("sms", SmsChannel.carrier_keywords)  # as App.add_channel does
    assert table.match("cancel", "sms") is not None
    assert table.match("cancel", "telegram") is None
    assert table.match("stop", "telegram") is not None


async def test_new_session_in_the_language_of_first_message(resident):
    r = resident("franco")
    reply = await r.send("Bonjour")
    assert "1. English" in reply and "2. Français" in reply
    assert "Sauti" in reply
    assert "Hi, this is Sauti" not in reply


BAD_INPUTS = {
    "empty": "",
    "spaces": "   \t  ",
    "emoji only": "😀🙏🏽",
    "control characters": "\x00\x07\x1b\x7f",
    "lone surrogates": "\ud800\udfff",
    "out of menu": "9",
    "zero": "0",
    "decimal": "1.5",
    "huge number": "99999999999999999999",
    "negative": "-1",
    "signed": "+2",
    "minus zero": "-0",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
async def test_bad_input_at_a_menu_re_asks(resident, name):
    r = resident(f"bad-{name}")
    await onboard(r)
    reply = await r.send(BAD_INPUTS[name])
    assert reply == "Please reply 1-5."  # one line: the menu was just shown, SMS costs
    assert "What is it about?" in await r.send("1")  # still works after


@pytest.mark.parametrize("name", ["empty", "spaces", "control characters", "lone surrogates"])
async def test_empty_description_re_asks(resident, name):
    r = resident(f"bad-desc-{name}")
    await onboard(r)
    await r.send("1")
    await r.send("1")
    reply = await r.send(BAD_INPUTS[name])
    assert reply == "Please answer with a text message."  # one line, not the question again


@pytest.mark.parametrize("text", ["😀🙏🏽", "?!...", "🔥 !!", "***"])
async def test_a_description_of_only_emoji_or_punctuation_is_asked_again(
        app: App, resident, text: str) -> None:
    r = resident(f"bad-desc-{text}")
    await onboard(r)
    await r.send("1")
    await r.send("1")
    assert await r.send(text) == "Please say in words what happened."
    assert "Which area?" in await r.send("Armed men at the market")  # the answer counts
    await r.send("1")
    await r.send("2")
    stored = await app.store.report_by_ref(code_of(await r.send("1")))
    assert stored is not None and stored.description == "Armed men at the market"


async def test_sticker_at_a_menu_re_asks(resident):
    r = resident("sticker")
    await onboard(r)
    reply = await r.send("", media=(MediaKind.STICKER,))
    assert reply == "Please reply 1-5."


async def test_ten_thousand_characters_are_cut_and_said_so(app: App, resident):
    r = resident("long")
    await onboard(r)
    await r.send("1")
    await r.send("3")
    reply = await r.send("word " * 2000)
    assert "only its beginning was kept" in reply
    await r.send("1")
    await r.send("2")
    done = await r.send("1")
    stored = await app.store.report_by_ref(code_of(done))
    assert stored is not None
    assert 3900 <= len(stored.description) <= app.config.bot.max_text_chars


async def test_emoji_description_is_kept(app: App, resident):
    r = resident("emoji")
    await onboard(r)
    code = await r.report("🔥🔥 houses burning 🏠", category="4")
    stored = await app.store.report_by_ref(code)
    assert stored is not None and stored.description == "🔥🔥 houses burning 🏠"


async def test_restart_in_the_middle_of_a_report(config: Config):
    channel = RecordingChannel()
    first = await App.open(config)
    first.add_channel(channel)
    r = Resident(first, channel, "+243810000202")
    await onboard(r)
    await r.send("1")
    await r.send("2")
    await r.send("A man with a gun came to our door")
    await first.close()

    second = await App.open(config)
    second.add_channel(channel)
    r2 = Resident(second, channel, "+243810000202")
    assert "contact you" in await r2.send("3")
    await r2.send("2")
    done = await r2.send("1")
    stored = await second.store.report_by_ref(code_of(done))
    assert stored is not None
    assert (stored.category, stored.area) == ("threat", "beni")
    assert stored.description == "A man with a gun came to our door"
    await second.close()


async def test_idle_session_expires_back_to_the_menu(app: App, resident):
    r = resident("idle")
    start = datetime.now(UTC)
    await r.send("hello", at=start)
    await r.send("1", at=start)
    await r.send("1", at=start)
    timeout = timedelta(minutes=app.config.bot.session_timeout_minutes)
    t1 = session_time(start) + timeout + timedelta(seconds=1)  # kept as the next minute
    reply = await r.send("1", at=t1)
    assert reply.startswith("Your earlier conversation timed out.")
    assert "1. Report a concern" in reply
    # just inside the timeout the flow goes on
    t2 = t1 + timedelta(seconds=10)
    assert "What is it about?" in await r.send("1", at=t2)
    reply = await r.send("1", at=t2 + timeout - timedelta(seconds=1))
    assert "Describe what happened" in reply


async def test_configurable_timeout(tmp_path):
    config = make_config(tmp_path, bot={"session_timeout_minutes": 1})
    application = await App.open(config)
    channel = RecordingChannel()
    application.add_channel(channel)
    r = Resident(application, channel, "short")
    t0 = datetime.now(UTC)
    await r.send("hi", at=t0)
    await r.send("1", at=t0)
    await r.send("1", at=t0)
    # the session's time is kept as the next minute: it may last a minute longer
    assert "timed out" not in await r.send("x", at=t0 + timedelta(seconds=30))
    assert "timed out" in await r.send("x", at=t0 + timedelta(seconds=151))
    await application.close()


async def test_same_external_id_is_handled_once(app: App, resident):
    r = resident("dup")
    await r.send("hello", external_id="tg-77")
    assert await r.send("1", external_id="tg-77") == ""
    convo = await app.store.load(app.conversations.contact_id("console", "dup"))
    assert convo is not None and convo.session is not None
    assert convo.session.step == "welcome.language"


async def test_a_failing_flow_step_apologises_and_frees_the_person(app: App, resident, caplog):
    """A bug in one step (injected here) must not trap anyone in it nor fail the channel;
    it is logged with its traceback, and without the personal data its message held."""
    from dataclasses import replace

    from bot.cli.logs import RedactingFormatter

    table = app.engine._steps._table  # a bug injected into one step of the running engine

    async def broken(turn, picked):  # type: ignore[no-untyped-def]
        raise KeyError("+243810000777")  # an invented number a buggy lookup might quote

    table.steps["report.category"] = replace(table["report.category"], handle=broken)
    r = resident("unlucky")
    await onboard(r)
    await r.send("1")
    reply = await r.send("2")
    assert reply == "Sorry, something went wrong. Send MENU for the menu."
    assert "What is it about?" in await r.send("1")  # at the menu again
    convo = await app.store.load(app.conversations.contact_id("console", "unlucky"))
    assert convo is not None and convo.session is not None
    assert convo.session.step == "report.category"
    failures = [r for r in caplog.records if r.exc_info and "failed at step" in r.getMessage()]
    assert len(failures) == 1
    logged = RedactingFormatter().format(failures[0])
    assert "in broken" in logged and "KeyError" in logged
    assert "810000777" not in logged
