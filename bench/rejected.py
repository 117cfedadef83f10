"""Memory under rejected uploads: unauthenticated posts to a running `sauti serve`.

Issue 11: 300 unauthenticated 1.1 MB posts took the server from 92 to 481 MB with
``gc.set_threshold(20_000)`` (129 MB with CPython's default), under a 1 MiB body
limit. Here `sauti serve` runs in its own process (Twilio enabled, replies to a fake
Twilio in this one) and takes ``--posts`` posts of ``--size`` bytes to its SMS
webhook, ``--concurrency`` at a time, each with a well-formed but wrong
``X-Twilio-Signature``, so that the body must be read before the signature can be
found wrong: sent chunked (the server reads it up to the 64 KiB limit), then with a
Content-Length (refused by it, unread); then with no signature (refused unread);
then as many posts of 60 KB, under the limit, read and parsed before the signature is
found wrong.
The server's resident memory (VmRSS) is read from /proc after each phase, and its
peak (VmHWM).

``--gc N`` starts the server with the cyclic collector's youngest generation
collected after N new objects instead of CPython's 700, as `sauti serve` did before
issue 11 (``--gc 20000``); ``--gc default`` leaves CPython's setting.

Run: python bench/rejected.py [--posts 300] [--size 1100000] [--concurrency 16]
     [--gc default|N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench.serving import free_port, wait_healthy
from tests.fakes.twilio import FakeTwilio

PATH = "/webhooks/twilio/sms"



def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (the peak) of ``pid``, in MB."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)



async def post(port: int, body: bytes, signature: bytes | None, chunked: bool) -> int:
    """One POST over its own connection; the status (0 if the server cut it short).
    ``chunked``: no Content-Length, the body in 64 KB chunks (the server must read it
    to know its size)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {PATH} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close",
            b"Content-Type: application/x-www-form-urlencoded"]
    head.append(b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body))
    if signature is not None:
        head.append(b"X-Twilio-Signature: " + signature)
    writer.write(b"\r\n".join(head) + b"\r\n\r\n")
    try:
        if chunked:
            for i in range(0, len(body), 65536):
                chunk = body[i:i + 65536]
                writer.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            writer.write(b"0\r\n\r\n")
        else:
            writer.write(body)
        await writer.drain()
        line = await reader.readline()
        return int(line.split()[1]) if line else 0
    except (ConnectionError, IndexError, ValueError):
        return 0
    finally:
        writer.close()


async def flood(port: int, posts: int, size: int, concurrency: int,
                signature: bytes | None, chunked: bool = False) -> dict[int, int]:
    body = b"MessageSid=SM1&From=%2B243810000900&Body=" + b"a" * max(0, size - 41)
    gate = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}

    async def one() -> None:
        async with gate:
            status = await post(port, body, signature, chunked)
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(one() for _ in range(posts)))
    return statuses


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--size", type=int, default=1_100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--gc", default="default", help="'default' or a threshold")
    args = parser.parse_args()

    port = free_port()
    async with FakeTwilio() as fake:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "sauti.toml"
            cfg.write_text(
                f'[storage]\nurl = "sqlite:///{tmp}/sauti.db"\n'
                f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
                'public_url = "https://sauti.example.org"\n'
                f'[privacy]\npseudonym_key = "{secrets.token_urlsafe(32)}"\n'
                f'contact_key = "{secrets.token_urlsafe(32)}"\n'
                f'[twilio]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
                f'auth_token = "{fake.auth_token}"\nsms_from = "+15005550006"\n'
                f'api_base_url = "{fake.base_url}"\n')
            setup = "" if args.gc == "default" else (
                f"import gc; gc.set_threshold({int(args.gc)}, *gc.get_threshold()[1:]); ")
            cmd = [sys.executable, "-c",
                   setup + "import sys; from bot.cli.main import main; sys.exit(main())",
                   "serve", "--config", str(cfg)]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                await wait_healthy(port, proc)
                start, _ = memory_mb(proc.pid)
                wrong = base64.b64encode(bytes(20))  # well formed, not Twilio's
                phases = []
                for name, size, signature, chunked in [
                        ("wrong signature, chunked (read to the limit)", args.size, wrong, True),
                        ("wrong signature, Content-Length (refused by it)", args.size, wrong,
                         False),
                        ("no signature (refused unread)", args.size, None, False),
                        ("wrong signature, 60 KB (read, parsed, refused)", 60_000, wrong,
                         False)]:
                    statuses = await flood(port, args.posts, size, args.concurrency,
                                           signature, chunked)
                    phases.append((name, statuses, *memory_mb(proc.pid)))
            finally:
                proc.terminate()
                proc.wait(timeout=30)

    print(f"sauti serve, gc {args.gc}: {args.posts} posts of {args.size:,} bytes, "
          f"{args.concurrency} at a time, one phase after the other")
    print(f"  {'start':50s} {start:7.1f} MB")
    for name, statuses, rss, peak in phases:
        print(f"  {name:50s} {rss:7.1f} MB (peak {peak:.1f}), answers {statuses}")
    print("  issue 11, before the fix: 92 -> 481 MB (gc 20000, 1 MiB limit), 129 MB (default gc)")
    print(json.dumps({"bench": "rejected", "gc": args.gc, "posts": args.posts,
                      "size": args.size, "start_mb": round(start, 1),
                      "end_mb": round(phases[-1][2], 1),
                      "peak_mb": round(max(p[3] for p in phases), 1),
                      "phases": {name: {"rss_mb": round(rss, 1), "answers": statuses}
                                 for name, statuses, rss, _ in phases}}))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
