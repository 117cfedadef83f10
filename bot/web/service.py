"""`sauti serve`: the HTTP server (webhooks, health, metrics), the channels'
own loops (Telegram polling) and the outbox dispatcher, started and stopped
together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import App
from bot.config import PrivacySettings, ServerSettings

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def enabled_channels(app: App) -> list[str]:
    """The channels the config turns on, for `sauti serve`."""
    cfg = app.config
    names: list[str] = []
    if cfg.telegram.enabled:
        names.append("telegram")
    if cfg.twilio.enabled and cfg.twilio.sms_from:
        names.append("sms")
    if cfg.twilio.enabled and cfg.twilio.whatsapp_from:
        names.append("whatsapp")
    return names


def build_web_app(app: App) -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY)

    async def healthz(request: web.Request) -> web.Response:
        try:
            ok = await asyncio.wait_for(app.store.ping(), 5)
            depth = await app.store.outbox_depth()
        except Exception as exc:  # the store does not answer: say so, don't crash
            log.warning("health check failed: %s", type(exc).__name__)
            return web.json_response({"status": "unavailable"}, status=503)
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "outbox_depth": depth,
                                "channels": sorted(app.channels),
                                "channel_state": {name: app.dispatcher.channel_state(name)
                                                  for name in sorted(app.channels)}}
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        text = await app.metrics.render()
        return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                         "X-Content-Type-Options": "nosniff"})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    for channel in app.channels.values():
        for route in getattr(channel, "routes", list)():
            web_app.router.add_route(route.method, route.path, route.handler)
    return web_app


class Service:
    """Everything `sauti serve` runs; tests start it in-process on port 0."""

    def __init__(self, app: App, host: str | None = None, port: int | None = None) -> None:
        self.app = app
        self._host = host if host is not None else app.config.server.host
        self._port = port if port is not None else app.config.server.port
        self._runner: web.AppRunner | None = None
        self._dispatcher: asyncio.Task[None] | None = None
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
        for name in enabled_channels(self.app):
            if name not in self.app.channels:
                self.app.enable_channel(name)
        for channel in list(self.app.channels.values()):
            start = getattr(channel, "start", None)
            if start is not None:
                await start()
        self._runner = web.AppRunner(build_web_app(self.app), access_log=None,
                                     handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._dispatcher = asyncio.create_task(self.app.dispatcher.run())
        log.info("serving on %s:%d with channels %s", self._host, self.port,
                 ", ".join(sorted(self.app.channels)) or "none")
        return self.port

    async def stop(self) -> None:
        """No more webhooks, then let sends under way finish (what waits for its
        turn goes back to the queue), then close the channels and their clients."""
        if self._runner is not None:
            await self._runner.cleanup()
        self.app.dispatcher.stop()
        if self._dispatcher is not None:
            await self._dispatcher
        for channel in list(self.app.channels.values()):
            stop = getattr(channel, "stop", None)
            if stop is not None:
                with contextlib.suppress(Exception):
                    await stop()


# The cyclic garbage collector's youngest generation is collected after this
# many new container objects instead of 700: a webhook makes a few hundred, so
# the default collected every other request or so, walking what it had just
# made, almost none of it cyclic. Memory stays bounded; counted with callgrind,
# a turn costs 3% fewer instructions.
GC_YOUNG_THRESHOLD = 20_000


async def serve_forever(app: App) -> None:
    """Run until SIGINT or SIGTERM."""
    import gc
    import signal

    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])

    defaults = PrivacySettings()
    privacy = app.config.privacy
    if privacy.pseudonym_key.get_secret_value() == defaults.pseudonym_key.get_secret_value() \
            or privacy.contact_key.get_secret_value() == defaults.contact_key.get_secret_value():
        log.warning("privacy.pseudonym_key or privacy.contact_key is the built-in example: "
                    "set long random values before real use")
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
