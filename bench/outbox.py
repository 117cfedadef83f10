"""Benchmark: 20,000 messages through the outbox dispatcher to a fake Twilio
that enforces a per-sender rate limit (in segments/s, answering 429 beyond it).

The real SMS channel (twilio SDK over HTTP on 127.0.0.1) sends them; the
dispatcher's token buckets are set to the same rate. Prints the achieved rate
as a share of the limit (the baseline: the limit itself) and the 429s seen.

Run: python bench/outbox.py [--messages N] [--rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bot.app import App
from bot.config import Config
from bot.domain.records import Contact, NewOutbound, TurnWrite
from bot.outbox.ratelimit import SLACK_SECONDS
from bot.web.service import Service
from tests.fakes.twilio import FakeTwilio

TARGET_SHARE = 0.98


async def run(messages: int, rate: float, burst: float) -> dict[str, float]:
    async with FakeTwilio() as fake:
        fake.limit(per_second=rate, burst=burst)
        with tempfile.TemporaryDirectory() as tmp:
            config = Config.model_validate({
                "storage": {"url": f"sqlite:///{tmp}/bench.db"},
                "privacy": {"pseudonym_key": "bench-key", "contact_key": "bench-contact"},
                "twilio": {"enabled": True, "account_sid": fake.account_sid,
                           "auth_token": fake.auth_token, "sms_from": "+15005550006",
                           "api_base_url": fake.base_url, "sms_per_second": rate},
                "outbox": {"concurrency": 32},
            })
            app = await App.open(config)
            now = datetime.now(UTC)
            sealed = app.vault.seal("+243810000999")
            contact = Contact("k1:bench", "k1:bench", "sms", sealed, "en", False, now, now)
            rows = [NewOutbound(None, "sms", sealed, "advisory",
                                {"text": f"Advisory {i}: roads to Goma open 6-18h.",
                                 "kind": "advisory", "language": "en"})
                    for i in range(messages)]
            for start in range(0, messages, 1000):
                await app.store.commit_turn(TurnWrite(contact=contact, session=None,
                                                      outbound=rows[start:start + 1000]))
            service = Service(app, host="127.0.0.1", port=0)
            t0 = time.perf_counter()
            await service.start()
            while len(fake.messages) < messages and time.perf_counter() - t0 < messages / rate * 3:
                await asyncio.sleep(0.2)
            await service.stop()
            sent = [m["at"] for m in fake.messages]
            depth = await app.store.outbox_depth()
            await app.close()
    span = max(sent) - min(sent) if len(sent) > 1 else float("inf")
    achieved = (len(sent) - 1) / span  # n sends span n-1 intervals
    return {"messages": len(sent), "limit_per_s": rate, "achieved_per_s": round(achieved, 1),
            "share_of_limit": round(achieved / rate, 4), "http_429": fake.http_429,
            "left_in_outbox": depth, "seconds": round(span, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=400.0, help="segments/s the fake allows")
    parser.add_argument("--jitter-ms", type=float, default=50.0,
                        help="network jitter the fake tolerates: its bucket holds this much")
    args = parser.parse_args()
    args.burst = max(1.0, args.rate * args.jitter_ms / 1000)
    figures = asyncio.run(run(args.messages, args.rate, args.burst))
    print(f"{figures['messages']} SMS of 1 segment, sender limit {args.rate:g} segments/s "
          f"(baseline: the limit); the fake's bucket holds {args.burst:g} "
          f"({args.jitter_ms:g} ms of jitter), the dispatcher's "
          f"{max(1.0, args.rate * SLACK_SECONDS):g} ({SLACK_SECONDS * 1000:g} ms)")
    print(f"achieved {figures['achieved_per_s']}/s = {figures['share_of_limit']:.1%} of the "
          f"limit over {figures['seconds']} s; HTTP 429 answers: {figures['http_429']}; "
          f"left in outbox: {figures['left_in_outbox']}")
    ok = figures["share_of_limit"] >= TARGET_SHARE and figures["http_429"] == 0
    print(f"target: >= {TARGET_SHARE:.0%} of the limit and zero 429s -> "
          f"{'met' if ok else 'NOT met'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
