"""`sauti serve`'s own endpoints: health and Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import App
from bot.domain.messages import Inbound
from bot.web.service import Service
from tests.conftest import RecordingChannel, make_config


async def test_healthz_and_metrics(tmp_path: Path) -> None:
    app = await App.open(make_config(tmp_path))
    channel = RecordingChannel(name="console")
    app.add_channel(channel)
    service = Service(app, host="127.0.0.1", port=0)
    port = await service.start()
    try:
        for n, text in enumerate(["hello", "1", "1"]):
            await app.conversations.handle(Inbound("console", "metrics-user", text,
                                                   external_id=f"mx{n}"))
        await app.conversations.handle(Inbound("console", "metrics-user", "again",
                                               external_id="mx0"))  # a duplicate
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
                body = await resp.json()
                assert body["status"] == "ok" and "outbox_depth" in body
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"] == CONTENT_TYPE_LATEST
                text = await resp.text()
            async with http.get(f"http://127.0.0.1:{port}/nope") as resp:
                assert resp.status == 404
    finally:
        await service.stop()
        await app.close()
    assert 'sauti_inbound_total{channel="console",outcome="handled"} 3' in text
    assert 'sauti_inbound_total{channel="console",outcome="duplicate"} 1' in text
    assert 'sauti_inbound_handling_seconds_count{channel="console"} 4' in text
    assert "# TYPE sauti_outbox_depth gauge" in text
    assert "metrics-user" not in text


async def test_healthz_says_503_when_the_store_is_gone(tmp_path: Path) -> None:
    app = await App.open(make_config(tmp_path))
    service = Service(app, host="127.0.0.1", port=0)
    port = await service.start()
    await app.store.close()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 503
    finally:
        await service.stop()
