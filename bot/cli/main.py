"""The ``sauti`` command. Exit codes: 0 ok, 1 failure, 2 bad usage or input."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from bot.config import Config, ConfigError, load_config
from bot.domain.records import Report, ReportStatus
from bot.storage import UnsupportedStore
from bot.transport.channel import ChannelRefused

log = logging.getLogger("sauti")
Command = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]


class UsageError(Exception):
    """Bad input on the command line (exit code 2)."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (default: $SAUTI_CONFIG, ./config.toml, built-ins)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="sauti", parents=[common],
                                     description="Sauti community feedback bot")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("console", parents=[common], help="chat with the bot in this terminal")
    p.add_argument("--user", default="resident", help="who you are (a console_user of [[staff]]"
                   " has that person's roles)")
    p.set_defaults(run=_console)

    p = sub.add_parser("serve", parents=[common],
                       help="webhooks, Telegram polling and the outbox dispatcher")
    p.set_defaults(run=_serve)

    db = sub.add_parser("db", parents=[common], help="database schema")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dbsub.add_parser("upgrade", parents=[common], help="create or migrate the schema"
                     ).set_defaults(run=_db_upgrade)

    reports = sub.add_parser("reports", parents=[common], help="triage reports")
    rsub = reports.add_subparsers(dest="reports_command", required=True, metavar="ACTION")
    p = rsub.add_parser("list", parents=[common], help="list reports, newest first")
    p.add_argument("--status", choices=[s.value for s in ReportStatus])
    p.add_argument("--category")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_reports_list)
    p = rsub.add_parser("show", parents=[common], help="one report")
    p.add_argument("ref")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_reports_show)
    p = rsub.add_parser("update", parents=[common], help="set a report's status")
    p.add_argument("ref")
    p.add_argument("--status", required=True, choices=[s.value for s in ReportStatus])
    p.add_argument("--reply", help="public answer the reporter sees when checking the code")
    p.set_defaults(run=_reports_update)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO
                        if args.command != "console" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    # HTTP client libraries log request URLs (the Telegram token is in them) and,
    # at DEBUG, request bodies (people's messages): keep them quiet whatever -v says.
    # aiosqlite logs SQL parameters at DEBUG.
    for noisy in ("httpx", "httpcore", "telegram", "twilio", "aiohttp.access", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = load_config(getattr(args, "config", None))
        run: Command = args.run
        return asyncio.run(run(args, config))
    except ConfigError as exc:
        print(f"sauti: config error: {exc}", file=sys.stderr)
        return 2
    except (UsageError, UnsupportedStore, ChannelRefused) as exc:
        print(f"sauti: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _with_app(config: Config, body: Callable[[Any], Awaitable[int]]) -> int:
    from bot.app import App

    app = await App.open(config)
    try:
        return await body(app)
    finally:
        await app.close()


async def _console(args: argparse.Namespace, config: Config) -> int:
    from channels.console import chat

    if not config.console.enabled:
        raise UsageError("the console channel is disabled (console.enabled = false)")

    if isinstance(sys.stdin, __import__("io").TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")

    async def body(app: Any) -> int:
        await chat(app, args.user, sys.stdin, sys.stdout)
        return 0

    return await _with_app(config, body)


async def _serve(args: argparse.Namespace, config: Config) -> int:
    from bot.web.service import serve_forever

    async def body(app: Any) -> int:
        await serve_forever(app)
        return 0

    return await _with_app(config, body)


async def _db_upgrade(args: argparse.Namespace, config: Config) -> int:
    async def body(app: Any) -> int:
        print(f"schema version {await app.store.schema_version()}")
        return 0

    return await _with_app(config, body)


def _report_json(report: Report) -> dict[str, Any]:
    data = asdict(report)
    for key in ("created_at", "updated_at"):
        data[key] = data[key].isoformat()
    data["status"] = report.status.value
    return data


async def _reports_list(args: argparse.Namespace, config: Config) -> int:
    async def body(app: Any) -> int:
        status = ReportStatus(args.status) if args.status else None
        found: list[Report] = await app.store.list_reports(
            status=status, category=args.category, include_sensitive=False, limit=args.limit)
        if args.json:
            print(json.dumps([_report_json(r) for r in found], ensure_ascii=False))
            return 0
        for r in found:
            print(f"{r.ref}  {r.created_at:%Y-%m-%d %H:%M}  {r.status.value:<10} "
                  f"{r.category:<18} {r.area or '-':<10} {r.description[:50]}")
        if not found:
            print("no reports")
        return 0

    return await _with_app(config, body)


async def _reports_show(args: argparse.Namespace, config: Config) -> int:
    async def body(app: Any) -> int:
        report: Report | None = await app.store.report_by_ref(args.ref.upper())
        if report is None or report.sensitive:
            print(f"sauti: no report {args.ref.upper()!r}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(_report_json(report), ensure_ascii=False))
        else:
            for key, value in _report_json(report).items():
                print(f"{key:>13}: {value}")
        return 0

    return await _with_app(config, body)


async def _reports_update(args: argparse.Namespace, config: Config) -> int:
    async def body(app: Any) -> int:
        ok = await app.store.set_report_status(args.ref.upper(), ReportStatus(args.status),
                                               public_reply=args.reply, now=datetime.now(UTC))
        if not ok:
            print(f"sauti: no report {args.ref.upper()!r}", file=sys.stderr)
            return 1
        print(f"{args.ref.upper()}: {args.status}")
        return 0

    return await _with_app(config, body)


if __name__ == "__main__":
    sys.exit(main())
