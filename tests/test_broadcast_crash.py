"""`sauti serve` killed with SIGKILL halfway through a broadcast to 2,000
residents, then started again: every resident gets the advisory; a copy twice
only for messages the provider took in the instant before the kill and that
were not yet marked sent, at most ``outbox.concurrency`` of them (the README's
bound). The fan-out's cursor commits with each batch, so the fan-out itself
never queues anyone twice."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.serving import free_port, wait_healthy
from bot.config import load_config
from bot.privacy.keyring import contact_vault, pseudonymiser
from tests.conftest import REAL_KEYS_TOML, start_sauti
from tests.fakes.twilio import FakeTwilio

RESIDENTS = 2000
CONCURRENCY = 8


def subscribers(cfg: Path, db: Path) -> list[str]:
    """2,000 invented SMS subscribers of Goma, written with the config's keys."""
    settings = load_config(str(cfg))
    vault, pseudonyms = contact_vault(settings.privacy), pseudonymiser(settings.privacy)
    minute = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    numbers = [f"+2439{n:08d}" for n in range(RESIDENTS)]
    conn = sqlite3.connect(db)
    with conn:
        for number in numbers:
            cid = pseudonyms.contact("sms", number)
            conn.execute("INSERT INTO contacts (id, person, channel, address_sealed, language,"
                         " opted_out, created_at, last_inbound_at) VALUES (?,?,?,?,?,?,?,?)",
                         (cid, pseudonyms.person(number), "sms", vault.seal(number), "en", 0,
                          minute, minute))
            conn.execute("INSERT INTO subscriptions (contact_id, area, created_at)"
                         " VALUES (?, 'goma', ?)", (cid, minute[:7]))
    conn.close()
    return numbers


async def until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_sigkill_mid_broadcast_then_everyone_gets_it(tmp_path: Path) -> None:
    port = free_port()
    async with FakeTwilio() as fake:
        cfg = tmp_path / "serve.toml"
        cfg.write_text(
            f'[storage]\nurl = "sqlite:///{tmp_path}/s.db"\n'
            f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
            f'public_url = "http://127.0.0.1:{port}"\n'
            f'[twilio]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
            f'auth_token = "{fake.auth_token}"\nsms_from = "+15005550006"\n'
            f'api_base_url = "{fake.base_url}"\nsms_per_second = 400\n'
            f'[outbox]\nconcurrency = {CONCURRENCY}\nlease_seconds = 2\n' + REAL_KEYS_TOML
            + '[[staff]]\nname = "Chantal"\nroles = ["staff"]\n', "utf-8")
        upgrade = await start_sauti("db", "upgrade", "--config", str(cfg), cwd=tmp_path)
        assert await upgrade.wait() == 0
        numbers = subscribers(cfg, tmp_path / "s.db")
        serve = await start_sauti("serve", "--config", str(cfg), cwd=tmp_path)
        again = None
        try:
            await wait_healthy(port, serve)
            send = await start_sauti("advisory", "send", "--config", str(cfg), "--as",
                                     "Chantal", "--area", "goma", "--severity", "warning",
                                     "--text", "en=The road to Sake is closed", cwd=tmp_path)
            assert await send.wait() == 0
            await until(lambda: len(fake.messages) >= RESIDENTS // 2, 60)
            serve.send_signal(signal.SIGKILL)  # halfway: no mark, no goodbye
            await serve.wait()
            before = len(fake.messages)
            assert before < RESIDENTS  # it was killed mid-broadcast
            again = await start_sauti("serve", "--config", str(cfg), cwd=tmp_path)
            await wait_healthy(port, again)
            got = lambda: {m["To"] for m in fake.messages}  # noqa: E731
            await until(lambda: got() >= set(numbers), 90)
            await asyncio.sleep(1.0)  # anything late would come now
        finally:
            for proc in (serve, again):
                if proc is not None and proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    counts = Counter(m["To"] for m in fake.messages if "Sake" in m.get("Body", ""))
    assert set(counts) == set(numbers)  # everyone
    twice = sorted(n for n, c in counts.items() if c > 1)
    print(f"killed after {before} of {RESIDENTS} sent; {len(twice)} residents got it twice")
    assert len(twice) <= CONCURRENCY and max(counts.values()) <= 2
    db = sqlite3.connect(tmp_path / "s.db")
    left = db.execute("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
                      ).fetchone()[0]
    status, audience = db.execute("SELECT status, audience FROM advisories").fetchone()
    db.close()
    assert (left, status, audience) == (0, "sent", RESIDENTS)
