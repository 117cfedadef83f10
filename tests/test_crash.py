"""A `sauti serve` killed with SMS in flight, then started again: the real twilio
client against the fake Twilio server. Everything queued is delivered; only what
was in flight at the crash (at most `outbox.concurrency`) may arrive twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.domain.records import Contact, NewOutbound, TurnWrite
from bot.web.service import Service
from tests.conftest import REAL_KEYS_TOML, make_config, start_sauti
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def queue_sms(app: App, count: int) -> None:
    now = datetime.now(UTC)
    for n in range(count):
        address = f"+2438100009{n:02d}"
        sealed = app.vault.seal(address)
        cid = app.conversations.contact_id("sms", address)
        contact = Contact(cid, "k1:p", "sms", sealed, "en", False, now, now)
        await app.store.commit_turn(TurnWrite(contact=contact, session=None, outbound=[
            NewOutbound(cid, "sms", sealed, "advisory",
                        {"text": f"Advisory {n}", "kind": "advisory"})]))


async def wait_for(predicate, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while not predicate() and time.monotonic() < end:
        await asyncio.sleep(0.02)


async def test_kill_mid_batch_and_restart(tmp_path: Path) -> None:
    async with FakeTwilio() as fake:
        config = make_config(tmp_path, twilio={
            "enabled": True, "account_sid": fake.account_sid, "auth_token": fake.auth_token,
            "sms_from": "+15005550006", "api_base_url": fake.base_url, "sms_per_second": 200,
            "send_timeout_seconds": 5}, outbox={"concurrency": 4, "lease_seconds": 0.5})
        first = await App.open(config)
        await queue_sms(first, 40)
        service = Service(first, host="127.0.0.1", port=0)
        await service.start()
        await wait_for(lambda: len(fake.messages) >= 10)
        fake.hang_next(4, seconds=0.3)  # the next sends are in flight when we crash
        await asyncio.sleep(0.1)
        # the crash: the dispatcher task dies where it is, nothing is marked any more
        assert service._dispatcher is not None
        service._dispatcher.cancel()
        with pytest.raises(asyncio.CancelledError):
            await service._dispatcher
        service._dispatcher = None
        await first.store.close()
        await asyncio.sleep(0.8)  # hung answers land at the fake; leases run out

        second = await App.open(config)
        restarted = Service(second, host="127.0.0.1", port=0)
        await restarted.start()
        await wait_for(lambda: {m["Body"] for m in fake.messages}
                       >= {f"Advisory {n}" for n in range(40)})
        await wait_for(lambda: False, 0.3)  # nothing more should come
        await restarted.stop()
        depth = await second.store.outbox_depth()
        await second.close()
        await service.stop()

    counts = Counter(m["Body"] for m in fake.messages)
    assert set(counts) == {f"Advisory {n}" for n in range(40)}
    twice = [body for body, n in counts.items() if n > 1]
    assert len(twice) <= config.outbox.concurrency
    assert all(n <= 2 for n in counts.values())
    assert depth == 0


async def test_no_crash_means_no_duplicates(tmp_path: Path) -> None:
    """429s, a 500 and slow answers (within the send time-out): each message once.
    (A send that times out may still have reached Twilio, which has no idempotency
    key for new messages: that retry can duplicate, as the README says.)"""
    async with FakeTwilio() as fake:
        fake.fail_next(2, status=429, retry_after=0.1)
        fake.fail_next(1, status=500)
        fake.hang_next(2, seconds=0.3)
        config = make_config(tmp_path, twilio={
            "enabled": True, "account_sid": fake.account_sid, "auth_token": fake.auth_token,
            "sms_from": "+15005550006", "api_base_url": fake.base_url, "sms_per_second": 200,
            "send_timeout_seconds": 1}, outbox={"concurrency": 4})
        app = await App.open(config)
        await queue_sms(app, 30)
        service = Service(app, host="127.0.0.1", port=0)
        await service.start()
        await wait_for(lambda: len({m["Body"] for m in fake.messages}) >= 30)
        await wait_for(lambda: False, 0.3)  # nothing more should come
        await service.stop()
        await app.close()
    counts = Counter(m["Body"] for m in fake.messages)
    assert len(counts) == 30 and set(counts.values()) == {1}


async def test_sigterm_with_a_rate_limited_backlog_stops_at_once(tmp_path: Path) -> None:
    """`sauti serve` at a slow SMS rate with replies queued: SIGTERM stops it in
    seconds, and the untried replies stay queued for the next start."""
    import signal
    import socket
    import sqlite3

    import aiohttp

    from tests.fakes.twilio import signed_post_form, sms_form

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with FakeTwilio() as fake:
        cfg = tmp_path / "serve.toml"
        cfg.write_text(
            f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n'
            f'[server]\nhost = "127.0.0.1"\nport = {port}\npublic_url = "http://127.0.0.1:{port}"\n'
            f'[twilio]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
            f'auth_token = "{fake.auth_token}"\nsms_from = "+15005550006"\n'
            f'api_base_url = "{fake.base_url}"\nsms_per_second = 0.2\n' + REAL_KEYS_TOML)
        proc = await start_sauti("serve", "--config", str(cfg), cwd=tmp_path)
        try:
            url = f"http://127.0.0.1:{port}/webhooks/twilio/sms"
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
                for n in range(5):
                    form = sms_form(f"+2438100009{n:02d}", "+15005550006", "hello")
                    async with http.post(url, data=form,
                                         headers=signed_post_form(url, form, fake.auth_token)
                                         ) as resp:
                        assert resp.status == 200
            await wait_for(lambda: len(fake.messages) >= 1)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 10) == 0
            assert time.monotonic() - t0 < 5
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    db = sqlite3.connect(str(tmp_path / "s.db"))
    statuses = sorted(r[0] for r in db.execute("SELECT status FROM outbox"))
    db.close()
    assert "sending" not in statuses
    assert statuses.count("pending") == 5 - statuses.count("sent") >= 3
