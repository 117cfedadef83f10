"""``sauti reports list`` and ``show``: readable text, or one JSON document."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cli.command import actor_of, require_database, with_app
from bot.cli.deskout import check_filters, local, stamp, view_json, zone
from bot.config import Config
from bot.desk.api import ReportView
from bot.domain.records import HeldMessage

if TYPE_CHECKING:
    from bot.app import App

PAGE = 50


async def list_reports(args: argparse.Namespace, config: Config) -> int:
    check_filters(config, status=args.status, category=args.category, area=args.area)
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        found: list[ReportView] = []
        while len(found) < max(0, args.limit):
            page = await app.desk.queue(actor, status=args.status, category=args.category,
                                        area=args.area, urgent=args.urgent,
                                        offset=len(found),
                                        limit=min(PAGE, args.limit - len(found)))
            found += page.items
            if not page.items or len(found) >= page.total:
                break
        if args.json:
            print(json.dumps([view_json(v, tz) for v in found], ensure_ascii=False))
            return 0
        for v in found:
            r = v.report
            print(f"{r.ref}  {stamp(r.created_at, tz)}  {r.status.value:<10} "
                  f"{r.category:<18} {r.area or '-':<10} {r.language:<3} {v.assignee or '-'}")
        if not found:
            print("no reports")
        return 0

    return await with_app(config, body)


def render(v: ReportView, tz: ZoneInfo) -> list[str]:
    """A report as lines of text a moderator reads: no reprs, local times."""
    r = v.report
    lines = [
        f"Report {r.ref}  ({r.status.value}{', urgent' if v.urgent else ''})",
        f"  received:    {stamp(r.created_at, tz)} by {r.channel}, in {r.language}",
        f"  updated:     {stamp(r.updated_at, tz)}",
        f"  category:    {r.category}",
        f"  area:        {r.area or '-'}",
        f"  contactable: {'yes' if r.contactable else 'no'}",
        f"  assignee:    {v.assignee or '-'}",
        f"  tags:        {' '.join(v.tags) or '-'}",
        f"  partner:     {v.partner or '-'}",
    ]
    if v.satisfaction:
        lines.append(f"  satisfied:   {v.satisfaction}")
    if r.redactions:
        lines.append(f"  redacted:    {', '.join(r.redactions)}")
    if r.media:
        lines.append(f"  media:       {', '.join(r.media)}")
    lines += ["", "Description:", *(f"  {line}" for line in r.description.splitlines())]
    if r.public_reply:
        lines += ["", "Public answer:", *(f"  {line}" for line in r.public_reply.splitlines())]
    if v.notes:
        lines += ["", "Notes:"]
        lines += [f"  {stamp(n.at, tz)}  {n.actor}: {n.detail}" for n in v.notes]
    if v.timeline:
        lines += ["", "Timeline:"]
        lines += [f"  {stamp(e.at, tz)}  {e.actor:<14} {e.action} {e.detail}".rstrip()
                  for e in v.timeline]
    return lines


async def show(args: argparse.Namespace, config: Config) -> int:
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        view = await app.desk.show(actor, args.ref)
        if args.json:
            print(json.dumps(view_json(view, tz), ensure_ascii=False))
        else:
            print("\n".join(render(view, tz)))
        return 0

    return await with_app(config, body)


async def held(args: argparse.Namespace, config: Config) -> int:
    """``sauti reports held``: what flood control held, the latest first."""
    require_database(config)
    actor = actor_of(args, config)
    tz = zone(config)

    async def body(app: App) -> int:
        rows: list[HeldMessage] = []
        while len(rows) < max(0, args.limit):
            page = await app.desk.held(actor, offset=len(rows),
                                       limit=min(PAGE, args.limit - len(rows)))
            rows += page.items
            if not page.items or len(rows) >= page.total:
                break
        if args.json:
            print(json.dumps([{
                "held_at": local(h.held_at, tz).isoformat(timespec="minutes"),
                "channel": h.channel, "language": h.language, "text": h.text,
                "redactions": list(h.redactions), "media": list(h.media),
                "abusive": h.abusive, "abuse_score": h.abuse_score, "cues": list(h.cues),
                "copies": h.copies} for h in rows], ensure_ascii=False))
            return 0
        for h in rows:
            flags = " abuse?" if h.abusive else ""
            print(f"{stamp(h.held_at, tz)}  {h.copies:>3}x  {h.channel:<9} {h.language:<3}"
                  f"{flags}  {h.text}")
        if not rows:
            print("no messages held")
        return 0

    return await with_app(config, body)
