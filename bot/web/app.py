"""The aiohttp application of ``sauti serve``: health, metrics and the channels' webhooks."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import App
from bot.web.health import healthz
from bot.web.limits import MAX_BODY

__all__ = ["MAX_BODY", "build_web_app"]


def build_web_app(app: App) -> web.Application:
    """Every route ``sauti serve`` answers, for ``app``."""
    web_app = web.Application(client_max_size=MAX_BODY)

    async def metrics(request: web.Request) -> web.Response:
        text = await app.metrics.render()
        return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                         "X-Content-Type-Options": "nosniff"})

    web_app.router.add_get("/healthz", healthz(app))
    web_app.router.add_get("/metrics", metrics)
    for channel in app.channels.values():
        for route in channel.routes():
            web_app.router.add_route(route.method, route.path, route.handler)
    return web_app
