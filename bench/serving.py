"""What the benches that start ``sauti serve`` in its own process share: a free
loopback port, and waiting until the server answers ``/healthz``."""

from __future__ import annotations

import asyncio
import socket
import subprocess

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(port: int, proc: subprocess.Popen[bytes] | asyncio.subprocess.Process,
                       tries: int = 300) -> None:
    """Until ``/healthz`` answers 200 (a tenth of a second between tries)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(tries):
            ended = proc.poll() if isinstance(proc, subprocess.Popen) else proc.returncode
            if ended is not None:
                raise RuntimeError("server exited early")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not become healthy")
