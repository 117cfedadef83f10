"""``sauti export reports|polls|audit --format csv|json --out FILE``: everything
the actor may see, to a file only its owner can read (a poll with its results,
small cells suppressed as everywhere)."""

from __future__ import annotations

import argparse
import csv
import json
from typing import TYPE_CHECKING, Any

from bot.cli.command import actor_of, require_database, with_app
from bot.cli.deskout import audit_json, private_file, view_json, zone
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", parents=[common], help="reports or the audit trail to a file")
    p.add_argument("what", choices=["reports", "polls", "audit"])
    p.add_argument("--format", choices=["csv", "json"], required=True)
    p.add_argument("--out", metavar="FILE", required=True)
    p.set_defaults(run=run)


def _flat(row: dict[str, Any]) -> dict[str, str]:
    """One CSV row: lists joined, the timeline and notes as counts."""
    flat: dict[str, str] = {}
    for key, value in row.items():
        if key in ("notes", "timeline"):
            flat[key] = str(len(value))
        elif isinstance(value, dict) or (isinstance(value, list)
                                         and any(isinstance(v, dict) for v in value)):
            flat[key] = json.dumps(value, ensure_ascii=False)  # a poll's texts, results
        elif isinstance(value, list):
            flat[key] = " ".join(str(v) for v in value)
        elif value is None:
            flat[key] = ""
        else:
            flat[key] = str(value)
    return flat


async def run(args: argparse.Namespace, config: Config) -> int:
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        if args.what == "reports":
            rows = [view_json(v, tz) for v in await app.desk.export_reports(actor)]
        elif args.what == "polls":  # each with its results, small cells suppressed
            from bot.cli.poll import poll_json, results_json

            rows = []
            for poll in await app.polls.list(actor):
                _poll, res = await app.polls.results(actor, poll.id)
                rows.append({**poll_json(poll, config),
                             "results": results_json(poll, res, config.bot.default_language)})
        else:
            rows = [audit_json(a, tz) for a in await app.desk.audit(actor)]
        with private_file(args.out) as out:
            if args.format == "json":
                json.dump(rows, out, ensure_ascii=False, indent=1)
                out.write("\n")
            else:
                flat = [_flat(r) for r in rows]
                fields = list(flat[0]) if flat else []
                writer = csv.DictWriter(out, fieldnames=fields)
                writer.writeheader()
                writer.writerows(flat)
        print(f"{len(rows)} {args.what} rows written to {args.out}")
        return 0

    return await with_app(config, body)
