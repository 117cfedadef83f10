"""The console channel: chat with the bot in a terminal, through the same engine.

Interactive on a TTY; with piped input it reads one message per line, prints
the replies and exits at end of input, so it can be scripted.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Protocol, TextIO

from bot.config import Config
from bot.domain.messages import Inbound, Outbound
from bot.transport.channel import Capabilities, Channel, Rendered, SendResult
from bot.transport.context import ChannelContext
from bot.transport.registry import ChannelPlugin

NAME = "console"


class ConsoleChannel(Channel):
    name = NAME
    capabilities = Capabilities(buttons=False, max_chars=100_000)

    def __init__(self, out: TextIO) -> None:
        self._out = out

    async def send(self, address: str, message: Outbound,
                   rendered: Rendered | None = None) -> SendResult:
        self._out.write((rendered or self.render(message)).text + "\n\n")
        self._out.flush()
        return SendResult()


def build(config: Config, context: ChannelContext) -> ConsoleChannel:
    return ConsoleChannel(sys.stdout)


# `sauti chat` adds it itself; `sauti serve` never does.
plugin = ChannelPlugin(NAME, build, lambda config: False)


class _Drains(Protocol):
    async def drain(self) -> int: ...


class _Handles(Protocol):
    async def handle(self, inbound: Inbound, /) -> object: ...


class ChatHost(Protocol):
    """What :func:`chat` needs of the running bot."""

    @property
    def dispatcher(self) -> _Drains: ...

    @property
    def conversations(self) -> _Handles: ...

    def add_channel(self, channel: Channel) -> None: ...


async def chat(app: ChatHost, user: str, stdin: TextIO, stdout: TextIO) -> None:
    """Read messages from ``stdin`` until end of input, replying on ``stdout``."""
    channel = ConsoleChannel(stdout)
    app.add_channel(channel)
    interactive = stdin.isatty()
    loop = asyncio.get_running_loop()
    await app.dispatcher.drain()  # anything left from an earlier run
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        await app.conversations.handle(Inbound(channel=NAME, address=user,
                                               text=line.rstrip("\n")))
        await app.dispatcher.drain()
