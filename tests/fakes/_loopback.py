"""What the fake servers share: an aiohttp app on 127.0.0.1, an ephemeral port,
a ``closing`` event that releases hung answers, and a token bucket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Self

from aiohttp import web


async def _bind(app: web.Application, port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``port`` of 127.0.0.1 (0: any free one); the runner and port."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, int(runner.addresses[0][1])


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 at an ephemeral port for the block; yields its
    base URL (``http://127.0.0.1:PORT``)."""
    runner, port = await _bind(app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class LoopbackServer:
    """Lifecycle of a fake server; subclasses add their routes in :meth:`_routes`."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = asyncio.Event()

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _on_stop(self) -> None:
        """Release whatever waits (long polls); called before the server closes."""

    async def start(self, port: int = 0) -> None:
        """Serve on ``port`` of 127.0.0.1 (0: any free one; give the old port to come
        back where clients already point, after :meth:`stop`)."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        app = web.Application()
        self._routes(app)
        self._closing = asyncio.Event()
        self._runner, self._port = await _bind(app, port)

    async def stop(self) -> None:
        """Stop the server; hung answers and long polls are released at once."""
        if self._runner is None:
            return
        self._closing.set()
        self._on_stop()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} not started")
        return self._port

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the server stops meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)


class TokenBucket:
    """``capacity`` tokens refilled at ``rate`` per second. A cost above the
    capacity needs a full bucket and then leaves it in debt (a 5-segment SMS at
    1 segment/s costs 5 s)."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait_time(self, now: float, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are there (0 if now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        missing = min(cost, self.capacity) - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def take(self, cost: float = 1.0) -> None:
        self.tokens -= cost
