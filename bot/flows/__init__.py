"""The resident flows, assembled into one validated table."""

from __future__ import annotations

from bot.conversation.flow import FlowTable
from bot.flows import advisory, check, home, report
from bot.flows.mission import Mission


def build_flows(mission: Mission) -> FlowTable:
    table = FlowTable()
    for module in (home, report, advisory, check):
        table.add(module.steps(mission))
    return table
