"""The ``sauti`` command: its parser, logging and exit codes (0 ok, 1 failure,
2 bad usage or input). Each command group lives in a module of its own."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.cli import (
    advisory,
    audit,
    console,
    db,
    export,
    keys,
    logs,
    moderation,
    poll,
    purge,
    reports,
    serve,
)
from bot.cli.command import Command, NoDatabase, UsageError, require_real_keys
from bot.cli.deskout import error_line, exit_code
from bot.config import ConfigError, load_config
from bot.desk.api import DeskError
from bot.storage import UnsupportedStore
from bot.transport.channel import ChannelRefused

GROUPS = (console, serve, db, reports, audit, export, purge, keys, moderation, advisory, poll)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (default: $SAUTI_CONFIG, ./config.toml, built-ins)")
    common.add_argument("--as", dest="as_name", metavar="NAME", default=argparse.SUPPRESS,
                        help="act as this [[staff]] member (default: $SAUTI_AS, else the "
                             "local operator)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="sauti", parents=[common],
                                     description="Sauti community feedback bot")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_parser(sub, common)
    return parser


def _level(args: argparse.Namespace) -> int:
    """DEBUG with -v; else WARNING in the console (the chat is the output), INFO elsewhere."""
    if getattr(args, "verbose", False):
        return logging.DEBUG
    return logging.WARNING if args.command == "console" else logging.INFO


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    logs.configure(_level(args))
    try:
        config = load_config(getattr(args, "config", None))
        if getattr(args, "real_keys", False):
            require_real_keys(config)
        run: Command = args.run
        return asyncio.run(run(args, config))
    except ConfigError as exc:
        print(f"sauti: config error: {exc}", file=sys.stderr)
        return 2
    except (UsageError, UnsupportedStore, ChannelRefused) as exc:
        print(f"sauti: {exc}", file=sys.stderr)
        return 2
    except NoDatabase as exc:
        print(f"sauti: {exc}", file=sys.stderr)
        return 1
    except DeskError as exc:
        print(f"sauti: {error_line(exc)}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
