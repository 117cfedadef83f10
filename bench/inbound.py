"""Benchmark: signed Twilio SMS webhooks over real HTTP to a running `sauti serve`.

Many simulated residents (each one message at a time, in order) post signed
forms concurrently over loopback to `sauti serve` in its own process; replies
go out through the outbox to a fake Twilio REST server in this process. The
baseline (the ceiling) is the same load against a bare aiohttp handler, in its
own process, that only parses the form and answers empty TwiML.

Each server runs on one CPU and the load on the others (Linux affinity), as a
load test on separate machines would: sharing cores, the load generator and
the server slow each other by turns and the figures swing by a third from run
to run. ``--no-pin`` lets the OS place them.

Both servers first take the messages of ``--warmup`` other residents, uncounted
(caches, connection pools, the first pages of a new database), as any
benchmark lets the thing measured warm up.

The two are measured in alternating rounds and the best round of each counts,
as timeit takes the best of its repeats: on a shared virtual machine the
slower rounds measure the neighbours. Every round is printed.

Run: python bench/inbound.py [--residents N] [--messages M] [--concurrency C]
     [--rounds R] [--warmup W] [--no-pin]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.twilio import FakeTwilio, signed_post_form, sms_form

TARGET_RATE, TARGET_RATIO = 1000.0, 0.30
PATH = "/webhooks/twilio/sms"
SCRIPT = ["hello", "1"] + ["4", "1"] * 20  # first contact, then menu answers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bare_server(port: int) -> None:
    """The ceiling: parse the form, answer empty TwiML, nothing else."""
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text="<Response/>", content_type="text/xml")

    app = web.Application()
    app.router.add_post(PATH, handler)
    app.router.add_get("/healthz", lambda r: handler_ok())

    async def handler_ok() -> web.Response:
        return web.json_response({"status": "ok"})

    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if proc.poll() is not None:
                raise RuntimeError("server exited early")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def requests(port: int, residents: int, messages: int, token: str, sid: str, first: int = 0
             ) -> list[list[tuple[bytes, dict[str, str]]]]:
    """Pre-signed (body, headers) per resident, so the client spends no time signing."""
    url = f"http://127.0.0.1:{port}{PATH}"
    out = []
    for r in range(first, first + residents):
        sender = f"+2438100{r:05d}"
        mine = []
        for m in range(messages):
            form = sms_form(sender, "+15005550006", SCRIPT[m % len(SCRIPT)], account_sid=sid)
            headers = signed_post_form(url, form, token)
            mine.append((urlencode(form).encode(), headers))
        out.append(mine)
    return out


async def load(port: int, plan: list[list[tuple[bytes, dict[str, str]]]], concurrency: int
               ) -> tuple[float, list[float], int]:
    url = f"http://127.0.0.1:{port}{PATH}"
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[list[tuple[bytes, dict[str, str]]]] = asyncio.Queue()
    for mine in plan:
        queue.put_nowait(mine)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                mine = queue.get_nowait()
                for body, headers in mine:
                    t0 = time.perf_counter()
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        if resp.status != 200:
                            errors += 1
                    latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return len(latencies) / elapsed, latencies, errors


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def split_cpus() -> tuple[set[int], set[int]]:
    """The server's CPU and the load's: apart, so that neither slows the other
    (both servers are measured the same way). Nothing pinned on one CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(), set()
    return {cpus[0]}, set(cpus[1:])


Result = tuple[float, list[float], int]  # msgs/s, latencies, non-200 answers


async def measure(kind: str, args: argparse.Namespace, fake: FakeTwilio, tmp: Path,
                  server_cpus: set[int]) -> Result:
    """Start one server, warm it up, time the load, stop it."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kind == "sauti":
        db = tmp / f"bench-{port}.db"  # a new database every round
        cfg = tmp / "bench.toml"
        cfg.write_text(
            f'[storage]\nurl = "sqlite:///{db}"\n'
            f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
            f'public_url = "http://127.0.0.1:{port}"\n'
            '[privacy]\npseudonym_key = "bench-key"\ncontact_key = "bench-c"\n'
            f'[twilio]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
            f'auth_token = "{fake.auth_token}"\nsms_from = "+15005550006"\n'
            f'api_base_url = "{fake.base_url}"\nsms_per_second = 100\n')
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--config", str(cfg)]
    else:
        cmd = [sys.executable, str(Path(__file__)), "--bare-server", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if server_cpus:
        os.sched_setaffinity(proc.pid, server_cpus)
    try:
        await wait_healthy(port, proc)
        warmup = requests(port, args.warmup, args.messages, fake.auth_token,
                          fake.account_sid, first=args.residents)
        await load(port, warmup, args.concurrency)  # not counted
        plan = requests(port, args.residents, args.messages, fake.auth_token,
                        fake.account_sid)
        return await load(port, plan, args.concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def main_async(args: argparse.Namespace) -> None:
    server_cpus, load_cpus = split_cpus() if args.pin else (set(), set())
    if load_cpus:
        os.sched_setaffinity(0, load_cpus)
    runs: dict[str, list[Result]] = {"sauti": [], "bare": []}
    async with FakeTwilio() as fake:
        with tempfile.TemporaryDirectory() as tmp:
            for _round in range(args.rounds):  # alternating: both see the same machine
                for kind in ("sauti", "bare"):
                    runs[kind].append(await measure(kind, args, fake, Path(tmp), server_cpus))
    rate, lat, _ = max(runs["sauti"], key=lambda r: r[0])
    base_rate, base_lat, _ = max(runs["bare"], key=lambda r: r[0])
    print(f"{args.residents} residents x {args.messages} signed SMS webhooks, "
          f"{args.concurrency} concurrent connections, loopback, best of {args.rounds} rounds")
    if server_cpus:
        print(f"server on CPU {','.join(map(str, sorted(server_cpus)))}, "
              f"load on CPU {','.join(map(str, sorted(load_cpus)))}")
    for kind in ("sauti", "bare"):
        print(f"  {kind} rounds, msgs/s: " + ", ".join(f"{r[0]:.0f}" for r in runs[kind]))
    print(f"{'':24}{'sauti serve':>14}{'bare aiohttp':>14}")
    print(f"{'msgs/s':24}{rate:>14.1f}{base_rate:>14.1f}")
    print(f"{'p50 ms':24}{statistics.median(lat) * 1000:>14.2f}"
          f"{statistics.median(base_lat) * 1000:>14.2f}")
    print(f"{'p99 ms':24}{p(lat, 0.99):>14.2f}{p(base_lat, 0.99):>14.2f}")
    all_errors = sum(r[2] for r in runs["sauti"])
    print(f"{'non-200 answers':24}{all_errors:>14}{sum(r[2] for r in runs['bare']):>14}")
    ratio = rate / base_rate
    ok = rate >= TARGET_RATE and ratio >= TARGET_RATIO and all_errors == 0
    print(f"target: >= {TARGET_RATE:.0f} msgs/s and >= {TARGET_RATIO:.0%} of the bare handler "
          f"-> {'met' if ok else 'NOT met'} (ratio {ratio:.2f})")
    print(json.dumps({"msgs_per_s": round(rate, 1), "p50_ms": round(statistics.median(lat)
                      * 1000, 2), "p99_ms": round(p(lat, 0.99), 2),
                      "baseline_msgs_per_s": round(base_rate, 1), "ratio": round(ratio, 3),
                      "errors": all_errors}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100,
                        help="residents whose messages go first, uncounted")
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3,
                        help="each server is measured this many times, alternating; the "
                             "best of each counts (all are printed)")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let the OS place the server and the load (noisier)")
    parser.add_argument("--bare-server", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
