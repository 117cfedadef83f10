"""``sauti reports referral REF --out FILE``: what a conduct and discipline team
needs, as plain text: the report's anonymised text, its timeline and its audit
trail; no pseudonym, no contact, no internal notes."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli.command import actor_of, require_database, with_app
from bot.cli.deskout import audit_line, private_file, stamp, zone
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import App


async def referral(args: argparse.Namespace, config: Config) -> int:
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        view = await app.desk.show(actor, args.ref)
        r = view.report
        trail = [a for a in await app.desk.audit(actor) if a.target == r.ref]
        partner = app.desk.partners().get(view.partner or "", view.partner or "-")
        lines = [
            f"Referral package for report {r.ref}",
            f"Prepared {stamp(datetime.now(UTC), tz)} by {actor.name}",
            "",
            f"Received:  {stamp(r.created_at, tz)} ({r.channel}, {r.language})",
            f"Category:  {r.category}",
            f"Area:      {r.area or '-'}",
            f"Status:    {r.status.value}",
            f"Partner:   {partner}",
            f"Redacted:  {', '.join(r.redactions) or 'nothing'}",
            "",
            "Account (personal details already removed):",
            *(f"  {line}" for line in r.description.splitlines()),
            "",
            "Timeline:",
            *(f"  {stamp(e.at, tz)}  {e.actor:<14} {e.action} {e.detail}".rstrip()
              for e in view.timeline),
            "",
            "Audit trail:",
            *(f"  {audit_line(a, tz)}" for a in trail),
        ]
        with private_file(args.out) as out:
            out.write("\n".join(lines) + "\n")
        print(f"{r.ref}: referral package written to {args.out}")
        return 0

    return await with_app(config, body)
