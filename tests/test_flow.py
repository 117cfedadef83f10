"""The flow table is checked when the bot starts, not mid-conversation."""

from __future__ import annotations

import pytest

from bot.conversation.flow import IDLE, FlowError, FlowTable, Option, Step, static
from bot.conversation.turn import Turn


async def _go(turn: Turn, picked: Option | None) -> str:
    return IDLE


def step(name: str, *targets: str) -> Step:
    return Step(name, lambda t: name, _go, targets, options=static(Option("a", "A")))


def test_a_valid_table_passes() -> None:
    table = FlowTable()
    table.add([step("menu", "a", IDLE), step("a", IDLE)])
    table.validate(["menu"])


def test_unknown_target_is_refused() -> None:
    table = FlowTable()
    table.add([step("menu", "nowhere")])
    with pytest.raises(FlowError, match="unknown step 'nowhere'"):
        table.validate(["menu"])


def test_unreachable_step_is_refused() -> None:
    table = FlowTable()
    table.add([step("menu", IDLE), step("orphan", IDLE)])
    with pytest.raises(FlowError, match="unreachable steps: orphan"):
        table.validate(["menu"])


def test_missing_entry_and_duplicate_steps_are_refused() -> None:
    table = FlowTable()
    table.add([step("menu", IDLE)])
    with pytest.raises(FlowError, match="entry step 'help' is missing"):
        table.validate(["menu", "help"])
    with pytest.raises(FlowError, match="defined twice"):
        table.add([step("menu", IDLE)])
