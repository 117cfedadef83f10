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
benchmark lets the thing measured warm up. Then each round lasts the same
``--seconds`` for both: with a fixed count of messages the faster server's
round was a third as long, and on a virtual machine whose speed drifts over
seconds a short round is likelier to fall in a fast spell.

The load is a lean client: requests built and signed before the clock starts,
written over 64 keep-alive connections, answers read to their status line.
aiohttp's own client costs about as much per request as the bare server does,
and with it the ceiling measured the client. Each round prints how busy the
server's CPU and the load's were; a ceiling with the load near a full CPU is
flagged.

The two are measured in alternating rounds (five of three seconds each) and
the best round of each counts, as timeit takes the best of its repeats: on a
shared virtual machine the slower rounds measure the neighbours. Every round
is printed, and so is the median ratio of each sauti round to the bare round
after it, which one lucky round cannot move.

Those rounds start on a new database. A deployment runs on a grown one, where
each message costs more (bigger indexes, fewer of their pages in memory), so
one more round of each server follows a long warm-up (``--grown-warmup``
residents, 160,000 messages by default) and lasts ``--grown-seconds``. The
target is judged on both; the JSON line holds both (``grown_*``).

Run: python bench/inbound.py [--seconds S] [--rounds R] [--concurrency C]
     [--residents N] [--messages M] [--warmup W] [--sms-per-second R] [--no-pin]
     [--grown-warmup N] [--grown-residents N] [--grown-seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench.serving import free_port, wait_healthy
from tests.fakes.twilio import FakeTwilio, signed_post_form, sms_form

TARGET_RATE, TARGET_RATIO = 1000.0, 0.30
WINDOW = 5.0  # seconds: a long round's rate is also printed per window
PATH = "/webhooks/twilio/sms"
PUBLIC_URL = "https://sauti.example.org"
SCRIPT = ["hello", "1"] + ["4", "1"] * 20  # first contact, then menu answers



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



def requests(residents: int, messages: int, token: str, sid: str, first: int = 0
             ) -> list[list[bytes]]:
    """Each resident's signed webhooks as whole HTTP/1.1 requests, built and signed
    before the clock starts, so that the client spends its time sending. They are
    signed for PUBLIC_URL, the address Twilio would post to, so one plan serves
    every round whatever its port."""
    url = PUBLIC_URL + PATH
    out = []
    for r in range(first, first + residents):
        sender = f"+2438100{r:05d}"
        mine = []
        for m in range(messages):
            form = sms_form(sender, "+15005550006", SCRIPT[m % len(SCRIPT)], account_sid=sid)
            headers = signed_post_form(url, form, token)
            body = urlencode(form).encode()
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            mine.append(f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                        f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        out.append(mine)
    return out


class Client(asyncio.Protocol):
    """One keep-alive connection that sends a request and reads its answer's status.

    A few lines over a raw socket instead of aiohttp's client, whose cost per
    request is close to a bare aiohttp server's: with it on the load's CPU the
    ceiling measured the client, not the server."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.answer: asyncio.Future[int] | None = None
        self.lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or ConnectionResetError("closed by the server")
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(self.lost)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.answer is None:
            return
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        self.buffer = self.buffer[end + 4 + length:]
        if not self.answer.done():
            self.answer.set_result(int(head[0].split(" ", 2)[1]))

    async def send(self, request: bytes) -> int:
        if self.lost is not None:
            raise self.lost
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer


async def load(port: int, plan: list[list[bytes]], concurrency: int, seconds: float
               ) -> tuple[float, list[float], int]:
    """Post the plan's residents' messages, each resident's in order, over
    ``concurrency`` connections, for ``seconds`` (or until the plan runs out).
    A round of ``WINDOW`` seconds or more also prints its rate window by window,
    so that a drift as the database grows shows."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    done: list[float] = []
    errors = 0
    queue: asyncio.Queue[list[bytes]] = asyncio.Queue()
    for mine in plan:
        queue.put_nowait(mine)
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        transport, client = await loop.create_connection(Client, "127.0.0.1", port)
        try:
            while not queue.empty():
                for request in queue.get_nowait():
                    t0 = time.perf_counter()
                    if t0 >= deadline:
                        return
                    if await client.send(request) != 200:
                        errors += 1
                    latencies.append(time.perf_counter() - t0)
                    done.append(t0 + latencies[-1])
        finally:
            transport.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    if elapsed < seconds < float("inf"):
        print(f"warning: the plan ran out after {elapsed:.1f}s of {seconds:g}: raise --residents"
              " (or --grown-residents)")
    if WINDOW * 3 <= seconds < float("inf"):
        counts = [0] * int(min(seconds, elapsed) // WINDOW)
        for moment in done:
            if (window := int((moment - t0) // WINDOW)) < len(counts):
                counts[window] += 1
        rates = ", ".join(f"{c / WINDOW:.0f}" for c in counts)
        print(f"  msgs/s per {WINDOW:g} s window: {rates}")
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


# msgs/s, latencies, non-200 answers, and the share of the timed load's wall time
# that the server and the load generator were busy on their CPUs
Result = tuple[float, list[float], int, float, float]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(kind: str, args: argparse.Namespace, fake: FakeTwilio, tmp: Path,
                  server_cpus: set[int], warmup: list[list[bytes]], plan: list[list[bytes]],
                  seconds: float) -> Result:
    """Start one server, warm it up, time the load, stop it."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kind == "sauti":
        db = tmp / f"bench-{port}.db"  # a new database every round
        cfg = tmp / "bench.toml"
        cfg.write_text(
            f'[storage]\nurl = "sqlite:///{db}"\n'
            f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
            f'public_url = "{PUBLIC_URL}"\n'
            # sauti serve wants real keys
            '[privacy]\npseudonym_key = "k2:Wv3TqP0bLdJmB5uM2yHx9sKcVn8eRfGz7aQo1NtYiE4"\n'
            'contact_key = "k2:Rj6LhT2wKpX9mCv4bNsQ8yZdF0gUaE3oVt5iWx7MnB1"\n'
            f'[twilio]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
            f'auth_token = "{fake.auth_token}"\nsms_from = "+15005550006"\n'
            f'api_base_url = "{fake.base_url}"\nsms_per_second = {args.sms_per_second}\n')
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--config", str(cfg)]
    else:
        cmd = [sys.executable, str(Path(__file__)), "--bare-server", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if server_cpus:
        os.sched_setaffinity(proc.pid, server_cpus)
    try:
        await wait_healthy(port, proc)
        await load(port, warmup, args.concurrency, float("inf"))  # not counted
        server0, load0, t0 = cpu_seconds(proc.pid), time.process_time(), time.perf_counter()
        rate, latencies, errors = await load(port, plan, args.concurrency, seconds)
        wall = time.perf_counter() - t0
        return (rate, latencies, errors, (cpu_seconds(proc.pid) - server0) / wall,
                (time.process_time() - load0) / wall)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def main_async(args: argparse.Namespace) -> None:
    server_cpus, load_cpus = split_cpus() if args.pin else (set(), set())
    if load_cpus:
        os.sched_setaffinity(0, load_cpus)
    runs: dict[str, list[Result]] = {"sauti": [], "bare": []}
    async with FakeTwilio() as fake:
        plan = requests(args.residents, args.messages, fake.auth_token, fake.account_sid)
        warmup = requests(args.warmup, args.messages, fake.auth_token, fake.account_sid,
                          first=args.residents)
        with tempfile.TemporaryDirectory() as tmp:
            for _round in range(args.rounds):  # alternating: both see the same machine
                for kind in ("sauti", "bare"):
                    runs[kind].append(await measure(kind, args, fake, Path(tmp), server_cpus,
                                                    warmup, plan, args.seconds))
            grown: dict[str, Result] = {}
            if args.grown_warmup:  # one more pair of rounds, after a long warm-up
                first = args.residents + args.warmup
                long_warmup = requests(args.grown_warmup, args.messages, fake.auth_token,
                                       fake.account_sid, first=first)
                long_plan = requests(args.grown_residents, args.messages, fake.auth_token,
                                     fake.account_sid, first=first + args.grown_warmup)
                for kind in ("sauti", "bare"):
                    grown[kind] = await measure(kind, args, fake, Path(tmp), server_cpus,
                                                long_warmup, long_plan, args.grown_seconds)
                del long_warmup, long_plan
    best = {kind: max(runs[kind], key=lambda r: r[0]) for kind in runs}
    rate, lat = best["sauti"][0], best["sauti"][1]
    base_rate = best["bare"][0]
    print(f"signed SMS webhooks from up to {args.residents} residents x {args.messages} "
          f"messages, {args.concurrency} concurrent connections, loopback, "
          f"{args.seconds:g} s per round, best of {args.rounds} rounds")
    if server_cpus:
        print(f"server on CPU {','.join(map(str, sorted(server_cpus)))}, "
              f"load on CPU {','.join(map(str, sorted(load_cpus)))}")
    for kind in ("sauti", "bare"):
        print(f"  {kind} rounds, msgs/s: " + ", ".join(f"{r[0]:.0f}" for r in runs[kind]))
    for kind in ("sauti", "bare"):  # what neighbours on the machine move least
        print(f"  {kind} rounds, server CPU µs per message: "
              + ", ".join(f"{r[3] / r[0] * 1e6:.0f}" for r in runs[kind] if r[0]))
    all_errors = sum(r[2] for r in runs["sauti"])
    table(best["sauti"], best["bare"], all_errors, sum(r[2] for r in runs["bare"]))
    ratio = rate / base_rate
    # Each sauti round beside the bare round that followed it: a second view of
    # the ratio that a fast spell caught by one round only cannot move much.
    paired = statistics.median(a[0] / b[0] for a, b in zip(runs["sauti"], runs["bare"],
                                                            strict=True))
    print(f"ratio of the best rounds {ratio:.3f}; median ratio of paired rounds {paired:.3f}")
    if best["bare"][4] > 0.9:
        print("warning: the load generator was near a full CPU: the ceiling may be the client's")
    figures = {"msgs_per_s": round(rate, 1), "p50_ms": round(statistics.median(lat) * 1000, 2),
               "p99_ms": round(p(lat, 0.99), 2), "baseline_msgs_per_s": round(base_rate, 1),
               "ratio": round(ratio, 3), "errors": all_errors,
               "ratio_paired_median": round(paired, 3),
               "server_cpu_busy": round(best["sauti"][3], 2),
               "baseline_server_cpu_busy": round(best["bare"][3], 2)}
    verdicts = [verdict("a new database", rate, ratio, all_errors)]
    if grown:
        g_rate, g_lat, g_errors = grown["sauti"][0], grown["sauti"][1], grown["sauti"][2]
        g_base = grown["bare"][0]
        g_ratio = g_rate / g_base
        print(f"after a warm-up of {args.grown_warmup * args.messages:,} messages (a grown "
              f"database), one round of {args.grown_seconds:g} s each:")
        table(grown["sauti"], grown["bare"], g_errors, grown["bare"][2])
        print(f"ratio on the grown database {g_ratio:.3f}")
        verdicts.append(verdict("a grown database", g_rate, g_ratio, g_errors))
        figures.update({"grown_msgs_per_s": round(g_rate, 1),
                        "grown_p99_ms": round(p(g_lat, 0.99), 2),
                        "grown_baseline_msgs_per_s": round(g_base, 1),
                        "grown_ratio": round(g_ratio, 3), "grown_errors": g_errors})
    print(f"target: >= {TARGET_RATE:.0f} msgs/s and >= {TARGET_RATIO:.0%} of the bare handler -> "
          + "; ".join(verdicts))
    print(json.dumps(figures))


def table(sauti: Result, bare: Result, sauti_errors: int, bare_errors: int) -> None:
    """The two servers' rounds side by side."""
    print(f"{'':24}{'sauti serve':>14}{'bare aiohttp':>14}")
    print(f"{'msgs/s':24}{sauti[0]:>14.1f}{bare[0]:>14.1f}")
    print(f"{'p50 ms':24}{statistics.median(sauti[1]) * 1000:>14.2f}"
          f"{statistics.median(bare[1]) * 1000:>14.2f}")
    print(f"{'p99 ms':24}{p(sauti[1], 0.99):>14.2f}{p(bare[1], 0.99):>14.2f}")
    print(f"{'server CPU busy':24}{sauti[3]:>14.0%}{bare[3]:>14.0%}")
    print(f"{'load CPU busy':24}{sauti[4]:>14.0%}{bare[4]:>14.0%}")
    print(f"{'non-200 answers':24}{sauti_errors:>14}{bare_errors:>14}")


def verdict(where: str, rate: float, ratio: float, errors: int) -> str:
    ok = rate >= TARGET_RATE and ratio >= TARGET_RATIO and errors == 0
    return f"{'met' if ok else 'NOT met'} on {where} (ratio {ratio:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=6000,
                        help="residents in the plan: enough for the fastest server's round")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="length of each timed round, the same for both servers")
    parser.add_argument("--sms-per-second", type=float, default=100.0,
                        help="the rate sauti's dispatcher sends the replies at")
    parser.add_argument("--warmup", type=int, default=100,
                        help="residents whose messages go first, uncounted")
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5,
                        help="each server is measured this many times, alternating; the "
                             "best of each counts (all are printed)")
    parser.add_argument("--grown-warmup", type=int, default=8000,
                        help="residents whose messages grow the database before one more "
                             "round of each server (0: skip it)")
    parser.add_argument("--grown-residents", type=int, default=24000,
                        help="residents in that round's plan")
    parser.add_argument("--grown-seconds", type=float, default=15.0,
                        help="length of that round")
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
