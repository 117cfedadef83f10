"""The conversation engine: one inbound turn in, a reply and effects out.

Routing is ordered: global keywords first, then the person's active step,
then the main menu. The engine touches no storage and no channel: it reads
through :class:`~bot.turn.Lookups` and leaves writes to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.conversation.flow import IDLE, FlowError, FlowTable, Option, Step
from bot.conversation.turn import Turn, numbered_hint
from bot.domain.effects import OptIn, OptOut, SetLanguage
from bot.domain.messages import Choice
from bot.i18n.catalogue import _, current_language, language
from bot.i18n.detection import LanguageDetector
from bot.i18n.keywords import Keyword, KeywordTable, shown
from bot.text.cleaning import as_number, fold

MENU = "menu"
WELCOME = "welcome.language"
LANGUAGE = "language"
HELP = "help"
ENTRY_STEPS = (WELCOME, MENU, LANGUAGE, HELP)
RENDERED_MAX = 512


class Engine:
    def __init__(
        self,
        table: FlowTable,
        keywords: KeywordTable,
        detector: LanguageDetector,
        session_timeout: timedelta,
    ) -> None:
        table.validate(ENTRY_STEPS)
        self._table = table
        self._keywords = keywords
        self._detector = detector
        self._timeout = session_timeout
        self._rendered: dict[tuple[int, str], tuple[Sequence[Option], tuple[Choice, ...]]] = {}

    async def run(
        self, turn: Turn, *, channel: str, is_new: bool, last_active: datetime | None,
        language_hint: str | None = None,
    ) -> None:
        """Advance ``turn`` by its message: fills its reply, state and effects."""
        msg = turn.message
        keyword = None if msg.choice else self._keywords.match(msg.folded, channel)
        state = turn.state
        if is_new:
            if keyword is Keyword.STOP:
                await self._keyword(turn, keyword)
                return
            state.language = self._detector.detect(msg.text, language_hint)
            turn.effect(SetLanguage(state.language))
            with language(state.language):
                turn.say(_("Hello, this is Sauti, the mission's feedback line."))
                turn.say(privacy_notice())
                await self._goto(turn, WELCOME)
            return
        if state.opted_out:
            if keyword is Keyword.START:
                await self._keyword(turn, keyword)
            return  # nothing is sent to someone who opted out
        with language(state.language):
            if keyword is not None:
                await self._keyword(turn, keyword)
                return
            step_name = state.step
            expired = last_active is None or msg.received_at - last_active > self._timeout
            if step_name not in (None, IDLE) and expired:
                turn.say(_("Your earlier conversation timed out."))
                await self._goto(turn, MENU)
                return
            if step_name is None or (step_name not in self._table and step_name != IDLE):
                await self._goto(turn, MENU)
                return
            step = self._table[MENU if step_name == IDLE else step_name]
            await self._answer(turn, step, quiet_reask=step_name == IDLE)

    async def _keyword(self, turn: Turn, keyword: Keyword) -> None:
        state = turn.state
        with language(state.language):
            if keyword is Keyword.STOP:
                state.opted_out = True
                state.step = None
                state.data.clear()
                turn.effect(OptOut())
                turn.say(_("You will get no more messages. Send {start} to come back.")
                         .format(start=shown(Keyword.START)))
            elif keyword is Keyword.START:
                if state.opted_out:
                    state.opted_out = False
                    turn.effect(OptIn())
                    turn.say(_("Welcome back."))
                await self._goto(turn, MENU)
            elif keyword is Keyword.HELP:
                await self._goto(turn, HELP)
            elif keyword is Keyword.LANGUAGE:
                await self._goto(turn, LANGUAGE)
            else:
                await self._goto(turn, MENU)

    async def _answer(self, turn: Turn, step: Step, *, quiet_reask: bool = False) -> None:
        msg = turn.message
        if step.options is None:
            has_media = bool(msg.media) and step.media_ok
            if not msg.text and not has_media and msg.location is None:
                turn.say(_("Please answer with a text message."))
                turn.say(step.prompt(turn))
                return
            nxt = await step.handle(turn, None)
        else:
            options = await step.options(turn)
            picked = match_option(options, msg.choice, msg.folded)
            answered_by_location = msg.location is not None and step.media_ok
            if picked is None and not answered_by_location:
                if quiet_reask:  # idle at the menu: show it
                    await self._goto(turn, MENU)
                    return
                turn.say(numbered_hint(len(options)))
                turn.choices = self._render(options)
                return
            nxt = await step.handle(turn, picked)
        if nxt not in step.next:
            raise FlowError(f"step {step.name!r} went to {nxt!r}, not one of {step.next}")
        with language(turn.state.language):  # the answer may have changed it
            await self._goto(turn, nxt)

    async def _goto(self, turn: Turn, name: str) -> None:
        turn.state.step = name
        if name == IDLE:
            return
        step = self._table[name]
        turn.say(step.prompt(turn))
        if step.options is not None:
            turn.choices = self._render(await step.options(turn))

    def _render(self, options: Sequence[Option]) -> tuple[Choice, ...]:
        """The options as choices in the turn's language. Most steps hand back
        the same options object every turn, so each is rendered once per
        language (keyed by identity; the entry keeps the object alive, so an id
        is never reused while its entry exists)."""
        key = (id(options), current_language())
        kept = self._rendered.get(key)
        if kept is not None and kept[0] is options:
            return kept[1]
        choices = tuple(Choice(o.key, _(o.label) if o.translate else o.label) for o in options)
        if len(self._rendered) >= RENDERED_MAX:  # options built afresh each turn: start over
            self._rendered.clear()
        self._rendered[key] = (options, choices)
        return choices


def match_option(options: Sequence[Option], key: str | None, folded: str) -> Option | None:
    """The option a reply picks: a button key, its number, its label or an alias.

    A label matches in full or by a unique prefix of three letters or more.
    """
    if key is not None:
        return next((o for o in options if o.key == key), None)
    if not folded:
        return None
    number = as_number(folded)
    if number is not None:
        return options[number - 1] if 1 <= number <= len(options) else None
    prefixed: list[Option] = []
    for option in options:
        label = fold(_(option.label) if option.translate else option.label)
        names = (label, *(fold(a) for a in option.aliases))
        if folded in names:
            return option
        if len(folded) >= 3 and any(n.startswith(folded) for n in names):
            prefixed.append(option)
    return prefixed[0] if len(prefixed) == 1 else None


def privacy_notice() -> str:
    return _(
        "Reports are anonymised: names and numbers are removed and your number is not "
        "kept with them. Send {stop} to stop, {help} for privacy and erasing your data."
    ).format(stop=shown(Keyword.STOP), help=shown(Keyword.HELP))
