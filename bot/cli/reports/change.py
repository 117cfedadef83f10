"""``sauti reports update``: each option one desk action, in a fixed order
(assign, tags, note, public answer, referral, status), each audited. What
it queues to the reporter, ``sauti serve`` sends."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.command import UsageError, actor_of, require_database, with_app
from bot.cli.deskout import check_filters
from bot.config import Config
from bot.desk.api import ReportView

if TYPE_CHECKING:
    from bot.app import App


async def update(args: argparse.Namespace, config: Config) -> int:
    wanted = (args.status, args.tag, args.note, args.reply, args.assign, args.refer)
    if not any(w for w in wanted):
        raise UsageError("reports update: give at least one of --status, --tag, --note, "
                         "--reply, --assign, --refer")
    check_filters(config, status=args.status)
    require_database(config)
    actor = actor_of(args, config)
    add = [t for t in args.tag if not t.startswith("-")]
    remove = [t[1:] for t in args.tag if t.startswith("-")]

    async def body(app: App) -> int:
        desk, ref = app.desk, args.ref
        view: ReportView | None = None
        if args.assign is not None:
            view = await desk.assign(actor, ref, args.assign)
        if add or remove:
            view = await desk.tag(actor, ref, add, remove)
        if args.note is not None:
            view = await desk.note(actor, ref, args.note)
        if args.reply is not None:
            view = await desk.answer(actor, ref, args.reply)
        if args.refer is not None:
            view = await desk.refer(actor, ref, args.refer)
        if args.status is not None:
            view = await desk.set_status(actor, ref, args.status)
        assert view is not None
        tags = f" tags {' '.join(view.tags)}" if view.tags else ""
        print(f"{view.ref}: {view.status}{tags}"
              f"{f' assigned to {view.assignee}' if view.assignee else ''}")
        return 0

    return await with_app(config, body)
