"""Advisories (issue 14): checked, scheduled, fanned out from due rows in
batches that resume where they stopped, each resident once in their language
(else the default), never to someone opted out or erased; cancelled and
expired ones drop what has not gone; critical ones ahead of bulk, behind
replies. Time is moved, never slept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.broadcast.fanout import AdvisoryEnd, FanOut
from bot.broadcast.service import AdvisoryError
from bot.desk.api import Actor, DeskError
from bot.domain.messages import Inbound
from bot.outbox.payload import message_of
from bot.storage.broadcast import ADVISORY_END, BROADCAST
from bot.timers import TimerRunner
from tests.conftest import RecordingChannel, Resident, make_config

STAFF = Actor("Chantal", frozenset({"staff"}))
MODERATOR = Actor("Amina", frozenset({"moderator"}))
TEXTS = {"en": "The road to Sake is closed", "fr": "La route de Sake est fermée"}


@pytest.fixture(params=["sqlite", "memory"])
async def bapp(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[App]:
    url = {"url": "memory://"} if request.param == "memory" else {}
    app = await App.open(make_config(tmp_path, storage=url) if url else make_config(tmp_path))
    app.add_channel(RecordingChannel())
    yield app
    await app.close()


async def subscriber(app: App, who: str, lang: str = "1", area: str = "1") -> Resident:
    r = Resident(app, app.channels["console"], who)  # type: ignore[arg-type]
    await r.send("hello")
    await r.send(lang)  # 1 English, 2 French
    await r.send("2")  # Safety advisories
    await r.send("1")  # Subscribe
    done = await r.send(area)
    assert "advisories for" in done or "alertes pour" in done, done
    return r


def runner(app: App, at: datetime | None = None, batch: int = 5000) -> TimerRunner:
    """The fan-out's handlers on a clock the test sets (a second from now by default)."""
    at = at or datetime.now(UTC) + timedelta(seconds=1)
    moment = at
    run = TimerRunner(app.store, clock=lambda: moment)
    run.register(BROADCAST, FanOut(app.store, app.config.bot.default_language, batch=batch,
                                   runs=1))
    run.register(ADVISORY_END, AdvisoryEnd(app.store))
    return run


async def queued(app: App, *, send: bool = False) -> list[tuple[str, str]]:
    """(address, text) of the advisories due, each person's first (they
    leave one at a time), given back, or marked sent with ``send``."""
    later = datetime.now(UTC) + timedelta(hours=3)
    rows = await app.store.claim_outbound(later, 1000, later + timedelta(minutes=1))
    found = []
    for row in rows:
        assert row.address_sealed is not None
        if send:
            await app.store.outbound_sent(row.id, external_id=None, segments=1, now=later)
        else:
            await app.store.outbound_release(row.id)
        if row.kind == "advisory":
            found.append((app.vault.open(row.address_sealed), message_of(row, app.vault).text))
    return sorted(found)


async def test_each_resident_gets_it_once_in_their_language_or_the_default(
        bapp: App) -> None:
    await subscriber(bapp, "en-1")
    await subscriber(bapp, "fr-1", lang="2")
    both = await subscriber(bapp, "two-areas")
    await both.send("2")
    await both.send("1")
    await both.send("2")  # and Bukavu too: still one copy
    await subscriber(bapp, "elsewhere", area="3")  # Beni: not in the audience
    gone = await subscriber(bapp, "stopped")
    await gone.send("STOP")
    new = bapp.broadcasts.check(areas=["goma", "bukavu"], severity="warning", texts=TEXTS)
    advisory_id = await bapp.broadcasts.send(STAFF, new)
    assert await runner(bapp, batch=2).run_once() == 1  # one batch a run
    while await runner(bapp, batch=2).run_once():
        pass
    got = await queued(bapp, send=True)
    assert [a for a, _t in got] == ["en-1", "fr-1", "two-areas"]
    assert dict((a, t) for a, t in got) == {
        "en-1": "Warning: The road to Sake is closed",
        "fr-1": "Attention : La route de Sake est fermée",
        "two-areas": "Warning: The road to Sake is closed"}
    assert await queued(bapp) == []  # once each: nothing more
    row = await bapp.broadcasts.show(STAFF, advisory_id)
    assert (row.status, row.audience, row.progress) == ("sent", 3, {"sent": 3})
    only_en = await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="info", texts={"en": "Water at the market tomorrow"}))
    dry = await bapp.broadcasts.dry_run(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="info", texts={"en": "Water at the market tomorrow"}))
    assert dry.fallback == {"fr": 1} and dry.total == 3
    while await runner(bapp).run_once():
        pass
    fallback = [t for a, t in await queued(bapp) if a == "fr-1"]
    assert "Information: Water at the market tomorrow" in fallback  # the default's
    assert (await bapp.broadcasts.show(STAFF, only_en)).audience == 3


async def test_a_new_subscriber_gets_the_advisory_in_force(bapp: App) -> None:
    await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="critical", texts=TEXTS))
    while await runner(bapp).run_once():
        pass
    r = Resident(bapp, bapp.channels["console"], "late")  # type: ignore[arg-type]
    await r.send("hello")
    await r.send("1")
    await r.send("2")
    await r.send("1")
    answer = await r.send("1")
    assert "You will get advisories for Goma." in answer
    assert "Critical" in answer and "The road to Sake is closed" in answer


async def test_a_scheduled_advisory_goes_at_its_time(bapp: App) -> None:
    await subscriber(bapp, "en-1")
    now = datetime.now(UTC)
    at = now + timedelta(hours=2)
    advisory_id = await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="info", texts=TEXTS, starts_at=at))
    assert await runner(bapp, now + timedelta(hours=1)).run_once() == 0
    assert await queued(bapp) == []
    assert (await bapp.broadcasts.show(STAFF, advisory_id)).status == "scheduled"
    while await runner(bapp, at + timedelta(seconds=1)).run_once():
        pass
    assert [a for a, _t in await queued(bapp)] == ["en-1"]


async def test_cancelled_and_expired_advisories_drop_what_has_not_gone(bapp: App) -> None:
    for n in range(4):
        await subscriber(bapp, f"r{n}")
    now = datetime.now(UTC)
    cancelled = await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="info", texts=TEXTS))
    while await runner(bapp).run_once():
        pass
    assert await bapp.broadcasts.cancel(STAFF, cancelled) == 4
    row = await bapp.broadcasts.show(STAFF, cancelled)
    assert (row.status, row.progress) == ("cancelled", {"dropped:cancelled": 4})
    with pytest.raises(AdvisoryError):
        await bapp.broadcasts.cancel(STAFF, cancelled)
    ends = now + timedelta(hours=1)
    expiring = await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="warning", texts=TEXTS, expires_at=ends))
    while await runner(bapp).run_once():
        pass
    assert len(await queued(bapp)) == 4
    assert await runner(bapp, ends + timedelta(seconds=1)).run_once() == 1  # its end
    row = await bapp.broadcasts.show(STAFF, expiring)
    assert (row.status, row.progress) == ("expired", {"dropped:expired": 4})
    assert await queued(bapp) == []


async def test_an_interrupted_fan_out_resumes_without_a_second_copy(bapp: App) -> None:
    for n in range(7):
        await subscriber(bapp, f"r{n}")
    now = datetime.now(UTC)
    advisory_id = await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="info", texts=TEXTS))
    assert await runner(bapp, batch=3).run_once() == 1  # 3 queued, then "a crash"
    handler = FanOut(bapp.store, "en", batch=3, runs=1)  # another worker, same due row
    timers = await bapp.store.claim_due(now + timedelta(hours=1), 5,
                                        now + timedelta(hours=2), [BROADCAST])
    assert len(timers) == 1
    while await handler(timers[0], now) is not None:
        pass
    got = [a for a, _t in await queued(bapp)]
    assert got == sorted(f"r{n}" for n in range(7))  # each once
    assert (await bapp.broadcasts.show(STAFF, advisory_id)).audience == 7


async def test_only_staff_may_and_bad_input_says_what_works(bapp: App) -> None:
    with pytest.raises(DeskError) as refused:
        await bapp.broadcasts.send(MODERATOR, bapp.broadcasts.check(
            areas=["goma"], severity="info", texts=TEXTS))
    assert refused.value.kind == "forbidden"
    now = datetime.now(UTC)
    for kw, says in (({"areas": ["mars"]}, "unknown area"),
                     ({"severity": "meh"}, "no severity"),
                     ({"texts": {"xx": "hi"}}, "configured language"),
                     ({"expires_at": now - timedelta(minutes=1)}, "--expires"),
                     ({"starts_at": now - timedelta(hours=1)}, "--at"),
                     ({"channels": ["fax"]}, "no channel")):
        args = {"areas": ["goma"], "severity": "info", "texts": TEXTS, **kw}
        with pytest.raises(AdvisoryError, match=says):
            bapp.broadcasts.check(**args)  # type: ignore[arg-type]
    audit = [(r.actor, r.action, r.outcome) for r in await bapp.store.audit_rows()]
    assert ("Amina", "advisory_send", "denied") in audit


async def test_critical_goes_ahead_of_bulk_and_behind_replies(bapp: App) -> None:
    r = await subscriber(bapp, "r1")
    await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="info", texts={"en": "bulk"}))
    while await runner(bapp).run_once():
        pass
    await bapp.broadcasts.send(STAFF, bapp.broadcasts.check(
        areas=["goma"], severity="critical", texts={"en": "leave now"}))
    while await runner(bapp).run_once():
        pass
    # the resident writes meanwhile: the reply waits with them (nothing is sent here)
    await bapp.conversations.handle(Inbound(channel=r.channel.name, address="r1",
                                            text="hello", external_id="x-1",
                                            received_at=datetime.now(UTC)))
    order = []
    for _n in range(3):
        later = datetime.now(UTC) + timedelta(hours=3)
        (row,) = await bapp.store.claim_outbound(later, 10, later + timedelta(minutes=1))
        order.append(message_of(row, bapp.vault).text)
        await bapp.store.outbound_sent(row.id, external_id=None, segments=1, now=later)
    assert "leave now" in order[1] and "bulk" in order[2]
    assert "leave now" not in order[0] and "bulk" not in order[0]  # the reply first
