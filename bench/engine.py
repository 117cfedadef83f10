"""Benchmark: the conversation pipeline driven directly (no HTTP).

Many simulated residents, each one message at a time, all concurrently:
first contacts ("hello"), then returning users answering menus ("4" then "1":
language menu, English, back to the main menu). A staff round follows:
moderators running /queue and /show among residents still answering menus.
Every turn goes through the real pipeline: dedupe, load, engine, redaction,
one durable SQLite commit (synchronous=FULL, group commit), outbox row (a
staff command's desk reads and audit rows too). Baseline: the same engine on
the in-memory backend (bot.storage.memory: every write applied, no disk),
the ceiling of what storage can reach.

Run: python bench/engine.py [--residents N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bot.app import App
from bot.config import Config
from bot.desk.api import Actor
from bot.domain.messages import Inbound
from bot.storage.memory import MemoryStore
from bot.storage.ports import Store
from bot.storage.sqlite.store import SQLiteStore

TARGET_RETURNING = 2000.0
MODERATORS = 20
REPORTERS = 50
REPORT = ["1", "1", "The road by the market is flooded again", "1", "2", "1"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def phase(app: App, residents: int, texts: list[str], start_id: int, in_flight: int,
                prefix: str = "bench", until: asyncio.Event | None = None
                ) -> tuple[float, list[float]]:
    """Each resident sends ``texts`` one after another; at most ``in_flight``
    residents are mid-turn at once (a busy hour, not a stampede). With
    ``until``, each sends them over and over until it is set."""
    latencies: list[float] = []
    counter = start_id
    gate = asyncio.Semaphore(in_flight)

    async def person(n: int) -> None:
        async with gate:
            await turns(n)

    async def turns(n: int) -> None:
        nonlocal counter
        while True:
            for text in texts:
                await turn(n, text)
                if until is not None:
                    if until.is_set():
                        return
                    await asyncio.sleep(0)  # in memory a turn never waits: let others on
            if until is None:
                return

    async def turn(n: int, text: str) -> None:
        nonlocal counter
        counter += 1
        inbound = Inbound(channel="console", address=f"{prefix}-{n}", text=text,
                          external_id=f"b{counter}")
        t0 = time.perf_counter()
        await app.conversations.handle(inbound)
        latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(person(n) for n in range(residents)))
    elapsed = time.perf_counter() - t0
    return len(latencies) / elapsed, latencies


async def run(store_kind: str, residents: int, rounds: int, in_flight: int
              ) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.model_validate({
            "storage": {"url": f"sqlite:///{tmp}/bench.db"},
            "privacy": {"pseudonym_key": "bench-key", "contact_key": "bench-contact"},
            # each resident sends its script within a second of the clock: a flood by
            # the default limits, which would hold it; here the engine is measured
            "bot": {"flood_burst": 1000, "flood_per_minute": 1000},
            "staff": [{"name": f"mod-{n}", "roles": ["moderator"], "console_user": f"mod-{n}"}
                      for n in range(MODERATORS)],
        })
        store: Store = (MemoryStore() if store_kind == "memory"
                        else SQLiteStore(Path(tmp) / "bench.db"))
        await store.open()
        app = App(config, store)
        first_rate, first_lat = await phase(app, residents, ["hello"], 0, in_flight)
        await phase(app, residents, ["1"], 10**7, in_flight)  # choose English: now at the menu
        ret_rate, ret_lat = await phase(app, residents, ["4", "1"] * rounds, 2 * 10**7,
                                        in_flight)
        staff_rate, staff_lat, beside = await staff_round(app, residents, rounds, in_flight)
        await store.close()
    return {
        "staff_msgs_per_s": round(staff_rate, 1),
        "staff_p50_ms": round(statistics.median(staff_lat) * 1000, 2),
        "staff_p99_ms": round(percentile(staff_lat, 0.99) * 1000, 2),
        "beside_staff_p50_ms": round(statistics.median(beside) * 1000, 2),
        "beside_staff_p99_ms": round(percentile(beside, 0.99) * 1000, 2),
        "first_contact_msgs_per_s": round(first_rate, 1),
        "returning_msgs_per_s": round(ret_rate, 1),
        "p50_ms": round(statistics.median(ret_lat) * 1000, 2),
        "p99_ms": round(percentile(ret_lat, 0.99) * 1000, 2),
        "first_contact_p99_ms": round(percentile(first_lat, 0.99) * 1000, 2),
        "messages": len(ret_lat) + len(first_lat),
    }


async def staff_round(app: App, residents: int, rounds: int, in_flight: int
                      ) -> tuple[float, list[float], list[float]]:
    """Some residents report; then moderators alternate /queue and /show while
    every resident keeps answering menus, over and over until the residents are
    done. The figures are the moderators' own, and the residents' turns beside
    them (the same moments, the same commits)."""
    await phase(app, min(REPORTERS, residents), REPORT, 3 * 10**7, in_flight)
    await phase(app, MODERATORS, ["hello", "1"], 4 * 10**7, in_flight, prefix="mod")
    page = await app.desk.queue(Actor("mod-0", frozenset({"moderator"})), limit=MODERATORS)
    refs = [v.ref for v in page.items] or ["NONE22"]
    staff_texts = [t for n in range(rounds) for t in ("/queue", f"/show {refs[n % len(refs)]}")]
    done = asyncio.Event()

    async def residents_then_stop() -> tuple[float, list[float]]:
        try:
            return await phase(app, residents, ["4", "1"] * rounds, 6 * 10**7, in_flight)
        finally:
            done.set()

    (staff_rate, staff_lat), (_rate, beside) = await asyncio.gather(
        phase(app, MODERATORS, staff_texts, 5 * 10**7, in_flight, prefix="mod", until=done),
        residents_then_stop())
    return staff_rate, staff_lat, beside


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=100)
    args = parser.parse_args()
    base = asyncio.run(run("memory", args.residents, args.rounds, args.in_flight))
    real = asyncio.run(run("sqlite", args.residents, args.rounds, args.in_flight))
    print(f"{args.residents} residents, first contact then {2 * args.rounds} menu answers each,"
          f" {args.in_flight} in flight at once; then {MODERATORS} moderators running"
          f" {2 * args.rounds} /queue and /show each among the residents")
    print(f"{'':28}{'SQLite (durable)':>18}{'in-memory baseline':>20}")
    for key, label in (("returning_msgs_per_s", "returning msgs/s"),
                       ("first_contact_msgs_per_s", "first-contact msgs/s"),
                       ("p50_ms", "returning p50 ms"), ("p99_ms", "returning p99 ms"),
                       ("first_contact_p99_ms", "first-contact p99 ms"),
                       ("staff_msgs_per_s", "staff /queue+/show msgs/s"),
                       ("staff_p50_ms", "staff p50 ms"), ("staff_p99_ms", "staff p99 ms"),
                       ("beside_staff_p50_ms", "residents beside them p50 ms"),
                       ("beside_staff_p99_ms", "residents beside them p99 ms")):
        print(f"{label:28}{real[key]:>18}{base[key]:>20}")
    print(f"target: >= {TARGET_RETURNING:.0f} returning msgs/s -> "
          f"{'met' if real['returning_msgs_per_s'] >= TARGET_RETURNING else 'NOT met'}")
    figures = {**real, "baseline_returning_msgs_per_s": base["returning_msgs_per_s"],
               "baseline_first_contact_msgs_per_s": base["first_contact_msgs_per_s"],
               "target_returning_msgs_per_s": TARGET_RETURNING}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
