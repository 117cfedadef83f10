"""Benchmark: one advisory fanned out to 100,000 subscribers by a running
`sauti serve`, while signed SMS webhooks keep arriving.

A database is filled with ``--subscribers`` contacts (sealed addresses, half in
French) subscribed to one area, through the store's own schema. `sauti serve`
runs on it in its own process, with its SMS channel at a fake Twilio in this
one (``sms_per_second`` 1, as configured by default: sending is not what is
measured). Signed webhooks are posted at a steady ``--rate`` from residents who
are not subscribers, first for ``--seconds`` with nothing else going on (the
baseline), then while `sauti advisory send` queues the advisory and the server
fans it out. Measured: the time from the advisory's first batch to its last
(``fanout_s``) and from the CLI's exit (its due row written) to the first batch
(``pickup_s``: the runner finds a due row another process wrote within a
second), the inbound latency during the fan-out (``p99_inbound_ms``) beside the
baseline's
(``idle_p99_inbound_ms``), and the server's peak resident memory.
Targets: fan-out <= 3 s, p99 inbound during it <= 100 ms, peak RSS <= 250 MB.

Run: python bench/broadcast.py [--subscribers N] [--rate R] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench.inbound import PUBLIC_URL, Client, requests
from bench.serving import free_port, wait_healthy
from tests.fakes.twilio import FakeTwilio

TARGETS = {"fanout_s": 3.0, "p99_inbound_ms": 100.0, "peak_rss_mb": 250.0}
KEYS = ('[privacy]\npseudonym_key = "k2:Wv3TqP0bLdJmB5uM2yHx9sKcVn8eRfGz7aQo1NtYiE4"\n'
        'contact_key = "k2:Rj6LhT2wKpX9mCv4bNsQ8yZdF0gUaE3oVt5iWx7MnB1"\n')


def config(tmp: Path, port: int, fake: FakeTwilio) -> Path:
    cfg = tmp / "bench.toml"
    cfg.write_text(
        f'[storage]\nurl = "sqlite:///{tmp}/broadcast.db"\n'
        f'[server]\nhost = "127.0.0.1"\nport = {port}\npublic_url = "{PUBLIC_URL}"\n{KEYS}'
        f'[twilio]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
        f'auth_token = "{fake.auth_token}"\nsms_from = "+15005550006"\n'
        f'api_base_url = "{fake.base_url}"\nsms_per_second = 1\n'
        '[[staff]]\nname = "Chantal"\nroles = ["staff"]\n', "utf-8")
    return cfg


def fill(cfg: Path, db: Path, subscribers: int) -> float:
    """The schema by the store itself, then the subscribers in one transaction."""
    from bot.config import load_config
    from bot.privacy.keyring import contact_vault, pseudonymiser

    subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade", "--config", str(cfg)],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                   stdout=subprocess.DEVNULL)
    settings = load_config(str(cfg))
    vault, pseudonyms = contact_vault(settings.privacy), pseudonymiser(settings.privacy)
    t0 = time.perf_counter()
    minute = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    contacts, subs = [], []
    for n in range(subscribers):
        number = f"+2439{n:08d}"
        cid = pseudonyms.contact("sms", number)
        contacts.append((cid, pseudonyms.person(number), "sms", vault.seal(number),
                         "fr" if n % 2 else "en", 0, minute, minute))
        subs.append((cid, "goma", minute[:7]))
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany("INSERT INTO contacts (id, person, channel, address_sealed, language,"
                         " opted_out, created_at, last_inbound_at) VALUES (?,?,?,?,?,?,?,?)",
                         contacts)
        conn.executemany("INSERT INTO subscriptions (contact_id, area, created_at)"
                         " VALUES (?, ?, ?)", subs)
    conn.close()
    return time.perf_counter() - t0


async def steady(port: int, plan: list[list[bytes]], rate: float, seconds: float,
                 stop: asyncio.Event | None = None) -> list[float]:
    """Post the plan's messages at ``rate`` a second (each resident's in order, on
    its own connection) for ``seconds`` or until ``stop``; their latencies."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    clients = []
    for _ in plan:
        _transport, client = await loop.create_connection(Client, "127.0.0.1", port)
        clients.append(client)
    gap = len(plan) / rate  # each resident sends one message every `gap` seconds
    deadline = time.perf_counter() + seconds

    async def resident(i: int) -> None:
        await asyncio.sleep(gap * i / len(plan))
        for request in plan[i]:
            if time.perf_counter() >= deadline or (stop is not None and stop.is_set()):
                return
            t0 = time.perf_counter()
            status = await clients[i].send(request)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"webhook answered {status}")
            await asyncio.sleep(max(0.0, gap - (time.perf_counter() - t0)))

    await asyncio.gather(*(resident(i) for i in range(len(plan))))
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    return latencies


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else 0.0


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def advisory_state(db: Path) -> tuple[str, int]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        row = conn.execute("SELECT status, audience FROM advisories ORDER BY id DESC"
                           " LIMIT 1").fetchone()
    finally:
        conn.close()
    return (row[0], int(row[1])) if row else ("none", 0)


async def main_async(args: argparse.Namespace) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    async with FakeTwilio() as fake:
        with tempfile.TemporaryDirectory() as folder:
            tmp, port = Path(folder), free_port()
            cfg = config(tmp, port, fake)
            db = tmp / "broadcast.db"
            filled = fill(cfg, db, args.subscribers)
            print(f"{args.subscribers:,} subscribers stored in {filled:.1f} s")
            messages = int(args.seconds * args.rate / args.residents) + 2
            idle_plan = requests(args.residents, messages, fake.auth_token, fake.account_sid,
                                 first=500_000)
            busy_plan = requests(args.residents, messages * 4, fake.auth_token,
                                 fake.account_sid, first=600_000)
            proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--config",
                                     str(cfg)], env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                await wait_healthy(port, proc)
                idle = await steady(port, idle_plan, args.rate, args.seconds)
                stop = asyncio.Event()
                busy = asyncio.create_task(steady(port, busy_plan, args.rate,
                                                  args.seconds * 4, stop))
                await asyncio.sleep(0.5)
                sent_at = time.perf_counter()
                send = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "advisory", "send", "--config", str(cfg),
                    "--as", "Chantal", "--area", "goma", "--severity", "warning", "--text",
                    "en=The road to Sake is closed", "fr=La route de Sake est fermée",
                    env=env, stdout=asyncio.subprocess.DEVNULL)
                await send.wait()
                sent_at = time.perf_counter()  # the due row is written: the CLI has exited
                first = last = None
                while time.perf_counter() - sent_at < 120:
                    status, audience = await asyncio.to_thread(advisory_state, db)
                    now = time.perf_counter()
                    if first is None and status in ("sending", "sent"):
                        first = now
                    if status == "sent":
                        last = now
                        break
                    await asyncio.sleep(0.05)
                stop.set()
                during = await busy
                rss = peak_rss_mb(proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    if first is None or last is None:
        raise RuntimeError("the advisory was not fanned out within 120 s")
    figures = {"fanout_s": round(last - first, 2), "pickup_s": round(first - sent_at, 2),
               "p99_inbound_ms": round(p99(during), 1),
               "idle_p99_inbound_ms": round(p99(idle), 1), "peak_rss_mb": round(rss, 1),
               "audience": audience, "inbound_during": len(during)}
    print(f"fan-out of one advisory to {audience:,} subscribers: {figures['fanout_s']} s"
          f" from its first batch to its last (target {TARGETS['fanout_s']} s),"
          f" {figures['pickup_s']} s from `sauti advisory send` to its first batch")
    print(f"inbound webhooks at {args.rate:g}/s: p99 {figures['p99_inbound_ms']} ms during"
          f" the fan-out ({len(during)} posted; target {TARGETS['p99_inbound_ms']:g} ms) |"
          f" baseline, no fan-out: p99 {figures['idle_p99_inbound_ms']} ms ({len(idle)})")
    print(f"server peak RSS {figures['peak_rss_mb']} MB (target {TARGETS['peak_rss_mb']:g})")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks a second")
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    figures = asyncio.run(main_async(parser.parse_args()))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
