"""``sauti db``: the database schema."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import with_app
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    db = sub.add_parser("db", parents=[common], help="database schema")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("upgrade", parents=[common], help="create or migrate the schema"
                       ).set_defaults(run=upgrade)


async def upgrade(args: argparse.Namespace, config: Config) -> int:
    """Opening the store creates or migrates the schema; say which version it is at."""

    async def body(app: App) -> int:
        print(f"schema version {await app.store.schema_version()}")
        return 0

    return await with_app(config, body)
