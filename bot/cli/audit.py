"""``sauti audit [--since ISO8601] [--json]``: who did what at the desk (rows on
sensitive reports only for someone with the "sensitive" role)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cli.command import UsageError, actor_of, require_database, with_app
from bot.cli.deskout import audit_json, audit_line, zone
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("audit", parents=[common], help="the desk's audit trail")
    p.add_argument("--since", metavar="ISO8601",
                   help="from this time on (without an offset: the mission's timezone)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def parse_since(text: str | None, tz: ZoneInfo) -> datetime | None:
    """An ISO 8601 time; one without an offset is in the mission's timezone."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since: not an ISO 8601 time {text[:40]!r} "
                         "(e.g. 2026-12-01 or 2026-12-01T08:00+01:00)") from None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


async def run(args: argparse.Namespace, config: Config) -> int:
    tz = zone(config)
    since = parse_since(args.since, tz)
    require_database(config)
    actor = actor_of(args, config)

    async def body(app: App) -> int:
        entries = await app.desk.audit(actor, since)
        if args.json:
            print(json.dumps([audit_json(a, tz) for a in entries], ensure_ascii=False))
            return 0
        for a in entries:
            print(audit_line(a, tz))
        if not entries:
            print("no audit entries")
        return 0

    return await with_app(config, body)
