"""The outbox under faults, end to end: `sauti serve`'s service in-process, Twilio's
webhooks signed and posted to it, real SMS sends through the twilio client to the
fake Twilio server, a real SQLite file that another connection locks or refuses
writes to. Time is a clock the test moves (tests.fakes.clock), shared with the
fake's rate limit, except where a real lock needs real seconds."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.domain.records import Contact, NewOutbound, TurnWrite
from bot.web.service import Service
from tests.conftest import make_config
from tests.fakes.clock import ManualClock
from tests.fakes.twilio import FakeTwilio, sms_form
from tests.test_twilio import Bot as TwilioBot

pytestmark = [  # twilio 9.13 still passes aiohttp.BasicAuth, which aiohttp 3.14 deprecates
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

PUBLIC = "https://bot.example.org"
SMS_FROM = "+15005550006"
SMS_PATH = "/webhooks/twilio/sms"
NO_SENT_MARKS = ("CREATE TRIGGER no_sent_marks BEFORE UPDATE OF status ON outbox"
                 " WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'disk says no'); END")


class Bot(TwilioBot):
    """The running service of tests/test_twilio.py, and what these tests read of it."""

    async def post_sms(self, number: str, text: str) -> int:
        """A signed inbound SMS posted to the webhook; its HTTP status."""
        status, _body, _type = await self.post(SMS_PATH, sms_form(number, SMS_FROM, text))
        return status

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.get(self.base + "/healthz") as resp:
            return resp.status, await resp.json()

    async def store_up(self) -> str:
        async with aiohttp.ClientSession() as http, http.get(self.base + "/metrics") as resp:
            lines = (await resp.text()).splitlines()
        return next(line for line in lines if line.startswith("sauti_store_up "))

    def statuses(self) -> Counter[str]:
        return Counter(r[0] for r in self.rows("SELECT status FROM outbox"))


@asynccontextmanager
async def serving(tmp_path: Path, fake: FakeTwilio, clock: ManualClock | None = None, *,
                  sms_per_second: float = 50, **outbox: Any) -> AsyncIterator[Bot]:
    config = make_config(
        tmp_path, server={"public_url": PUBLIC + "/"},
        twilio={"enabled": True, "account_sid": fake.account_sid,
                "auth_token": fake.auth_token, "sms_from": SMS_FROM,
                "api_base_url": fake.base_url, "sms_per_second": sms_per_second,
                "send_timeout_seconds": 5},
        outbox=outbox)
    app = await App.open(config, clock=clock)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    try:
        yield Bot(app, service, fake, tmp_path / "sauti.db")
    finally:
        await service.stop()
        await app.close()


async def queue(app: App, people: int, each: int) -> list[str]:
    """``each`` messages queued for each of ``people`` residents, in rounds ("p3 m1":
    the fourth one's second); their numbers."""
    numbers = [f"+24381{p:07d}" for p in range(people)]
    for i in range(each):
        for p, number in enumerate(numbers):
            now = datetime.now(UTC)
            sealed = app.vault.seal(number)
            cid = app.conversations.contact_id("sms", number)
            contact = Contact(cid, f"k1:p{p}", "sms", sealed, "en", False, now, now)
            await app.store.commit_turn(TurnWrite(contact=contact, session=None, outbound=[
                NewOutbound(cid, "sms", sealed, "advisory", {"text": f"p{p} m{i}"})]))
    app.dispatcher.wake()
    return numbers


def in_order(fake: FakeTwilio) -> dict[str, list[int]]:
    """Per number, the indexes of its messages in the order the provider got them."""
    order: dict[str, list[int]] = {}
    for m in fake.messages:
        order.setdefault(m["To"], []).append(int(m["Body"].split(" m")[1]))
    return order


async def real_wait(check: Callable[[], bool], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.02)


def records(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


# ------------------------------------------------------------------- the store


async def test_a_long_lock_while_idle_is_a_spell_then_replies_flow(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Another connection holds the database's write lock for 6 s (an operator's
    sqlite3 session, a backup) while the outbox is idle: its claim runs into the
    5 s busy timeout. The dispatcher lives on, /healthz says the store is down
    since when (503), and once the lock is gone the next resident gets a reply and
    /healthz shows the spell that was. Logged once, with the error's type and code."""
    caplog.set_level(logging.INFO)
    async with FakeTwilio() as fake, serving(tmp_path, fake) as bot:
        locker = sqlite3.connect(bot.db, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        held_from = time.monotonic()
        try:
            async with asyncio.timeout(12):
                while (await bot.health())[1]["store"]["state"] == "up":
                    await asyncio.sleep(0.1)
            status, during = await bot.health()
            gauge_during = await bot.store_up()
            await asyncio.sleep(max(0.0, 6 - (time.monotonic() - held_from)))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert status == 503 and during["status"] == "unavailable"
        spell = during["store"]["down"]
        assert during["store"]["since"] == spell["began"]
        assert (spell["error"], spell["doing"]) == ("StoreBusy SQLITE_BUSY", "claiming messages")

        assert await bot.post_sms("+243810000101", "hello") == 200
        await real_wait(lambda: len(fake.sent_to("+243810000101")) == 1, 10)
        status, after = await bot.health()
        assert (gauge_during, await bot.store_up()) == ("sauti_store_up 0", "sauti_store_up 1")
    assert status == 200 and after["status"] == "ok"
    store = after["store"]
    assert store["state"] == "up" and store["last_down"]["began"] == spell["began"]
    assert store["since"] == store["last_down"]["ended"] > spell["began"]
    began = records(caplog, "store unavailable")
    assert len(began) == 1 and began[0].levelno == logging.ERROR
    assert "StoreBusy SQLITE_BUSY" in began[0].getMessage()
    assert len(records(caplog, "store answering again")) == 1
    assert not [r for r in caplog.records if "+243" in r.getMessage()]


async def test_a_sent_mark_the_store_refuses_is_tried_again_not_the_send(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The reply went out but the database refuses to mark it sent (a trigger
    stands in for a full disk): the mark is tried again and again while the clock
    runs through many leases, the message stays held (its lease renewed) and is
    never sent again; once the store takes the mark, one send in all."""
    caplog.set_level(logging.INFO)
    clock = ManualClock()
    async with FakeTwilio(clock=clock.monotonic) as fake, \
            serving(tmp_path, fake, clock, lease_seconds=10) as bot:
        with sqlite3.connect(bot.db) as db:
            db.execute(NO_SENT_MARKS)
        assert await bot.post_sms("+243810000201", "hello") == 200
        await clock.run_until(lambda: len(fake.messages) == 1, most=5)
        start = clock.elapsed
        await clock.run_until(lambda: clock.elapsed - start >= 120)  # twelve leases
        assert len(fake.messages) == 1
        assert bot.rows("SELECT status, attempts FROM outbox") == [("sending", 0)]
        status, health = await bot.health()
        assert status == 503 and health["store"]["down"]["doing"] == "marking a message sent"
        assert health["store"]["down"]["failures"] >= 10
        with sqlite3.connect(bot.db) as db:
            db.execute("DROP TRIGGER no_sent_marks")
        await clock.run_until(lambda: bot.statuses() == {"sent": 1}, most=30)
        await clock.run_until(lambda: clock.elapsed - start >= 180)
        assert (await bot.health())[1]["store"]["state"] == "up"
    assert len(fake.messages) == 1
    assert bot.rows("SELECT attempts, external_id FROM outbox") == [(1, fake.messages[0]["sid"])]
    assert len(records(caplog, "store unavailable")) == 1
    assert not records(caplog, "could not be stored")


# ------------------------------------------------------------------ the rate


async def test_eighty_residents_at_one_sms_a_second_get_one_welcome_each(
        tmp_path: Path) -> None:
    """80 residents greet at once; the sender may send 1 segment a second (the
    fake refuses faster), and the backlog lasts longer than a lease: every one
    gets the welcome, and once only."""
    clock = ManualClock()
    async with FakeTwilio(clock=clock.monotonic) as fake:
        fake.limit(per_second=1, burst=1)
        async with serving(tmp_path, fake, clock, sms_per_second=1, lease_seconds=20) as bot:
            numbers = [f"+2438100003{n:02d}" for n in range(80)]
            statuses = await asyncio.gather(*(bot.post_sms(n, "hello") for n in numbers))
            assert set(statuses) == {200}
            def sending() -> bool:  # the clock waits for a send to reach the fake
                return bot.app.dispatcher.in_flight > 0

            await clock.run_until(lambda: {m["To"] for m in fake.messages} >= set(numbers),
                                  most=600, busy=sending)
            backlog = clock.elapsed
            assert backlog > 3 * 20  # three leases and more
            await clock.run_until(lambda: clock.elapsed >= backlog + 60, busy=sending)
            depth = await bot.app.store.outbox_depth()
    counts = Counter(m["To"] for m in fake.messages)
    assert set(counts) == set(numbers)
    assert sorted(counts.values()) == [1] * 80  # and nothing more came after
    assert depth == 0
    assert fake.http_429 == 0  # within the rate, not found out by the provider


# ---------------------------------------------------------- order, the provider


async def test_a_crash_mid_backlog_keeps_each_persons_order(tmp_path: Path) -> None:
    """The dispatcher dies hard with sends in flight (the fake holds their
    answers), a new one starts at once: each person's messages still reach the
    provider in order, all of them, and only those in flight may come twice."""
    clock = ManualClock()
    async with FakeTwilio(clock=clock.monotonic) as fake:
        async with serving(tmp_path, fake, clock, sms_per_second=4, concurrency=4,
                           lease_seconds=10) as first:
            numbers = await queue(first.app, 12, 4)
            await clock.run_until(lambda: len(fake.messages) >= 14, most=60)
            fake.hang_next(4, seconds=0.5)
            await clock.run_until(lambda: sum(c.status is None for c in fake.calls) >= 3,
                                  most=5)
            dispatcher = first.service._dispatcher
            assert dispatcher is not None
            dispatcher.cancel()  # the crash: no mark is written any more
            with pytest.raises(asyncio.CancelledError):
                await dispatcher
            first.service._dispatcher = None
            fake.clear_faults()  # held answers not yet asked for are not held any more
            await real_wait(lambda: all(c.status is not None for c in fake.calls), 5)
        async with serving(tmp_path, fake, clock, sms_per_second=4, concurrency=4,
                           lease_seconds=10) as second:
            everything = {(n, i) for n in numbers for i in range(4)}
            await clock.run_until(lambda: {(m["To"], int(m["Body"][-1]))
                                           for m in fake.messages} >= everything, most=120)
            await clock.run_until(lambda: second.statuses() == {"sent": 48}, most=60)
    order = in_order(fake)
    assert set(order) == set(numbers)
    for number, indexes in order.items():
        assert indexes == sorted(indexes), (number, indexes)
        assert set(indexes) == {0, 1, 2, 3}
    twice = sum(len(indexes) - 4 for indexes in order.values())
    assert twice <= 4


async def test_a_5xx_spell_as_long_as_retry_max_loses_nothing(tmp_path: Path) -> None:
    """Twilio answers 500 to every send for retry_max_seconds (300 s here): the
    channel is degraded, each message's tries are spread over that long, and
    once Twilio is back every message goes, none failed, each person's in order."""
    clock = ManualClock()
    async with FakeTwilio(clock=clock.monotonic) as fake:
        fake.fail_next(10**6, 500)
        async with serving(tmp_path, fake, clock, sms_per_second=5,
                           retry_max_seconds=300) as bot:
            numbers = await queue(bot.app, 5, 2)
            over = clock.elapsed + 300
            seen: list[str] = []

            def outage() -> None:
                seen.append(bot.app.dispatcher.channel_state("sms"))
                if clock.elapsed >= over and fake._faults:
                    fake.clear_faults()

            await clock.run_until(lambda: sum(bot.statuses().values()) ==
                                  bot.statuses()["sent"] + bot.statuses()["failed"],
                                  most=3000, every=outage)
            tries = bot.rows("SELECT MAX(attempts) FROM outbox")[0][0]
    assert bot.statuses() == {"sent": 10}
    assert tries >= 3  # the spell did cost tries: it is the provider's failure, not ours
    assert "degraded" in seen
    order = in_order(fake)
    assert set(order) == set(numbers)
    assert all(indexes == [0, 1] for indexes in order.values())
