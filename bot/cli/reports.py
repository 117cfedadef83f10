"""``sauti reports``: list, show and update reports from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.cli.command import with_app
from bot.config import Config
from bot.domain.records import Report, ReportStatus

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    reports = sub.add_parser("reports", parents=[common], help="triage reports")
    actions = reports.add_subparsers(dest="reports_command", required=True, metavar="ACTION")
    p = actions.add_parser("list", parents=[common], help="list reports, newest first")
    p.add_argument("--status", choices=[s.value for s in ReportStatus])
    p.add_argument("--category")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=list_reports)
    p = actions.add_parser("show", parents=[common], help="one report")
    p.add_argument("ref")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=show)
    p = actions.add_parser("update", parents=[common], help="set a report's status")
    p.add_argument("ref")
    p.add_argument("--status", required=True, choices=[s.value for s in ReportStatus])
    p.add_argument("--reply", help="public answer the reporter sees when checking the code")
    p.set_defaults(run=update)


def _report_json(report: Report) -> dict[str, Any]:
    data = asdict(report)
    for key in ("created_at", "updated_at"):
        data[key] = data[key].isoformat()
    data["status"] = report.status.value
    return data


async def list_reports(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        status = ReportStatus(args.status) if args.status else None
        found = await app.store.list_reports(
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

    return await with_app(config, body)


async def show(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        report = await app.store.report_by_ref(args.ref.upper())
        if report is None or report.sensitive:
            print(f"sauti: no report {args.ref.upper()!r}", file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(_report_json(report), ensure_ascii=False))
        else:
            for key, value in _report_json(report).items():
                print(f"{key:>13}: {value}")
        return 0

    return await with_app(config, body)


async def update(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        ok = await app.store.set_report_status(args.ref.upper(), ReportStatus(args.status),
                                               public_reply=args.reply, now=datetime.now(UTC))
        if not ok:
            print(f"sauti: no report {args.ref.upper()!r}", file=sys.stderr)
            return 1
        print(f"{args.ref.upper()}: {args.status}")
        return 0

    return await with_app(config, body)
