"""The console channel: chat with the bot in a terminal, through the same engine.

Interactive on a TTY; with piped input it reads one message per line, prints
the replies and exits at end of input, so it can be scripted.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from bot.domain.messages import Outbound
from bot.text.rendering import render_text
from bot.transport.channel import Capabilities, SendResult

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config


class ConsoleChannel:
    name = "console"
    capabilities = Capabilities(buttons=False, max_chars=100_000)

    def __init__(self, out: TextIO) -> None:
        self._out = out

    async def send(self, address: str, message: Outbound) -> SendResult:
        self._out.write(render_text(message, self.capabilities) + "\n\n")
        self._out.flush()
        return SendResult()


def build(config: Config, app: App) -> ConsoleChannel:
    return ConsoleChannel(sys.stdout)
