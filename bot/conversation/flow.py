"""Flows as data: a table of steps, each a prompt, its options and where an
answer leads. Each flow declares its steps, the steps others may enter it by,
and its draft; the table is validated once at start, and the engine walks it
per message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.conversation.draft import Draft

if TYPE_CHECKING:
    from bot.conversation.turn import Turn

IDLE = "menu.idle"
"""Pseudo-step: the person finished something and sits at the main menu,
which is not re-sent (every SMS costs) but answers to its numbers."""

RESUME = "resume"
"""Pseudo-step: back to the step the person left for HELP, their draft kept
(:attr:`~bot.conversation.turn.Turn.resume`); the main menu if there is none."""

# The steps the router itself sends people to; some flow must declare each.
WELCOME = "welcome.language"
MENU = "menu"
LANGUAGE = "language"
HELP = "help"
ROUTER_ENTRIES = (WELCOME, MENU, LANGUAGE, HELP)


@dataclass(frozen=True, slots=True)
class Option:
    """One answer of a choice step.

    ``label`` is a gettext msgid when ``translate`` is true, else shown as is
    (area names from config, language names). ``aliases`` are extra words that
    pick it (e.g. language codes). ``number``: shown and picked by it instead
    of its place (an area keeps its number in every list of areas).
    """

    key: str
    label: str
    translate: bool = True
    aliases: tuple[str, ...] = ()
    number: int | None = None


OptionSource = Callable[["Turn"], Awaitable[Sequence[Option]]]
Prompt = Callable[["Turn"], str]
Handler = Callable[["Turn", "Option | None"], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Step:
    """A question.

    ``options`` is None for a free-text step. ``handle`` gets the chosen option
    (None on free-text steps, where it reads ``turn.message``, and on choice
    steps with ``media_ok`` answered by a shared location) and returns the
    name of the next step, which must be one of ``next``. ``lasts``: how long
    the step waits for its answer when that is longer than a session (a
    question the bot asked of its own accord, answered whenever the person
    next writes); None: as long as a session.
    """

    name: str
    prompt: Prompt
    handle: Handler
    next: tuple[str, ...]
    options: OptionSource | None = None
    media_ok: bool = False
    lasts: timedelta | None = None
    otherwise: str | None = None  # where a message that picks no option goes (None: asked
    # again): a poll's options stay the person's choice until they send something else


def static(*options: Option) -> OptionSource:
    async def source(turn: Turn) -> Sequence[Option]:
        return options

    return source


@dataclass(frozen=True, slots=True)
class Flow:
    """One capability's conversation: its steps, the ones it may be entered by
    (from the menu, a keyword, another flow), and the draft it keeps."""

    name: str
    steps: tuple[Step, ...]
    entries: tuple[str, ...]
    drafts: tuple[type[Draft], ...] = ()


@dataclass(slots=True)
class FlowTable:
    steps: dict[str, Step] = field(default_factory=dict)
    entries: list[str] = field(default_factory=list)
    drafts: list[type[Draft]] = field(default_factory=list)

    def add(self, flow: Flow) -> None:
        for step in flow.steps:
            if step.name in self.steps:
                raise FlowError(f"step {step.name!r} defined twice")
            self.steps[step.name] = step
        for entry in flow.entries:
            if not any(step.name == entry for step in flow.steps):
                raise FlowError(f"flow {flow.name!r} enters by {entry!r}, not one of its steps")
        self.entries.extend(flow.entries)
        self.drafts.extend(flow.drafts)

    def __getitem__(self, name: str) -> Step:
        return self.steps[name]

    def __contains__(self, name: object) -> bool:
        return name in self.steps

    def validate(self, required: Iterable[str] = ROUTER_ENTRIES) -> None:
        """Every target exists, every step the router needs is a declared entry,
        every step is reachable from an entry."""
        names = set(self.steps) | {IDLE, RESUME}
        for step in self.steps.values():
            for target in step.next:
                if target not in names:
                    raise FlowError(f"step {step.name!r} leads to unknown step {target!r}")
        for name in required:
            if name not in self.entries:
                raise FlowError(f"entry step {name!r} is missing")
        entries = list(self.entries)
        seen: set[str] = set()
        todo = [e for e in entries if e in self.steps]
        while todo:
            name = todo.pop()
            if name in seen or name in (IDLE, RESUME):
                continue
            seen.add(name)
            todo.extend(self.steps[name].next)
        unreachable = set(self.steps) - seen
        if unreachable:
            raise FlowError(f"unreachable steps: {', '.join(sorted(unreachable))}")


class FlowError(Exception):
    """A flow table that cannot work: found at start, never mid-conversation."""
