"""``sauti serve``: webhooks, Telegram polling and the outbox dispatcher, until a signal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import with_app
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common],
                       help="webhooks, Telegram polling and the outbox dispatcher")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, config: Config) -> int:
    from bot.web.service import serve_forever  # aiohttp's server only for this command

    async def body(app: App) -> int:
        await serve_forever(app)
        return 0

    return await with_app(config, body)
