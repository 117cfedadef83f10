"""`sauti serve`: the HTTP server (webhooks, health, metrics), the channels'
own loops (Telegram polling), the outbox dispatcher and the timer runner,
started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from bot.app import App
from bot.config import ServerSettings
from bot.transport.registry import enabled_channels
from bot.web.app import build_web_app

log = logging.getLogger(__name__)
TIMERS_GRACE = 10.0  # seconds a running timer has to finish at shutdown (its lease covers it)

# An idle connection is closed after this (aiohttp's default is 3,630 s): Telegram and
# Twilio open a new one when they need it, and idle connections held for an hour used
# up the open-files limit (1,100 of them made the server unreachable).
KEEPALIVE_SECONDS = 5.0


class Service:
    """Everything `sauti serve` runs; tests start it in-process on port 0."""

    def __init__(self, app: App, host: str | None = None, port: int | None = None) -> None:
        self.app = app
        self._host = host if host is not None else app.config.server.host
        self._port = port if port is not None else app.config.server.port
        self._runner: web.AppRunner | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._timers: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> int:
        """Start the channels, the web app and the dispatcher; if any fails to
        start, what had started is stopped again before the error goes up."""
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> int:
        for name in enabled_channels(self.app.config):
            if name not in self.app.channels:
                self.app.enable_channel(name)
        for channel in list(self.app.channels.values()):
            await channel.start()
        self._runner = web.AppRunner(build_web_app(self.app), access_log=None,
                                     handle_signals=False, keepalive_timeout=KEEPALIVE_SECONDS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._dispatcher = asyncio.create_task(self.app.dispatcher.run())
        self._timers = asyncio.create_task(self.app.timers.run())
        log.info("serving on %s:%d with channels %s", self._host, self.port,
                 ", ".join(sorted(self.app.channels)) or "none")
        return self.port

    async def stop(self) -> None:
        """No more webhooks, then let sends under way finish (what waits for its
        turn goes back to the queue), then close the channels and their clients."""
        if self._runner is not None:
            await self._runner.cleanup()
        self.app.dispatcher.stop()
        self.app.timers.stop()
        if self._dispatcher is not None:
            await self._dispatcher
        if self._timers is not None:  # a job cut short runs again after its lease
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timers, TIMERS_GRACE)
        for channel in list(self.app.channels.values()):
            with contextlib.suppress(Exception):
                await channel.stop()


async def serve_forever(app: App) -> None:
    """Run until SIGINT or SIGTERM."""
    import signal

    config = app.config
    called = config.twilio.enabled or (config.telegram.enabled
                                       and config.telegram.mode == "webhook")
    if called and config.server.public_url == ServerSettings().public_url:
        log.warning("server.public_url is the example: Twilio signs, and Telegram calls, the "
                    "public address, so webhooks will not arrive or will be refused")
    service = Service(app)
    await service.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    await service.stop()
