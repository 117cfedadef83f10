"""``sauti reports``: list, show, update and refer reports from the terminal,
acting through the desk (``app.desk``) as ``--as NAME`` or the local operator."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.reports.change import update
from bot.cli.reports.read import held, list_reports, show
from bot.cli.reports.referral import referral

if TYPE_CHECKING:
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    reports = sub.add_parser("reports", parents=[common], help="triage reports")
    actions = reports.add_subparsers(dest="reports_command", required=True, metavar="ACTION")
    p = actions.add_parser("list", parents=[common], help="the queue: oldest first")
    p.add_argument("--status")
    p.add_argument("--category")
    p.add_argument("--area")
    p.add_argument("--urgent", action="store_true")
    p.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=list_reports)
    p = actions.add_parser("held", parents=[common],
                           help="messages flood control held (redacted, unlinked)")
    p.add_argument("--limit", type=int, default=200, help="at most this many (default 200)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=held)
    p = actions.add_parser("show", parents=[common], help="one report, its timeline and notes")
    p.add_argument("ref")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=show)
    p = actions.add_parser("update", parents=[common], help="change a report")
    p.add_argument("ref")
    p.add_argument("--status")
    p.add_argument("--tag", action="append", default=[], metavar="T",
                   help="add a tag; --tag=-T removes it (repeatable)")
    p.add_argument("--note", metavar="TEXT", help="an internal note")
    p.add_argument("--reply", metavar="TEXT",
                   help="public answer, sent to a contactable reporter")
    p.add_argument("--assign", metavar="NAME", help="a [[staff]] name")
    p.add_argument("--refer", metavar="PARTNER", help="a [[partners]] code")
    p.set_defaults(run=update)
    p = actions.add_parser("referral", parents=[common],
                           help="the package a conduct and discipline team needs")
    p.add_argument("ref")
    p.add_argument("--out", metavar="FILE", required=True)
    p.set_defaults(run=referral)
