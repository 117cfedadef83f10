"""Walking the flow table: show a step, take the answer to it, go where it leads."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.conversation.flow import IDLE, MENU, RESUME, FlowError, FlowTable, Option, Step
from bot.conversation.prompts import numbered_hint
from bot.conversation.turn import Turn
from bot.domain.messages import Choice
from bot.i18n.catalogue import _, current_language, language
from bot.text.cleaning import as_number, fold, is_signed_number


class Steps:
    """The validated flow table, and the two moves of a conversation."""

    __slots__ = ("_table",)

    def __init__(self, table: FlowTable) -> None:
        table.validate()
        self._table = table

    def __getitem__(self, name: str) -> Step:
        return self._table[name]

    def __contains__(self, name: object) -> bool:
        return name in self._table

    async def goto(self, turn: Turn, name: str) -> None:
        """Move to step ``name`` and ask its question (IDLE asks nothing)."""
        turn.state.step = name
        if name == IDLE:
            return
        step = self._table[name]
        asked = step.prompt(turn)
        turn.say(asked)
        if step.options is not None and asked:  # a step that asks nothing shows nothing
            turn.choices = rendered(await step.options(turn))

    async def answer(self, turn: Turn, step: Step, *, quiet_reask: bool = False) -> None:
        """Take the message as the answer to ``step``; ask again if it is not one.
        ``quiet_reask``: idle at the menu, where a non-answer shows the menu."""
        msg = turn.message
        if step.options is None:
            has_media = bool(msg.media) and step.media_ok
            if not msg.text and not has_media and msg.location is None:
                turn.say(_("Please answer with a text message."))  # one line: asked already
                return
            nxt = await step.handle(turn, None)
        else:
            options = await step.options(turn)
            picked = (None if msg.choice is None and is_signed_number(msg.text)
                      else match_option(options, msg.choice, msg.folded))
            answered_by_location = msg.location is not None and step.media_ok
            if picked is None and not answered_by_location:
                if step.otherwise is not None:  # something else: the person moved on
                    turn.forget()
                    await self.goto(turn, step.otherwise)
                    return
                if quiet_reask:
                    await self.goto(turn, MENU)
                    return
                turn.say(numbered_hint([o.number or n for n, o in enumerate(options, 1)]))
                # one line: the options were shown
                return
            nxt = await step.handle(turn, picked)
        if nxt not in step.next:
            raise FlowError(f"step {step.name!r} went to {nxt!r}, not one of {step.next}")
        if nxt == RESUME:  # back to where HELP interrupted, the draft as it was
            nxt = turn.resume if turn.resume is not None and turn.resume in self._table else MENU
            turn.resume = None
        with language(turn.state.language):  # the answer may have changed it
            await self.goto(turn, nxt)


def rendered(options: Sequence[Option]) -> tuple[Choice, ...]:
    """The options as choices in the turn's language. Options a flow hands out as
    a tuple (most: the same every turn) are rendered once per language; the
    cache is keyed by their value, and translations never change once loaded."""
    if isinstance(options, tuple):
        return _rendered_in(options, current_language())
    return _render(options)


@lru_cache(maxsize=512)
def _rendered_in(options: tuple[Option, ...], lang: str) -> tuple[Choice, ...]:
    return _render(options)


def _render(options: Sequence[Option]) -> tuple[Choice, ...]:
    return tuple(Choice(o.key, _(o.label) if o.translate else o.label, o.number)
                 for o in options)


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
        if any(o.number is not None for o in options):
            return next((o for o in options if o.number == number), None)
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
