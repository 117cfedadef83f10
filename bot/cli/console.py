"""``sauti console``: chat with the bot in this terminal, through the same engine.

Interactive on a terminal (a ``> `` prompt); with piped input it reads one
message per line, prints the replies and exits at end of input, so it can be
scripted. The replies go out through the console channel, which writes them
to ``sys.stdout`` as the outbox sends them.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from typing import TYPE_CHECKING, TextIO

from bot.cli.command import UsageError, with_app
from bot.config import Config
from bot.domain.messages import Inbound

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands

CHANNEL = "console"


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("console", parents=[common], help="chat with the bot in this terminal")
    p.add_argument("--user", default="resident", help="who you are (a console_user of [[staff]]"
                   " has that person's roles)")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, config: Config) -> int:
    if not config.console.enabled:
        raise UsageError("the console channel is disabled (console.enabled = false)")
    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8 become U+FFFD
        sys.stdin.reconfigure(errors="replace")

    async def body(app: App) -> int:
        await chat(app, args.user, sys.stdin, sys.stdout)
        return 0

    return await with_app(config, body)


async def chat(app: App, user: str, stdin: TextIO, prompt: TextIO) -> None:
    """Read messages from ``stdin`` until end of input; each is handled and its
    replies sent (the console channel prints them) before the next is read."""
    app.enable_channel(CHANNEL)
    interactive = stdin.isatty()
    loop = asyncio.get_running_loop()
    await app.dispatcher.drain()  # anything left from an earlier run
    while True:
        if interactive:
            prompt.write("> ")
            prompt.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        await app.conversations.handle(Inbound(channel=CHANNEL, address=user,
                                               text=line.rstrip("\n")))
        await app.dispatcher.drain()
