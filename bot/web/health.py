"""``GET /healthz``: whether the store answers, the outbox depth, the store as the
outbox finds it and each channel's state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.app import App

log = logging.getLogger(__name__)
STORE_TIMEOUT = 5  # seconds the store has to answer before the bot says it is unavailable


def healthz(app: App) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler: 200 and JSON while the store answers, else 503. The store
    answers only if a read goes through and the outbox's claims and marks do
    too: ``store`` says ``state`` ("up" or "down") and ``since`` when, with the
    spell under way (``down``) or the last one (``last_down``)."""

    async def handler(request: web.Request) -> web.Response:
        store = app.dispatcher.store_state()
        try:
            ok = await asyncio.wait_for(app.store.ping(), STORE_TIMEOUT)
            depth = await asyncio.wait_for(app.store.outbox_depth(), STORE_TIMEOUT)
        except Exception as exc:  # the store does not answer: say so, don't crash
            log.warning("health check failed: %s", type(exc).__name__)
            return web.json_response({"status": "unavailable", "store": store}, status=503)
        ok = ok and store["state"] == "up"
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "outbox_depth": depth,
                                "store": store, "channels": sorted(app.channels),
                                "channel_state": {name: app.dispatcher.channel_state(name)
                                                  for name in sorted(app.channels)}}
        return web.json_response(body, status=200 if ok else 503)

    return handler
