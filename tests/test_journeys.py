"""A whole resident journey in each of the six languages, over the console and
over SMS (the real twilio client, fake Twilio, signed webhooks): first contact
in the language, the language chosen, a report, an advisory subscription, the
report checked, the language menu, HELP, STOP and START typed as that
language's keywords. Every reply is asserted to be that language's text."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.i18n.catalogue import pgettext_in, translate_in
from bot.i18n.formatting import language_name
from bot.text.cleaning import fold
from bot.text.direction import LRI, PDI, RTL_MARK
from tests.conftest import RecordingChannel, Resident, make_config
from tests.test_urgent_alerts import Rig, rigged

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"),
]

SIX = ["en", "fr", "ar", "sw", "pt", "es"]
BOT = {"languages": SIX, "flood_burst": 100}  # a journey is many messages in a minute
FIRST = {"en": "hello", "fr": "bonjour", "ar": "مرحبا", "sw": "habari", "pt": "olá",
         "es": "hola"}
DESCRIPTION = {  # invented, as residents write
    "en": "Armed men took our goats near the market last night",
    "fr": "Des hommes armés ont pris nos chèvres près du marché cette nuit",
    "ar": "رجال مسلحون أخذوا ماعزنا قرب السوق الليلة الماضية",
    "sw": "Watu wenye silaha walichukua mbuzi wetu karibu na soko jana usiku",
    "pt": "Homens armados levaram as nossas cabras perto do mercado ontem à noite",
    "es": "Hombres armados se llevaron nuestras cabras cerca del mercado anoche",
}
CODE = re.compile(r"(?<![\w])([2-9A-Z]{6})(?![\w])")
Say = Callable[[str], Awaitable[str]]
DESCRIBE = ("Describe what happened, where and when. Please leave out names and phone "
            "numbers.")
SENT = "Thank you. Your report is sent. Its code is {ref}: keep it to check on it."
HELPED = ("Sauti passes your concerns to the mission. Reports keep no names, numbers or "
          "link to you.")
STOPPED = "You will get no more messages. Send {start} to come back."


def plain(text: str) -> str:
    """What a reply says, compared as people read it: no bidi marks, folded
    (accents that SMS transliterates, case)."""
    for mark in (LRI, PDI, RTL_MARK):
        text = text.replace(mark, "")
    return fold(text)


def said(reply: str, lang: str, msgid: str) -> bool:
    """Whether ``reply`` says ``msgid`` in ``lang`` (its text before any placeholder)."""
    translated = translate_in(lang, msgid)
    assert lang == "en" or translated != msgid, f"no {lang} text for {msgid!r}"
    head = translated.split("{", 1)[0]
    return plain(head) in plain(reply)


def keyword(lang: str, word: str) -> str:
    """The word a person of ``lang`` is told to type (the first one)."""
    return pgettext_in(lang, "keyword", word).split(",")[0].strip()


def number_of(menu: str, label: str) -> str:
    """The number a menu shows ``label`` at (as SMS may write it: "Francais")."""
    for line in menu.splitlines():
        shown = plain(line)
        if shown.endswith(plain(label)) and shown[:1].isdigit():
            return shown.split(".", 1)[0]
    raise AssertionError(f"{label!r} not in {menu!r}")


async def journey(say: Say, lang: str) -> str:
    """The whole journey; returns the report's reference code."""
    welcome = await say(FIRST[lang])
    assert said(welcome, lang, "Choose your language:"), welcome  # detected from "hello"
    menu = await say(number_of(welcome, language_name(lang)))
    assert said(menu, lang, "What would you like to do?"), menu
    assert said(menu, lang, "Report a concern") and said(menu, lang, "Safety advisories")
    assert said(await say("1"), lang, "What is it about?")
    assert said(await say("1"), lang, DESCRIBE)
    assert said(await say(DESCRIPTION[lang]), lang, "Which area?")
    assert said(await say("1"), lang, "May the team contact you about this report?")
    assert said(await say("2"), lang, "Send this report? {category}, {area}: \"{text}\"")
    sent = await say("1")
    assert said(sent, lang, SENT), sent
    found = CODE.search(sent.replace(LRI, " ").replace(PDI, " "))
    assert found, sent
    ref = found.group(1)
    assert said(sent, lang, "What would you like to do?")  # the menu, shown in full once
    assert said(await say("2"), lang, "Safety advisories:")
    assert said(await say("1"), lang, "Which area?")
    assert said(await say("1"), lang, "You will get advisories for {area}.")
    assert said(await say("3"), lang, "Send the code of your report (6 letters and digits).")
    checked = await say(ref.lower())
    assert said(checked, lang, "Report {ref} of {date}: {status}.") and ref in checked, checked
    chooser = await say(keyword(lang, "LANGUAGE").lower())
    assert said(chooser, lang, "Choose your language:")
    assert said(await say(number_of(chooser, language_name(lang))), lang, "Language set: {name}.")
    assert said(await say(keyword(lang, "HELP")), lang, HELPED)
    assert said(await say(keyword(lang, "STOP")), lang, STOPPED)
    back = await say(keyword(lang, "START").capitalize())
    assert said(back, lang, "Welcome back.") and said(back, lang, "What would you like to do?")
    return ref


@pytest.mark.parametrize("lang", SIX)
async def test_a_journey_over_the_console(tmp_path: Path, lang: str) -> None:
    app = await App.open(make_config(tmp_path, bot=BOT))
    channel = RecordingChannel()
    app.add_channel(channel)
    person = Resident(app, channel, f"journey-{lang}")
    try:
        ref = await journey(person.send, lang)
        report = await app.store.report_by_ref(ref)
        assert report is not None and report.language == lang  # the language it was written in
    finally:
        await app.close()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rigged(tmp_path, bot=BOT) as running:
        yield running


@pytest.mark.parametrize("lang", SIX)
async def test_a_journey_over_sms(rig: Rig, lang: str) -> None:
    number = f"+24381000{SIX.index(lang):04d}"

    async def say(text: str) -> str:
        """The whole reply: every body of it (a welcome may take two), once the
        outbox has nothing more for this person."""
        before = len(rig.tw.sent_to(number))
        await rig.sms.sms(number, text)
        count = -1
        while count != len(rig.tw.sent_to(number)):
            count = len(rig.tw.sent_to(number))
            await asyncio.sleep(0.1)
        return "\n".join(m["Body"] for m in rig.tw.sent_to(number)[before:])

    ref = await journey(say, lang)
    if lang == "ar":  # the exact text sent: its reference code isolated, left to right
        [sent] = [m["Body"] for m in rig.tw.sent_to(number) if ref in m["Body"]][:1]
        assert f"{LRI}{ref}{PDI}" in sent, sent
