"""The router's order: first contact, opted-out gate, keywords, the staff slot,
the active flow, the menu; and a resident's staff command is unknown input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.conversation.engine import Engine
from bot.conversation.mission import Mission
from bot.conversation.router import Arrival
from bot.conversation.turn import Turn
from bot.flows import build_flows
from bot.i18n.detection import LanguageDetector
from bot.i18n.keywords import KeywordTable
from tests.conftest import RecordingChannel, Resident
from tests.test_flows_en import onboard

COMMANDS = ["/help", "/queue", "/show 7KQ4MZ", "/take 7KQ4MZ", "/status 7KQ4MZ closed",
            "/tag 7KQ4MZ water", "/note 7KQ4MZ seen", "/answer 7KQ4MZ done", "/refer X unhcr",
            "/ack", "/advisory", "/poll", "/results 1", "/cancel"]
# Where a resident may be when they try a command: the idle menu, a choice, free text.
PLACES = {"menu": [], "choice": ["1"], "free text": ["1", "1"]}


async def at(app: App, channel: RecordingChannel, name: str, steps: list[str]) -> Resident:
    r = Resident(app, channel, name)
    await onboard(r)
    for text in steps:
        await r.send(text)
    return r


@pytest.mark.parametrize("place", sorted(PLACES))
async def test_a_residents_staff_command_gets_the_unknown_input_answer(
        app: App, channel: RecordingChannel, place: str) -> None:
    """Each command, sent by a resident, is answered exactly as nonsense would be there."""
    for n, command in enumerate(COMMANDS):
        tried = await at(app, channel, f"tries-{place}-{n}", PLACES[place])
        control = await at(app, channel, f"control-{place}-{n}", PLACES[place])
        nonsense = "/" + "x" * (len(command) - 1)
        assert await tried.send(command) == await control.send(nonsense), command


class RecordingDesk:
    """A staff desk that takes every command it is offered."""

    def __init__(self) -> None:
        self.offered: list[str] = []

    async def command(self, turn: Turn, arrival: Arrival) -> bool:
        self.offered.append(turn.message.text)
        turn.say("desk")
        return True


async def test_the_staff_slot_comes_first_and_before_the_flow(
        app: App, channel: RecordingChannel) -> None:
    desk = RecordingDesk()
    config = app.config
    mission = Mission.from_config(config)
    engine = Engine(build_flows(mission), KeywordTable(config.bot.languages),
                    LanguageDetector(config.bot.languages, config.bot.default_language),
                    timedelta(minutes=30), desk=desk)
    app.conversations._engine = engine  # the same pipeline, with a desk in its slot
    r = Resident(app, channel, "amina")
    await onboard(r)
    assert await r.send("/queue") == "desk"
    assert "What is it about?" in await r.send("1")  # not a command: the menu's first option
    assert "Describe what happened" in await r.send("1")
    assert await r.send("/queue") == "desk"  # before the active flow's free text
    assert "What would you like to do?" in await r.send("MENU")  # keywords first
    assert "no more messages" in await r.send("STOP")
    assert await r.send("/queue") == "desk"  # staff's commands work even opted out
    assert await r.send("hello") == ""  # ... and nothing else does
    assert desk.offered == ["/queue", "/queue", "/queue"]


def test_a_staff_command_is_a_slash_and_a_command_name() -> None:
    from bot.conversation.router import is_staff_command

    assert is_staff_command("/queue") and is_staff_command("/status 7KQ4MZ closed")
    assert is_staff_command("/HELP")
    assert not is_staff_command("/start")  # Telegram's start: the START keyword
    assert not is_staff_command("help") and not is_staff_command("/") and not is_staff_command("")
    assert not is_staff_command("/queued") and not is_staff_command("/ queue")
