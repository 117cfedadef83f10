"""``sauti poll create | send ID | close ID | list | show ID | results ID``:
polls from the terminal, through bot.polls (the running ``sauti serve`` sends
them from their due rows and takes the answers)."""

from __future__ import annotations

import argparse
import csv
import json
from typing import TYPE_CHECKING, Any

from bot.cli.advisory import _texts, _when
from bot.cli.command import UsageError, actor_of, require_database, with_app
from bot.cli.deskout import private_file, stamp, zone
from bot.config import Config
from bot.flows.poll import localised
from bot.polls.results import Results, turnout
from bot.polls.service import PollError
from bot.storage.polls import PollRow

if TYPE_CHECKING:
    from bot.app import App
    from bot.cli.command import Subcommands


def add_parser(sub: Subcommands, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("poll", parents=[common], help="polls")
    actions = group.add_subparsers(dest="poll_command", required=True, metavar="ACTION")
    p = actions.add_parser("create", parents=[common], help="a new poll (a draft)")
    p.add_argument("--question", nargs="+", required=True, metavar="LANG=TEXT")
    p.add_argument("--option", nargs="+", action="append", required=True, metavar="LANG=TEXT")
    p.add_argument("--area", nargs="+", default=[], metavar="CODE")
    p.add_argument("--closes", metavar="ISO8601")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=create)
    for name, run, what in (("send", send, "send a draft to its audience"),
                            ("close", close, "stop taking answers"),
                            ("show", show, "one poll")):
        p = actions.add_parser(name, parents=[common], help=what)
        p.add_argument("id", type=int)
        p.add_argument("--json", action="store_true")
        p.set_defaults(run=run)
    p = actions.add_parser("list", parents=[common], help="the latest polls")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=list_polls)
    p = actions.add_parser("results", parents=[common], help="counts, shares, breakdowns")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument("--csv", metavar="FILE")
    p.add_argument("--png", metavar="FILE")
    p.set_defaults(run=results)


def poll_json(poll: PollRow, config: Config) -> dict[str, Any]:
    tz = zone(config)
    return {"id": poll.id, "status": poll.status, "question": poll.question,
            "options": [dict(o) for o in poll.options], "areas": list(poll.areas),
            "closes_at": poll.closes_at.astimezone(tz).isoformat(timespec="minutes")
            if poll.closes_at else None, "audience": poll.audience,
            "created_by": poll.created_by}


def results_json(poll: PollRow, res: Results, default: str) -> dict[str, Any]:
    """As interfaces.md shows: suppressed cells are null, never their number."""
    return {"poll": poll.id, "question": localised(poll.question, default, default),
            "respondents": res.respondents, "audience": poll.audience,
            "turnout": None if (share := turnout(res.respondents, poll.audience)) is None
            else round(share, 4),
            "options": [{"key": str(n), "label": localised(o, default, default),
                         "count": res.counts[n - 1], "share": round(res.share(n - 1), 4)}
                        for n, o in enumerate(poll.options, 1)],
            "breakdowns": res.breakdowns}


async def _run(args: argparse.Namespace, config: Config, body: Any) -> int:
    require_database(config)

    async def guarded(app: App) -> int:
        try:
            result: int = await body(app)
            return result
        except PollError as exc:
            raise UsageError(str(exc)) from None

    return await with_app(config, guarded)


async def create(args: argparse.Namespace, config: Config) -> int:
    actor = actor_of(args, config)

    async def body(app: App) -> int:
        new = app.polls.check(question=_texts(args.question),
                              options=[_texts(o) for o in args.option], areas=args.area,
                              closes_at=_when(args.closes, zone(config), "--closes"),
                              created_by=actor.name)
        poll_id = await app.polls.create(actor, new)
        print(json.dumps({"id": poll_id, "status": "draft"}) if args.json else poll_id)
        return 0

    return await _run(args, config, body)


async def _change(args: argparse.Namespace, config: Config, done: str) -> int:
    """``poll send ID`` and ``poll close ID``: one call, one line."""
    async def body(app: App) -> int:
        change = app.polls.send if args.poll_command == "send" else app.polls.close
        await change(actor_of(args, config), args.id)
        print(f"poll {args.id} {done}")
        return 0

    return await _run(args, config, body)


async def send(args: argparse.Namespace, config: Config) -> int:
    return await _change(args, config, "is being sent")


async def close(args: argparse.Namespace, config: Config) -> int:
    return await _change(args, config, "closed")


async def show(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        poll = await app.polls.show(actor_of(args, config), args.id)
        if args.json:
            print(json.dumps(poll_json(poll, config), ensure_ascii=False))
            return 0
        default = config.bot.default_language
        print(f"Poll {poll.id}  ({poll.status}) to {', '.join(poll.areas) or 'every area'},"
              f" {poll.audience} sent")
        print(f"  {localised(poll.question, default, default)}")
        for n, option in enumerate(poll.options, 1):
            print(f"  {n}. {localised(option, default, default)}")
        return 0

    return await _run(args, config, body)


async def list_polls(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        polls = await app.polls.list(actor_of(args, config))
        if args.json:
            print(json.dumps([poll_json(p, config) for p in polls], ensure_ascii=False))
            return 0
        default = config.bot.default_language
        for p in polls:
            print(f"{p.id:>5}  {stamp(p.created_at, zone(config))}  {p.status:<8}"
                  f" {localised(p.question, default, default)[:60]}")
        if not polls:
            print("no polls")
        return 0

    return await _run(args, config, body)


async def results(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        poll, res = await app.polls.results(actor_of(args, config), args.id)
        doc = results_json(poll, res, config.bot.default_language)
        if args.png:
            from bot.polls.chart import bar_chart, save_png

            lang = config.bot.default_language
            save_png(bar_chart(poll, res, lang, lang), args.png)  # a small file, at the end
        if args.csv:
            with private_file(args.csv) as out:
                writer = csv.writer(out)
                writer.writerow(["by", "group", *(o["label"] for o in doc["options"])])
                writer.writerow(["all", "all", *(o["count"] for o in doc["options"])])
                for by, groups in res.breakdowns.items():
                    for group, row in groups.items():
                        writer.writerow([by, group, *("suppressed" if v is None else v
                                                      for v in row.values())])
        if args.json:
            print(json.dumps(doc, ensure_ascii=False))
        elif not (args.csv or args.png):
            print(f"Poll {poll.id}: {doc['question']}  ({res.respondents} respondents of "
                  f"{poll.audience} asked)")
            for o in doc["options"]:
                print(f"  {o['key']}. {o['label']}: {o['count']} ({o['share']:.0%})")
            for by, groups in res.breakdowns.items():
                print(f"  by {by}:")
                for group, row in groups.items():
                    print(f"    {group}: " + ", ".join(
                        f"{k}={'suppressed' if v is None else v}" for k, v in row.items()))
        return 0

    return await _run(args, config, body)
