"""``sauti serve``: webhooks, Telegram polling and the outbox dispatcher, until a signal."""

from __future__ import annotations

import argparse
import gc
from typing import TYPE_CHECKING

from bot.cli.command import with_app
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common],
                       help="webhooks, Telegram polling and the outbox dispatcher")
    p.set_defaults(run=run, real_keys=True)  # real people: real keys (bot/cli/keys.py)


# The cyclic collector's youngest generation is collected after this many new
# container objects rather than CPython's 700: a webhook makes a few hundred, so
# the default walks each request's fresh, acyclic objects every other request.
# The serving process owns its interpreter, so the command sets it, not a library
# function (figures: docs/performance.md, "The young GC generation").
GC_YOUNG_THRESHOLD = 20_000


async def run(args: argparse.Namespace, config: Config) -> int:
    from bot.web.service import serve_forever  # aiohttp's server only for this command

    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])

    async def body(app: App) -> int:
        await serve_forever(app)
        return 0

    return await with_app(config, body)
