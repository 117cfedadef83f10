"""``sauti purge``: apply retention now (``sauti serve`` also does it once a day)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli.command import require_database, with_app
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("purge", parents=[common],
                       help="delete what retention says is past its time, now")
    p.add_argument("--json", action="store_true", help="the counts as one JSON object")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, config: Config) -> int:
    from bot.timers.retention import retention_of

    require_database(config)

    async def body(app: App) -> int:
        removed = await app.store.purge(datetime.now(UTC), retention_of(config))
        if args.json:
            print(json.dumps(removed))
        else:
            for kind, count in removed.items():
                print(f"{kind}: {count}")
        return 0

    return await with_app(config, body)
