"""``sauti advisory send | list | show ID [--watch] | cancel ID``: safety
advisories from the terminal, through bot.broadcast (the running ``sauti
serve`` fans them out and sends them, from their due rows)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.broadcast.service import AdvisoryError, DryRun
from bot.cli.command import UsageError, actor_of, require_database, with_app
from bot.cli.deskout import stamp, zone
from bot.config import Config
from bot.storage.broadcast import AdvisoryRow

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands

DONE = ("sent", "cancelled", "expired")


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("advisory", parents=[common], help="safety advisories")
    actions = group.add_subparsers(dest="advisory_command", required=True, metavar="ACTION")
    p = actions.add_parser("send", parents=[common], help="send (or schedule) an advisory")
    p.add_argument("--area", nargs="+", required=True, metavar="CODE")
    p.add_argument("--severity", required=True, choices=("info", "warning", "critical"))
    p.add_argument("--text", nargs="+", required=True, metavar="LANG=TEXT")
    p.add_argument("--at", metavar="ISO8601", help="when to send (default: now)")
    p.add_argument("--expires", metavar="ISO8601", help="never delivered after this")
    p.add_argument("--channel", nargs="+", default=[], metavar="CHANNEL",
                   choices=("telegram", "sms", "whatsapp"))
    p.add_argument("--dry-run", action="store_true", help="who would get it; sends nothing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=send)
    p = actions.add_parser("list", parents=[common], help="the latest advisories")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=list_advisories)
    p = actions.add_parser("show", parents=[common], help="one advisory and its progress")
    p.add_argument("id", type=int)
    p.add_argument("--watch", action="store_true", help="a progress bar until it is done")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=show)
    p = actions.add_parser("cancel", parents=[common], help="stop what has not gone")
    p.add_argument("id", type=int)
    p.set_defaults(run=cancel)


def _when(text: str | None, tz: ZoneInfo, flag: str) -> datetime | None:
    """An ISO 8601 time; one without an offset is in the mission's timezone."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag}: not an ISO 8601 time: {text[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _texts(values: list[str]) -> dict[str, str]:
    texts = {}
    for value in values:
        lang, sep, text = value.partition("=")
        if not sep or not lang.strip():
            raise UsageError(f"--text takes LANG=TEXT, not {value[:40]!r}")
        texts[lang.strip()] = text
    return texts


def as_json(row: AdvisoryRow, tz: ZoneInfo) -> dict[str, Any]:
    def at(moment: datetime | None) -> str | None:
        return moment.astimezone(tz).isoformat(timespec="minutes") if moment else None

    return {"id": row.id, "status": row.status, "severity": row.severity,
            "areas": list(row.areas), "channels": list(row.channels), "texts": row.texts,
            "created_at": at(row.created_at), "starts_at": at(row.starts_at),
            "expires_at": at(row.expires_at), "created_by": row.created_by,
            "audience": row.audience, "progress": row.progress}


def _dry(dry: DryRun, default: str) -> list[str]:
    lines = [f"audience: {dry.total} residents"]
    for (channel, lang), n in sorted(dry.audience.items()):
        lines.append(f"  {channel:<9} {lang:<3} {n}")
    for lang, n in sorted(dry.fallback.items()):
        lines.append(f"  {n} read {lang}, with no text in it: they get the {default} one")
    for lang, n in sorted(dry.segments.items()):
        lines.append(f"SMS segments in {lang}: {n}")
    lines.append(f"SMS cost units: {dry.sms_units}")
    for channel, seconds in sorted(dry.seconds.items()):
        lines.append(f"time to deliver on {channel}: {seconds:,.0f} s at its configured rate")
    lines.append("nothing was sent (--dry-run)")
    return lines


async def send(args: argparse.Namespace, config: Config) -> int:
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        try:
            new = app.broadcasts.check(
                areas=args.area, severity=args.severity, texts=_texts(args.text),
                starts_at=_when(args.at, tz, "--at"),
                expires_at=_when(args.expires, tz, "--expires"), channels=args.channel,
                created_by=actor.name)
        except AdvisoryError as exc:
            raise UsageError(str(exc)) from None
        if args.dry_run:
            dry = await app.broadcasts.dry_run(actor, new)
            if args.json:
                print(json.dumps({"audience": dry.total, "by": [
                    {"channel": c, "language": lang, "residents": n}
                    for (c, lang), n in sorted(dry.audience.items())],
                    "fallback": dry.fallback, "segments": dry.segments,
                    "sms_units": dry.sms_units, "seconds": dry.seconds}))
            else:
                print("\n".join(_dry(dry, config.bot.default_language)))
            return 0
        advisory_id = await app.broadcasts.send(actor, new)
        print(json.dumps({"id": advisory_id, "status": "scheduled"}) if args.json
              else advisory_id)
        return 0

    return await with_app(config, body)


async def list_advisories(args: argparse.Namespace, config: Config) -> int:
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        rows = await app.broadcasts.list(actor)
        if args.json:
            print(json.dumps([as_json(r, tz) for r in rows], ensure_ascii=False))
            return 0
        for r in rows:
            print(f"{r.id:>5}  {stamp(r.created_at, tz)}  {r.status:<9} {r.severity:<8}"
                  f" {','.join(r.areas):<20} {r.audience}")
        if not rows:
            print("no advisories")
        return 0

    return await with_app(config, body)


def bar(row: AdvisoryRow, width: int = 30) -> str:
    p = row.progress
    done = sum(n for k, n in p.items() if k != "queued")
    total = max(row.audience, done + p.get("queued", 0), 1)
    filled = round(width * done / total)
    detail = ", ".join(f"{k} {n}" for k, n in sorted(p.items())) or "nothing queued yet"
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {row.status}: {detail}"


async def show(args: argparse.Namespace, config: Config) -> int:
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        try:
            row = await app.broadcasts.show(actor, args.id)
            if args.watch:
                while row.status not in DONE or row.progress.get("queued"):
                    print(bar(row), flush=True)
                    await asyncio.sleep(1.0)
                    row = await app.broadcasts.show(actor, args.id)
        except AdvisoryError as exc:
            raise UsageError(str(exc)) from None
        if args.json:
            print(json.dumps(as_json(row, tz), ensure_ascii=False))
            return 0
        print(f"Advisory {row.id}  ({row.status}, {row.severity}) to {', '.join(row.areas)}"
              f" on {', '.join(row.channels) or 'every channel'}")
        when = stamp(row.starts_at, tz) if row.starts_at else "-"
        ends = stamp(row.expires_at, tz) if row.expires_at else "never"
        print(f"  starts {when}, expires {ends}, by {row.created_by or '-'}")
        for lang, text in sorted(row.texts.items()):
            print(f"  {lang}: {text}")
        print("  " + bar(row))
        return 0

    return await with_app(config, body)


async def cancel(args: argparse.Namespace, config: Config) -> int:
    require_database(config)
    actor = actor_of(args, config)

    async def body(app: App) -> int:
        try:
            dropped = await app.broadcasts.cancel(actor, args.id)
        except AdvisoryError as exc:
            raise UsageError(str(exc)) from None
        print(f"advisory {args.id} cancelled: {dropped} messages not sent")
        return 0

    return await with_app(config, body)
