"""The outbox dispatcher: order per person, rates, retries, crash and restart.

The channel here is a small in-process implementation of our own Channel
interface (no SDK involved); the channel tests drive the same dispatcher
against the fake Telegram and Twilio servers.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.domain.messages import Outbound
from bot.domain.records import Contact, NewOutbound, TurnWrite
from bot.outbox.ratelimit import RateLimiter
from bot.transport.channel import (
    Capabilities,
    Channel,
    Cutting,
    Rendered,
    SendError,
    SendResult,
    Throttle,
)
from tests.conftest import make_config


@dataclass
class SlowChannel(Channel):
    name: str = "sms"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(
        cutting=Cutting.SEGMENTS, billed_by_segment=True, gsm_friendly=True))
    delay: float = 0.005
    per_second: float = 1000.0
    sent: list[tuple[str, str, float]] = field(default_factory=list)
    failures: list[SendError] = field(default_factory=list)

    async def send(self, address: str, message: Outbound,
                   rendered: Rendered | None = None) -> SendResult:
        await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((address, message.text, time.monotonic()))
        return SendResult(external_id=f"x{len(self.sent)}", segments=1)

    def throttles(self, address: str, rendered: Rendered) -> list[Throttle]:
        return [Throttle("sms:test", self.per_second, burst=1)]


async def queue(app: App, items: list[tuple[str, str]], kind: str = "reply") -> None:
    """Queue (address, text) messages, one contact per address."""
    now = datetime.now(UTC)
    by_address: dict[str, list[str]] = {}
    for address, text in items:
        by_address.setdefault(address, []).append(text)
    for address, texts in by_address.items():
        sealed = app.vault.seal(address)
        cid = app.conversations.contact_id("sms", address)
        contact = Contact(cid, "k1:p", "sms", sealed, "en", False, now, now)
        await app.store.commit_turn(TurnWrite(contact=contact, session=None, outbound=[
            NewOutbound(cid, "sms", sealed, kind, {"text": t, "kind": kind}) for t in texts]))


@pytest.fixture
async def slow_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = await App.open(make_config(tmp_path, outbox={"concurrency": 8, "lease_seconds": 1}))
    channel = SlowChannel()
    app.add_channel(channel)
    yield app, channel
    await app.close()


async def test_one_persons_messages_stay_in_order(slow_app) -> None:  # type: ignore[no-untyped-def]
    app, channel = slow_app
    items = [(f"+2438100001{p:02d}", f"{p}-{i}") for i in range(5) for p in range(10)]
    await queue(app, items)
    await app.dispatcher.drain()
    assert len(channel.sent) == 50
    for p in range(10):
        mine = [text for address, text, _ in channel.sent if address == f"+2438100001{p:02d}"]
        assert mine == [f"{p}-{i}" for i in range(5)]


async def test_rate_is_respected(slow_app) -> None:  # type: ignore[no-untyped-def]
    app, channel = slow_app
    channel.per_second = 50.0
    await queue(app, [(f"+24381000020{i % 5}", f"m{i}") for i in range(40)])
    await app.dispatcher.drain()
    stamps = sorted(at for _, _, at in channel.sent)
    assert len(stamps) == 40
    assert stamps[-1] - stamps[0] >= 39 / 50 * 0.95  # no faster than 50/s


async def test_retry_after_is_honoured_and_failures_are_bounded(slow_app) -> None:  # type: ignore[no-untyped-def]
    app, channel = slow_app
    channel.failures = [SendError("HTTP 429", retryable=True, retry_after=0.3)]
    await queue(app, [("+243810000301", "hello")])
    t0 = time.monotonic()
    await app.dispatcher.drain()  # first try fails, retry not due yet
    assert channel.sent == []
    while not channel.sent and time.monotonic() - t0 < 3:
        await asyncio.sleep(0.05)
        await app.dispatcher.drain()
    assert [text for _, text, _ in channel.sent] == ["hello"]
    assert channel.sent[0][2] - t0 >= 0.3

    channel.failures = [SendError("HTTP 400 21211", retryable=False)]
    await queue(app, [("+243810000302", "bad number")])
    await app.dispatcher.drain()
    assert app.metrics.outbound.get(channel="sms", result="failed") == 1
    assert await app.store.outbox_depth() == 0


async def test_retries_give_up_after_max_attempts(tmp_path: Path) -> None:
    app = await App.open(make_config(tmp_path, outbox={"max_attempts": 3}))
    channel = SlowChannel()
    channel.failures = [SendError("HTTP 500", retryable=True, retry_after=0.0)] * 5
    app.add_channel(channel)
    await queue(app, [("+243810000401", "x")])
    for _ in range(5):
        await app.dispatcher.drain()
    assert channel.sent == [] and await app.store.outbox_depth() == 0
    import sqlite3

    db = sqlite3.connect(str(tmp_path / "sauti.db"))
    assert db.execute("SELECT status, attempts, last_error FROM outbox").fetchall() == [
        ("failed", 3, "HTTP 500")]
    db.close()
    await app.close()


async def test_opted_out_contacts_get_no_broadcasts(slow_app) -> None:  # type: ignore[no-untyped-def]
    app, channel = slow_app
    channel.failures = [SendError("21610 unsubscribed", retryable=False, opted_out=True)]
    await queue(app, [("+243810000501", "reply")])
    await app.dispatcher.drain()
    cid = app.conversations.contact_id("sms", "+243810000501")
    convo = await app.store.load(cid)
    assert convo is not None and convo.contact.opted_out
    c = convo.contact
    await app.store.commit_turn(TurnWrite(contact=c, session=None, outbound=[
        NewOutbound(c.id, "sms", c.address_sealed, "advisory", {"text": "a", "kind": "advisory"})]))
    await app.dispatcher.drain()
    assert channel.sent == []
    assert app.metrics.outbound.get(channel="sms", result="failed") == 2


async def test_crash_mid_batch_then_restart_delivers_everything(tmp_path: Path) -> None:
    """Kill the dispatcher while sends are in flight; a new process finishes the work.

    Window: only messages in flight at the crash (at most `concurrency`) may
    arrive twice; all others exactly once."""
    config = make_config(tmp_path, outbox={"concurrency": 4, "lease_seconds": 0.5})
    first = await App.open(config)
    channel = SlowChannel(delay=0.02)
    first.add_channel(channel)
    await queue(first, [(f"+2438100006{i:02d}", f"m{i}") for i in range(60)])
    runner = asyncio.create_task(first.dispatcher.run(idle_wait=0.05))
    while len(channel.sent) < 10:
        await asyncio.sleep(0.005)
    runner.cancel()  # the crash: in-flight sends are cut wherever they are
    with pytest.raises(asyncio.CancelledError):
        await runner
    await first.store.close()

    await asyncio.sleep(0.6)  # the leases of the claimed-but-unconfirmed run out
    second = await App.open(config)
    second.add_channel(channel)
    await second.dispatcher.drain()
    counts = Counter(text for _, text, _ in channel.sent)
    assert set(counts) == {f"m{i}" for i in range(60)}
    duplicates = [t for t, n in counts.items() if n > 1]
    assert len(duplicates) <= config.outbox.concurrency
    assert await second.store.outbox_depth() == 0
    await second.close()


async def test_no_crash_no_duplicates(slow_app) -> None:  # type: ignore[no-untyped-def]
    app, channel = slow_app
    await queue(app, [(f"+2438100007{i:02d}", f"m{i}") for i in range(100)])
    runner = asyncio.create_task(app.dispatcher.run(idle_wait=0.05))
    while len(channel.sent) < 100:
        await asyncio.sleep(0.01)
    app.dispatcher.stop()
    await runner
    assert sorted(Counter(t for _, t, _ in channel.sent).values()) == [1] * 100


async def test_limiter_spaces_concurrent_callers() -> None:
    limiter = RateLimiter()
    stamps: list[float] = []

    async def one() -> None:
        await limiter.acquire([Throttle("k", 100.0, burst=1)])
        stamps.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(21)))
    stamps.sort()
    assert stamps[-1] - stamps[0] >= 0.19


@pytest.mark.parametrize(("tries", "base", "span"), [(8, 2.0, 600.0), (8, 0.1, 600.0),
                                                    (3, 2.0, 60.0), (8, 100.0, 600.0),
                                                    (2, 2.0, 600.0)])
def test_a_messages_tries_are_spread_over_retry_max(tries: int, base: float,
                                                     span: float) -> None:
    """The waits between a message's tries start near retry_base, grow, and add up
    to retry_max_seconds at least (so an outage that long loses nothing), none
    longer than it; the old backoff spent 8 tries from 2 s in about 45 s."""
    from bot.outbox.retries import spread

    for _ in range(50):
        waits = [spread(attempt, tries, base, span) for attempt in range(tries - 1)]
        assert sum(waits) >= span
        assert all(w <= span for w in waits)
        assert waits == sorted(waits) or max(waits) == span
    if tries > 2:
        assert base <= spread(0, tries, base, span) <= base * 1.25
    assert len({spread(1, 8, 2.0, 600.0) for _ in range(10)}) > 1  # jitter


async def test_a_persons_later_messages_wait_for_their_retry(slow_app) -> None:  # type: ignore[no-untyped-def]
    """Claimed together, a person's first message fails and backs off: the later
    ones claimed with it go back untried, and leave after it, in order."""
    app, channel = slow_app
    channel.failures = [SendError("HTTP 500", retryable=True, retry_after=0.2)]
    await queue(app, [("+243810000901", f"m{i}") for i in range(3)])
    await app.dispatcher.drain()
    assert channel.sent == []  # m0 backs off; m1 and m2 went back, untried
    t0 = time.monotonic()
    while len(channel.sent) < 3 and time.monotonic() - t0 < 3:
        await asyncio.sleep(0.05)
        await app.dispatcher.drain()
    assert [text for _, text, _ in channel.sent] == ["m0", "m1", "m2"]


async def test_errors_are_logged_by_type_and_code_only(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A provider's or a bug's error message may quote a number or a text: the
    outbox logs only its type, the provider's code and where a bug was raised."""
    import logging

    @dataclass
    class Leaky(SlowChannel):
        calls: int = 0

        async def send(self, address: str, message: Outbound,
                       rendered: Rendered | None = None) -> SendResult:
            self.calls += 1
            if self.calls == 1:
                raise SendError(f"bad request: chat {address} says {message.text}",
                                retryable=True, retry_after=0)
            if self.calls == 2:
                raise ValueError(f"cannot send {message.text!r} to {address}")
            return await super().send(address, message, rendered)

    caplog.set_level(logging.INFO)
    app = await App.open(make_config(tmp_path, outbox={"max_attempts": 2}))
    channel = Leaky()
    app.add_channel(channel)
    try:
        await queue(app, [("+243810000902", "my secret words")])
        await app.dispatcher.drain()
        await app.dispatcher.drain()
    finally:
        await app.close()
    lines = [r.getMessage() for r in caplog.records]
    assert any("(SendError bad request)" in line for line in lines), lines
    assert any("unexpected ValueError at test_outbox.py:" in line for line in lines), lines
    assert not [line for line in lines if "+243" in line or "secret" in line]
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_process_claims_only_what_it_can_send(slow_app) -> None:  # type: ignore[no-untyped-def]
    """`sauti console` next to `sauti serve` must not take (and fail) Telegram's messages."""
    app, _channel = slow_app
    now = datetime.now(UTC)
    sealed = app.vault.seal("700001")
    contact = Contact("k1:tg", "k1:p", "telegram", sealed, "en", False, now, now)
    await app.store.commit_turn(TurnWrite(contact=contact, session=None, outbound=[
        NewOutbound("k1:tg", "telegram", sealed, "reply", {"text": "for telegram"})]))
    assert await app.dispatcher.drain() == 0
    assert await app.store.outbox_depth() == 1
    assert app.metrics.outbound.get(channel="telegram", result="failed") == 0


async def test_stop_gives_back_what_waits_for_its_turn(slow_app) -> None:  # type: ignore[no-untyped-def]
    """At 1 SMS a second a backlog waits in the rate limiter: stopping must not wait
    for it, and what was never tried goes back to the queue with no try counted."""
    app, channel = slow_app
    channel.per_second = 1.0
    await queue(app, [(f"+2438100008{i:02d}", f"m{i}") for i in range(10)])
    runner = asyncio.create_task(app.dispatcher.run(idle_wait=0.05))
    while not channel.sent:
        await asyncio.sleep(0.01)
    t0 = time.monotonic()
    app.dispatcher.stop()
    await asyncio.wait_for(runner, 2)
    assert time.monotonic() - t0 < 1.0
    assert len(channel.sent) == 1
    import sqlite3

    db = sqlite3.connect(str(Path(app.config.storage.url.removeprefix("sqlite:///"))))
    rows = db.execute("SELECT status, attempts, COUNT(*) FROM outbox GROUP BY status, attempts"
                      ).fetchall()
    db.close()
    assert sorted(rows) == [("pending", 0, 9), ("sent", 1, 1)]


async def test_a_channel_down_spends_no_tries_and_waits_as_long_as_the_spell(
        tmp_path: Path) -> None:
    """Each send that finds the channel down waits about as long as the channel has been
    down (from retry_base up to retry_max), spends no try, and a spell over for longer
    than retry_max starts afresh."""
    import sqlite3

    config = make_config(tmp_path, outbox={"max_attempts": 1, "retry_base_seconds": 0.05,
                                           "retry_max_seconds": 0.4})
    app = await App.open(config)
    channel = SlowChannel(delay=0)
    app.add_channel(channel)
    down = SendError("sms: transport ClientConnectorError", retryable=True, channel_down=True)
    channel.failures = [down, down, down]

    def row() -> tuple[str, int, float]:
        with sqlite3.connect(tmp_path / "sauti.db") as db:
            status, attempts, due = db.execute(
                "SELECT status, attempts, next_attempt_at FROM outbox").fetchone()
        return status, attempts, (datetime.fromisoformat(due) - datetime.now(UTC)).total_seconds()

    async def try_when_due() -> None:
        while not await app.dispatcher.run_once():  # returns once the marks are stored
            await asyncio.sleep(0.01)

    try:
        await queue(app, [("+243810000401", "habari")])
        await try_when_due()
        status, attempts, wait = row()
        assert (status, attempts) == ("pending", 0) and wait <= 0.05  # the spell just began
        await asyncio.sleep(0.25)  # still due at once: it was 0.05 s at most
        await try_when_due()
        status, attempts, wait = row()
        assert (status, attempts) == ("pending", 0) and 0.1 <= wait <= 0.4
        await asyncio.sleep(wait + 0.45)  # nothing tried for longer than retry_max
        await try_when_due()
        status, attempts, wait = row()
        assert (status, attempts) == ("pending", 0) and wait <= 0.05  # a new spell
        await asyncio.sleep(0.06)
        await try_when_due()
        assert row()[:2] == ("sent", 1)
        assert [text for _, text, _ in channel.sent] == ["habari"]
    finally:
        await app.close()


async def test_a_claim_never_hands_out_again_what_this_dispatcher_holds(
        tmp_path: Path) -> None:
    """Leases that ran out under the dispatcher (its renewals could not get
    through): its next claim takes them back under the new lease, hands none of
    them out a second time, and the renewals go on with the new lease."""
    from bot.outbox.dispatcher import Dispatcher
    from tests.fakes.clock import ManualClock

    app = await App.open(make_config(tmp_path))
    await queue(app, [(f"+2438100009{i:02d}", f"m{i}") for i in range(3)])
    clock = ManualClock()  # from now: the rows are due
    dispatcher = Dispatcher(app.store, {"sms": SlowChannel()}, app.vault,
                            settings=app.config.outbox, clock=clock)
    try:
        first = await dispatcher._claim(10, ["sms"])
        assert len(first) == 3
        clock.advance(app.config.outbox.lease_seconds + 1)
        assert await dispatcher._claim(10, ["sms"]) == []
        import sqlite3

        with sqlite3.connect(tmp_path / "sauti.db") as db:
            leases = {r[0] for r in db.execute("SELECT lease_until FROM outbox")}
        assert len(leases) == 1 and datetime.fromisoformat(leases.pop()) > clock.now()
        assert await dispatcher._leases.renew() and not dispatcher._leases.lost
    finally:
        await app.close()


async def test_a_stored_message_that_no_longer_reads_fails_alone(slow_app) -> None:  # type: ignore[no-untyped-def]
    """One row whose payload does not decode any more must not stop every claim."""
    import sqlite3

    app, channel = slow_app
    await queue(app, [(f"+2438100010{i:02d}", f"m{i}") for i in range(3)])
    path = Path(app.config.storage.url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE outbox SET payload = '{not json' WHERE id = 2")
    await app.dispatcher.drain()
    assert sorted(text for _, text, _ in channel.sent) == ["m0", "m2"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT status, last_error, address_sealed FROM outbox WHERE id = 2"
                          ).fetchone() == ("failed", "stored message unreadable", None)


async def test_a_bug_after_a_send_marks_it_sent_instead_of_sending_it_again(
        tmp_path: Path) -> None:
    """A channel that went through but answered nonsense (a negative segment count,
    which the metrics refuse): logged as a bug, and the message is marked sent,
    not put back to go again."""
    import sqlite3

    @dataclass
    class Odd(SlowChannel):
        async def send(self, address: str, message: Outbound,
                       rendered: Rendered | None = None) -> SendResult:
            await super().send(address, message, rendered)
            return SendResult(external_id="odd-1", segments=-1)

    app = await App.open(make_config(tmp_path))
    channel = Odd()
    app.add_channel(channel)
    try:
        await queue(app, [("+243810000903", "once")])
        await app.dispatcher.drain()
        await app.dispatcher.drain()
    finally:
        await app.close()
    assert [text for _, text, _ in channel.sent] == ["once"]
    with sqlite3.connect(tmp_path / "sauti.db") as db:
        assert db.execute("SELECT status, external_id FROM outbox").fetchall() == [
            ("sent", "odd-1")]
