"""The console channel: the bot's replies printed in this terminal.

``sauti console`` (bot/cli/console.py) reads what is typed and hands it to the
same pipeline as every other channel; this channel prints what comes back.
"""

from __future__ import annotations

import sys
from typing import TextIO

from bot.config import Config
from bot.domain.messages import Outbound
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


# `sauti console` adds it itself; `sauti serve` never does.
plugin = ChannelPlugin(NAME, build, lambda config: False)
