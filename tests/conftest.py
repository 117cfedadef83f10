"""Shared fixtures: a real App on a temporary SQLite file, and residents who
talk to it through a recording channel (our own channel interface, no SDK)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Config
from bot.domain.messages import Inbound, Location, MediaKind, Outbound
from bot.text.rendering import render_text
from bot.transport.channel import Capabilities, Channel, Rendered, SendResult

ROOT = Path(__file__).resolve().parent.parent
# Real privacy keys, made for the tests: `sauti serve` refuses to start without such
# keys (bot/config/keys.py), so a config file it is started with includes these lines.
REAL_KEYS_TOML = ('[privacy]\npseudonym_key = "k2:6ul3ynuAWaDp-pW7BxescK1LJfTzb4AUqchqgatFz0I"\n'
                  'contact_key = "k2:puqh9hofMEDR7A8_n0KCCcuTYo2Ml4YSUSjMVuX2OZ8"\n')


async def start_sauti(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    """``sauti ARGS`` as an operator runs it: its own process, this checkout's code,
    no SAUTI_* settings from the environment; stdout and stderr piped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAUTI")}
    env["PYTHONPATH"] = str(ROOT)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@dataclass
class RecordingChannel(Channel):
    """A channel that keeps what it would send, per address."""

    name: str = "console"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(buttons=False))
    sent: list[tuple[str, Outbound]] = field(default_factory=list)

    async def send(self, address: str, message: Outbound,
                   rendered: Rendered | None = None) -> SendResult:
        self.sent.append((address, message))
        return SendResult(external_id=f"out-{len(self.sent)}")

    def take(self, address: str) -> list[Outbound]:
        mine = [m for a, m in self.sent if a == address]
        self.sent = [(a, m) for a, m in self.sent if a != address]
        return mine


def make_config(tmp_path: Path, **sections: Any) -> Config:
    data: dict[str, Any] = {"storage": {"url": f"sqlite:///{tmp_path}/sauti.db"}}
    data["privacy"] = {"pseudonym_key": "test-pseudonym-key", "contact_key": "test-contact-key"}
    for name, value in sections.items():
        if isinstance(value, dict):
            data.setdefault(name, {}).update(value)
        else:
            data[name] = value
    return Config.model_validate(data)


REF = re.compile(r"(?:Its code is|Son code est) ([2-9A-Z]{6})")


def code_of(reply: str) -> str:
    """The reference code a "report sent" reply gives (English or French)."""
    found = REF.search(reply)
    assert found, f"no reference code in {reply!r}"
    return found.group(1)


class Resident:
    """One invented person talking to the bot."""

    _sent = 0  # message ids unique across residents and app restarts

    def __init__(self, app: App, channel: RecordingChannel, address: str) -> None:
        self.app = app
        self.channel = channel
        self.address = address
        self.last: Outbound | None = None

    async def send(self, text: str = "", *, choice: str | None = None,
                   media: tuple[MediaKind, ...] = (), location: Location | None = None,
                   at: datetime | None = None, external_id: str | None = None,
                   profile_name: str | None = None) -> str:
        """Send a message; returns the reply as the person would read it ('' if none)."""
        Resident._sent += 1
        inbound = Inbound(
            channel=self.channel.name, address=self.address, text=text,
            external_id=external_id if external_id is not None else f"m{Resident._sent}",
            received_at=at or datetime.now(UTC), media=media, location=location, choice=choice,
            profile_name=profile_name)
        await self.app.conversations.handle(inbound)
        await self.app.dispatcher.drain()
        replies = self.channel.take(self.address)
        self.last = replies[-1] if replies else None
        return "\n".join(render_text(r, self.channel.capabilities) for r in replies)

    async def report(self, description: str, *, category: str = "1", area: str = "1",
                     contact: str = "2") -> str:
        """From the main menu, walk a whole report in English; returns its code."""
        assert "What is it about?" in await self.send("1")
        assert "Describe what happened" in await self.send(category)
        reply = await self.send(description)
        assert "Which area?" in reply
        assert "contact you" in await self.send(area)
        assert (await self.send(contact)).startswith("Send this report?")
        done = await self.send("1")
        assert "Your report is sent" in done
        return code_of(done)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
async def app(config: Config) -> AsyncIterator[App]:
    application = await App.open(config)
    yield application
    await application.close()


@pytest.fixture
def channel(app: App) -> RecordingChannel:
    rec = RecordingChannel()
    app.add_channel(rec)
    return rec


@pytest.fixture
def resident(app: App, channel: RecordingChannel) -> Callable[[str], Resident]:
    def make(address: str) -> Resident:
        return Resident(app, channel, address)

    return make



@pytest.fixture(autouse=True)
def no_database_left_open() -> Iterator[None]:
    """Every test closes the stores it opens: an aiosqlite connection left open
    keeps its worker thread, and with it the test process, alive after the run."""
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        if "connection_worker" in thread.name:
            thread.join(timeout=2)
            assert not thread.is_alive(), "a test left a database connection open"
