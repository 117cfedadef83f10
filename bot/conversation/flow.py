"""Flows as data: a table of steps, each a prompt, its options and where an
answer leads. Validated once at start; the engine walks it per message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

IDLE = "menu.idle"
"""Pseudo-step: the person finished something and sits at the main menu,
which is not re-sent (every SMS costs) but answers to its numbers."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer of a choice step.

    ``label`` is a gettext msgid when ``translate`` is true, else shown as is
    (area names from config, language names). ``aliases`` are extra words that
    pick it (e.g. language codes).
    """

    key: str
    label: str
    translate: bool = True
    aliases: tuple[str, ...] = ()


OptionSource = Callable[["Turn"], Awaitable[Sequence[Option]]]
Prompt = Callable[["Turn"], str]
Handler = Callable[["Turn", "Option | None"], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Step:
    """A question.

    ``options`` is None for a free-text step. ``handle`` gets the chosen option
    (None on free-text steps, where it reads ``turn.message``, and on choice
    steps with ``media_ok`` answered by a shared location) and returns the
    name of the next step, which must be one of ``next``.
    """

    name: str
    prompt: Prompt
    handle: Handler
    next: tuple[str, ...]
    options: OptionSource | None = None
    media_ok: bool = False


def static(*options: Option) -> OptionSource:
    async def source(turn: Turn) -> Sequence[Option]:
        return options

    return source


@dataclass(slots=True)
class FlowTable:
    steps: dict[str, Step] = field(default_factory=dict)

    def add(self, steps: Iterable[Step]) -> None:
        for step in steps:
            if step.name in self.steps:
                raise FlowError(f"step {step.name!r} defined twice")
            self.steps[step.name] = step

    def __getitem__(self, name: str) -> Step:
        return self.steps[name]

    def __contains__(self, name: object) -> bool:
        return name in self.steps

    def validate(self, required: Iterable[str]) -> None:
        """Every target exists, every required entry point exists, every step is
        reachable from one of them."""
        names = set(self.steps) | {IDLE}
        for step in self.steps.values():
            for target in step.next:
                if target not in names:
                    raise FlowError(f"step {step.name!r} leads to unknown step {target!r}")
        entries = list(required)
        for name in entries:
            if name not in names:
                raise FlowError(f"entry step {name!r} is missing")
        seen: set[str] = set()
        todo = [e for e in entries if e in self.steps]
        while todo:
            name = todo.pop()
            if name in seen or name == IDLE:
                continue
            seen.add(name)
            todo.extend(self.steps[name].next)
        unreachable = set(self.steps) - seen
        if unreachable:
            raise FlowError(f"unreachable steps: {', '.join(sorted(unreachable))}")


class FlowError(Exception):
    """A flow table that cannot work: found at start, never mid-conversation."""
