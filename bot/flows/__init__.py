"""The resident flows, assembled into one validated table."""

from __future__ import annotations

from bot.conversation.flow import Flow
from bot.conversation.mission import Mission
from bot.flows import advisory, check, home, poll, profile, report, satisfaction


def build_flows(mission: Mission) -> list[Flow]:
    """Every resident flow, in menu order; the engine validates them together."""
    return [module.flow(mission) for module in (home, report, advisory, check,
                                                satisfaction, poll, profile)]
