"""A report's draft dies with its flow: leaving it by MENU, LANGUAGE or STOP, or
letting the session time out, leaves nothing of it in the session the store keeps.
HELP keeps it, to go back to, until the person leaves Help some other way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.conversation.flood import FLOOD
from bot.storage.coarse import session_time
from tests.conftest import Resident, code_of
from tests.test_flows_en import onboard

DESCRIPTION = "Men in uniform took the maize from the depot at night"


async def half_written(app: App, r: Resident, at: datetime) -> None:
    """A report with its category and description, waiting for its area."""
    await r.send("hello", at=at)
    await r.send("1", at=at)
    await r.send("1", at=at)
    await r.send("1", at=at)
    assert "Which area?" in await r.send(DESCRIPTION, at=at)
    assert DESCRIPTION in str(await session_data(app, r))  # the control: it is kept now


async def session_data(app: App, r: Resident) -> dict[str, object]:
    """What the session keeps of the conversation (the sender's flood-control
    bucket aside: bot.conversation.flood)."""
    convo = await app.store.load(app.conversations.contact_id(r.channel.name, r.address))
    assert convo is not None
    data = {} if convo.session is None else dict(convo.session.data)
    data.pop(FLOOD, None)
    return data


@pytest.mark.parametrize("keyword", ["MENU", "LANGUAGE", "STOP", "langue"])
async def test_a_keyword_leaves_the_report_and_its_draft(app: App, resident, keyword: str
                                                         ) -> None:
    r = resident(f"drafter-{keyword}")
    now = datetime.now(UTC)
    await half_written(app, r, now)
    await r.send(keyword, at=now)
    assert await session_data(app, r) == {}


@pytest.mark.parametrize("keyword", ["HELP", "aide"])
async def test_help_keeps_the_draft_and_goes_back_to_it(app: App, resident,
                                                        keyword: str) -> None:
    r = resident(f"helped-{keyword}")
    now = datetime.now(UTC)
    await half_written(app, r, now)
    helped = await r.send(keyword, at=now)
    assert helped.endswith("3. About you (optional)\n4. Back to your report")
    assert DESCRIPTION in str(await session_data(app, r))  # kept while at Help
    assert (await r.send("9", at=now)) == "Please reply 1-4."  # still kept
    assert "Which area?" in await r.send("4", at=now)  # where HELP found them
    await r.send("1", at=now)
    await r.send("2", at=now)
    stored = await app.store.report_by_ref(code_of(await r.send("1", at=now)))
    assert stored is not None and stored.description == DESCRIPTION


async def test_leaving_help_another_way_drops_the_draft(app: App, resident) -> None:
    r = resident("helped-menu")
    now = datetime.now(UTC)
    await half_written(app, r, now)
    await r.send("HELP", at=now)
    assert "What would you like to do?" in await r.send("2", at=now)  # Back to the menu
    assert await session_data(app, r) == {}
    assert "Back to your report" not in await r.send("HELP", at=now)  # nothing to go back to


async def test_a_timed_out_draft_is_dropped_whatever_comes_next(app: App, resident) -> None:
    timeout = timedelta(minutes=app.config.bot.session_timeout_minutes)
    for n, next_message in enumerate(["1", "MENU", "hello again"]):
        r = resident(f"slow-{n}")
        start = datetime.now(UTC)
        await half_written(app, r, start)
        later = session_time(start) + timeout + timedelta(seconds=1)
        await r.send(next_message, at=later)
        assert await session_data(app, r) == {}, next_message


async def test_back_to_the_menu_starts_a_report_afresh(app: App, resident) -> None:
    r = resident("again")
    await onboard(r)
    await r.send("1")
    await r.send("2")  # a threat
    await r.send("MENU")
    await r.send("1")
    await r.send("3")  # displacement, this time
    await r.send("Families left the camp")
    await r.send("1")
    await r.send("2")
    assert (await r.send("1")).startswith("Thank you")
    reports = await app.store.list_reports()
    assert [(x.category, x.description) for x in reports] == [
        ("displacement", "Families left the camp")]
