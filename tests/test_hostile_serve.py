"""Server hygiene: idle connections closed after the keep-alive timeout, and the
open-files check `sauti serve` makes at start."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import serve
from bot.web import service as service_module
from bot.web.service import Service
from tests.conftest import make_config


@pytest.fixture
async def port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[int]:
    """A running service whose idle connections close after 0.3 s (5 s in production)."""
    monkeypatch.setattr(service_module, "KEEPALIVE_SECONDS", 0.3)
    app = await App.open(make_config(tmp_path))
    service = Service(app, host="127.0.0.1", port=0)
    try:
        yield await service.start()
    finally:
        await service.stop()
        await app.close()


async def closed_after(reader: asyncio.StreamReader) -> float:
    """Seconds until the server closes the connection (at most 5)."""
    started = time.monotonic()
    async with asyncio.timeout(5):
        while await reader.read(65536):
            pass
    return time.monotonic() - started


def test_the_keepalive_timeout_is_seconds() -> None:
    assert 1 <= service_module.KEEPALIVE_SECONDS <= 10


async def test_a_connection_that_never_asks_is_closed(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        assert await closed_after(reader) < 3
    finally:
        writer.close()


async def test_an_idle_keepalive_connection_is_closed_after_its_answer(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # keep-alive
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        assert await closed_after(reader) < 3
    finally:
        writer.close()


def test_a_low_open_files_limit_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.cli.serve")
    assert serve.check_open_files(1024)
    assert [r.getMessage() for r in caplog.records] == [
        "the open-files limit is 1024: each connection holds one, and below 4096 a burst of "
        "connections can exhaust it and stop the server accepting; raise it (ulimit -n, or "
        "LimitNOFILE= in a systemd unit)"]
    caplog.clear()
    assert not serve.check_open_files(serve.MIN_OPEN_FILES)
    assert not serve.check_open_files(None)  # unlimited, or no such limit here
    assert not caplog.records


def test_the_open_files_limit_is_read_from_the_process() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    expected = None if soft == resource.RLIM_INFINITY else soft
    assert serve.open_files_limit() == expected
