"""Every prompt, in every language, as the SMS channel sends it: its segments
printed (pytest -s shows the table) and checked against the budget.

The budget: one segment for every prompt in the GSM-7 languages (en, fr, sw, pt,
es; accents outside GSM-7 are transliterated on SMS); two in Arabic (UCS-2: 70
characters a segment, and the options' numbers and marks cost too). Where the
language menu lists a name in another script (العربية), that name makes the
list UCS-2 wherever it is: two segments. Help offering the way back to a
half-written report has one option more: two. The welcome with its privacy
notice: two segments, with Arabic among the languages too: the greeting, the
notice and "Choose your language:" fit one GSM-7 segment, and the list of six
names, UCS-2 for العربية, fits a second (70 characters). In Arabic the whole
welcome is UCS-2 (67 characters a segment when cut) and the right-to-left
list's marks cost three a line: three segments, the fewest the language
allows with a notice of what is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.conversation.flow import FlowTable
from bot.conversation.mission import Mission
from bot.conversation.steps import rendered
from bot.conversation.turn import Message, State, Turn
from bot.domain.messages import Inbound, Outbound
from bot.flows import build_flows
from bot.flows.report import ReportDraft
from bot.i18n.catalogue import language
from bot.storage.polls import PollRow
from bot.text.rendering import render
from channels.sms import SmsChannel
from moderation.anonymise import Anonymiser
from moderation.screening import Screened
from tests.conftest import RecordingChannel, make_config

SIX = ["en", "fr", "ar", "sw", "pt", "es"]
GREETING = {"en": "hello", "fr": "bonjour", "ar": "مرحبا", "sw": "habari", "pt": "ola",
            "es": "hola"}
LANGUAGE_MENUS = ("welcome.language", "language")
NOW = datetime.now(UTC)
POLL = PollRow(1, NOW, {"en": "Is the water point working?"},
               ({"en": "Yes"}, {"en": "No"}, {"en": "Sometimes"}), (), None, "open", "x", "", 5)


class Reads:
    """What the prompts read: two subscriptions, one open poll."""

    async def subscriptions(self, contact_id: str) -> list[str]:
        return ["goma", "bukavu"]

    async def open_polls(self, now: datetime) -> list[PollRow]:
        return [POLL]

    async def poll(self, poll_id: int) -> PollRow | None:
        return POLL

    async def answer_of(self, poll_id: int, contact_id: str) -> int | None:
        return None

    async def profile(self, contact_id: str) -> tuple[str, str] | None:
        return None


def budget(lang: str, step: str, resuming: bool) -> int:
    if lang == "ar":
        return 2
    return 2 if step in LANGUAGE_MENUS or resuming else 1


async def prompt_segments(lang: str, resuming: bool) -> dict[str, tuple[int, int]]:
    """step -> (segments, characters) of its prompt and options on SMS."""
    mission = Mission.from_config(Config.model_validate({"bot": {"languages": SIX}}))
    table = FlowTable()
    for flow in build_flows(mission):
        table.add(flow)
    anonymiser = Anonymiser(["CD"])
    turn = Turn(State("menu", {}, lang, False),
                Message("", "", None, (), None, False, NOW), "k1:c",
                lookups=Reads(),  # type: ignore[arg-type]
                screener=lambda raw: Screened(anonymiser.redact(raw)))
    turn.draft = ReportDraft(category="threat", area="goma", description=anonymiser.redact(
        "Armed men took our goats near the market at night"))
    turn.resume = "report.area" if resuming else None
    out: dict[str, tuple[int, int]] = {}
    for name, step in table.steps.items():
        if resuming and name != "help":
            continue
        with language(lang):
            text = step.prompt(turn)
            choices = rendered(await step.options(turn)) if step.options and text else ()
        if text:
            sent = render(Outbound(text, choices, language=lang), SmsChannel.capabilities)
            out[name] = (sent.segments, len(sent.text))
    return out


@pytest.mark.parametrize("lang", SIX)
async def test_every_prompt_fits_its_budget(lang: str) -> None:
    over = []
    for resuming in (False, True):
        for step, (segments, chars) in (await prompt_segments(lang, resuming)).items():
            shown = f"{step}{' (resuming)' if resuming else ''}"
            print(f"{lang}  {shown:<28} {segments} segment(s), {chars} characters")
            if segments > budget(lang, step, resuming):
                over.append(f"{shown}: {segments}")
    assert not over, f"{lang}: over budget: {over}"


async def welcome_segments(tmp_path: Path, languages: list[str], lang: str) -> int:
    app = await App.open(make_config(tmp_path, bot={"languages": languages}))
    channel = RecordingChannel()
    app.add_channel(channel)
    try:
        await app.conversations.handle(Inbound(channel="console", address="new",
                                               text=GREETING[lang], external_id="w1"))
        await app.dispatcher.drain()
        [welcome] = channel.take("new")
        assert welcome.language == lang  # greeted in the language it was written in
        sent = render(welcome, SmsChannel.capabilities)
        print(f"welcome in {lang} with {len(languages)} languages: {sent.segments} segments "
              f"in {len(sent.parts)} message(s), {len(sent.text)} characters")
        return sent.segments
    finally:
        await app.close()


@pytest.mark.parametrize("lang", SIX)
async def test_the_welcome_with_its_privacy_notice(tmp_path: Path, lang: str) -> None:
    latin = [code for code in SIX if code != "ar"]
    if lang != "ar":
        assert await welcome_segments(tmp_path / "five", latin, lang) <= 2
    assert await welcome_segments(tmp_path / "six", SIX, lang) <= (3 if lang == "ar" else 2)
