"""The flow table is checked when the bot starts, not mid-conversation."""

from __future__ import annotations

import pytest

from bot.conversation.draft import Draft, DraftCodec
from bot.conversation.flow import IDLE, Flow, FlowError, FlowTable, Option, Step, static
from bot.conversation.turn import Turn
from bot.flows.check import CheckDraft
from bot.flows.report import ReportDraft
from moderation.anonymise import Anonymiser


async def _go(turn: Turn, picked: Option | None) -> str:
    return IDLE


def step(name: str, *targets: str) -> Step:
    return Step(name, lambda t: name, _go, targets, options=static(Option("a", "A")))


def flow(*steps: Step, entries: tuple[str, ...] = ("menu",)) -> Flow:
    return Flow("test", steps=steps, entries=entries)


def test_a_valid_table_passes() -> None:
    table = FlowTable()
    table.add(flow(step("menu", "a", IDLE), step("a", IDLE)))
    table.validate(["menu"])


def test_unknown_target_is_refused() -> None:
    table = FlowTable()
    table.add(flow(step("menu", "nowhere")))
    with pytest.raises(FlowError, match="unknown step 'nowhere'"):
        table.validate(["menu"])


def test_unreachable_step_is_refused() -> None:
    table = FlowTable()
    table.add(flow(step("menu", IDLE), step("orphan", IDLE)))
    with pytest.raises(FlowError, match="unreachable steps: orphan"):
        table.validate(["menu"])


def test_a_step_another_flow_enters_by_is_reachable() -> None:
    table = FlowTable()
    table.add(flow(step("menu", IDLE)))
    table.add(flow(step("other", IDLE), entries=("other",)))
    table.validate(["menu"])  # "other" is nobody's target, but its flow declares it


def test_missing_entry_and_duplicate_steps_are_refused() -> None:
    table = FlowTable()
    table.add(flow(step("menu", IDLE)))
    with pytest.raises(FlowError, match="entry step 'help' is missing"):
        table.validate(["menu", "help"])
    with pytest.raises(FlowError, match="defined twice"):
        table.add(flow(step("menu", IDLE)))
    with pytest.raises(FlowError, match="enters by 'elsewhere'"):
        FlowTable().add(flow(step("x", IDLE), entries=("elsewhere",)))


def test_drafts_round_trip_through_session_data() -> None:
    codec = DraftCodec([ReportDraft, CheckDraft])
    described = Anonymiser(["CD"]).redact("call 0812345678 now")
    draft = ReportDraft(category="threat", description=described, media=("photo",),
                        area="goma", contactable=True)
    data = codec.encode(draft)
    assert data["draft"] == "report" and data["description"] == "call [phone] now"
    assert codec.decode(data) == draft
    assert codec.decode(codec.encode(CheckDraft(tries=2))) == CheckDraft(tries=2)
    assert codec.encode(None) == {} and codec.decode({}) is None


def test_data_that_is_no_draft_any_more_is_dropped() -> None:
    codec = DraftCodec([ReportDraft])
    assert codec.decode({"draft": "report", "category": "threat"}) is None  # fields missing
    assert codec.decode({"draft": "gone", "x": 1}) is None  # a flow since removed
    assert codec.decode({"category": "threat", "description": "x"}) is None  # untyped data


def test_a_draft_no_flow_declares_cannot_be_stored() -> None:
    class Stray(Draft):
        kind = "stray"

        def to_data(self) -> dict[str, object]:
            return {}

        @classmethod
        def from_data(cls, data: object) -> Stray:
            return cls()

    with pytest.raises(ValueError, match="not declared"):
        DraftCodec([ReportDraft]).encode(Stray())
    with pytest.raises(ValueError, match="declared twice"):
        DraftCodec([ReportDraft, ReportDraft])
