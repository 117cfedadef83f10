"""Ordered routing of one turn: the first route that takes the message answers it.

The order is the product's rules: a [[staff]] member's command is the desk's,
even as their first message (a moderator's first tap may be on an urgent
alert's button); a resident's "/queue" goes on down like any other text, so it
is answered exactly as unknown input. A first message is greeted; someone who
opted out hears nothing until START (but HELP: how to erase); the global
keywords (STOP, START, HELP, MENU, LANGUAGE) work at any step; then flood
control; then the person's active flow; the main menu catches the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.conversation.flow import HELP, IDLE, LANGUAGE, MENU, WELCOME
from bot.conversation.prompts import privacy_notice, welcome
from bot.conversation.steps import Steps
from bot.conversation.turn import Turn
from bot.domain.effects import OptIn, OptOut, SetLanguage
from bot.i18n.catalogue import _, language
from bot.i18n.detection import LanguageDetector
from bot.i18n.keywords import Keyword, shown

# The staff commands' names (interfaces.md): stable English words on every channel.
STAFF_COMMANDS = frozenset({
    "help", "queue", "show", "take", "status", "tag", "note", "answer", "refer", "ack",
    "advisory", "poll", "results", "cancel",
})


def is_staff_command(text: str) -> bool:
    """Whether ``text`` is a staff command ("/queue urgent"). Such a message is
    never a keyword ("/help" is not HELP): from a resident it is unknown input."""
    if not text.startswith("/") or not text[1:2].strip():  # "/", "/ queue": not commands
        return False
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0]  # "/queue@SautiBot" in a group
    return name.lower() in STAFF_COMMANDS


@dataclass(frozen=True, slots=True)
class Arrival:
    """What the router knows of a message beyond the turn itself."""

    keyword: Keyword | None
    is_new: bool
    expired: bool  # the person's last message was longer ago than the session lasts
    language_hint: str | None = None


class Route(Protocol):
    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        """Answer the turn and return True, or return False to pass it on."""


class StaffDesk(Protocol):
    """Where staff commands go (the triage desk, advisories, polls)."""

    async def command(self, turn: Turn, arrival: Arrival) -> bool: ...


class Router:
    """Runs the routes in order, in the person's language. A route that passes
    the turn on leaves the language as it was; one that sets it (a first
    contact, a choice from the language menu) answers in the new one itself."""

    __slots__ = ("_routes",)

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = tuple(routes)

    async def route(self, turn: Turn, arrival: Arrival) -> None:
        with language(turn.state.language):  # a route that changes it enters the new one
            for route in self._routes:
                if await route(turn, arrival):
                    return


def standard_routes(steps: Steps, detector: LanguageDetector,
                    desk: StaffDesk | None = None, gate: Route | None = None) -> list[Route]:
    """The product's order (see the module's docstring); ``gate``, flood control
    (bot.conversation.flood), goes after staff commands."""
    return [StaffSlot(desk), FirstContact(steps, detector), OptedOutGate(),
            GlobalKeywords(steps), *([gate] if gate is not None else []), ActiveFlow(steps),
            MainMenu(steps)]


class FirstContact:
    """A first message of any kind: greet in the language it is written in, say
    what is kept, offer the languages. A first STOP is obeyed instead."""

    def __init__(self, steps: Steps, detector: LanguageDetector) -> None:
        self._steps, self._detector = steps, detector

    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        if not arrival.is_new or arrival.keyword is Keyword.STOP:
            return False
        state = turn.state
        state.language = self._detector.detect(turn.message.text, arrival.language_hint)
        turn.effect(SetLanguage(state.language))
        with language(state.language):
            turn.say(welcome())
            await self._steps.goto(turn, WELCOME)
        return True


class OptedOutGate:
    """Nothing is sent to someone who opted out, until they send START, but
    for HELP: what Sauti keeps and how to erase it (START, then HELP's erase)."""

    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        if not turn.state.opted_out or arrival.keyword is Keyword.START:
            return False
        if arrival.keyword is Keyword.HELP:
            turn.say(privacy_notice())
            turn.say(_("To erase your data, send {start}, then {help}, and choose erasing.")
                     .format(start=shown(Keyword.START), help=shown(Keyword.HELP)))
        return True


class GlobalKeywords:
    """STOP, START, HELP, MENU and LANGUAGE, whole-message, in every language.
    Each leaves the flow the person was in, and its draft dies with it, but for
    HELP: a half-written report is kept, and Help offers to go back to it."""

    def __init__(self, steps: Steps) -> None:
        self._steps = steps

    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        keyword = arrival.keyword
        if keyword is None:
            return False
        state = turn.state
        if (keyword is Keyword.HELP and turn.draft is not None and state.step is not None
                and state.step not in (IDLE, HELP) and state.step in self._steps):
            turn.resume = state.step
            await self._steps.goto(turn, HELP)
            return True
        turn.forget()
        if keyword is Keyword.STOP:
            state.opted_out = True
            state.step = None
            turn.effect(OptOut())
            turn.say(_("You will get no more messages. Send {start} to come back.")
                     .format(start=shown(Keyword.START)))
            return True
        if keyword is Keyword.START and state.opted_out:
            state.opted_out = False
            turn.effect(OptIn())
            turn.say(_("Welcome back."))
        target = {Keyword.HELP: HELP, Keyword.LANGUAGE: LANGUAGE}.get(keyword, MENU)
        await self._steps.goto(turn, target)
        return True


class StaffSlot:
    """Staff commands go to the desk. A command the desk does not take (from a
    resident, or before there is a desk) goes on as text that picks nothing:
    "/help" must not choose "Help and privacy" by its label."""

    def __init__(self, desk: StaffDesk | None) -> None:
        self._desk = desk

    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        message = turn.message
        if not message.text and message.choice and is_staff_command(message.choice):
            # a button under a staff message (an urgent alert's "/ack REF")
            message = turn.message = replace(message, text=message.choice,
                                             folded=message.choice.casefold())
        if not is_staff_command(message.text):
            return False
        if self._desk is not None and await self._desk.command(turn, arrival):
            return True
        turn.message = replace(message, folded=message.text.casefold())
        return False


class ActiveFlow:
    """The answer to the step the person is at, unless the session timed out."""

    def __init__(self, steps: Steps) -> None:
        self._steps = steps

    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        name = turn.state.step
        if name is None or name == IDLE:
            return False
        if arrival.expired:
            turn.forget()
            turn.say(_("Your earlier conversation timed out."))
            await self._steps.goto(turn, MENU)
            return True
        if name not in self._steps:  # a step since removed from the flows
            return False
        await self._steps.answer(turn, self._steps[name])
        return True


class MainMenu:
    """Idle at the menu: its numbers still work, anything else shows it again."""

    def __init__(self, steps: Steps) -> None:
        self._steps = steps

    async def __call__(self, turn: Turn, arrival: Arrival) -> bool:
        if turn.state.step == IDLE:
            await self._steps.answer(turn, self._steps[MENU], quiet_reask=True)
        else:  # no step yet, or one since removed from the flows
            await self._steps.goto(turn, MENU)
        return True
