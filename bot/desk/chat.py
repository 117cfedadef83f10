"""The desk in chat: the router's StaffSlot hands staff commands here.

A command from someone who is not in [[staff]], or from a staff member whose
roles do not allow it, is not taken (the router answers it exactly as
unknown input) and the refused attempt is audited: a resident as "resident",
without their address. Answers are in the staff member's own language (the
router has entered the language of their conversation).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.conversation.flow import IDLE
from bot.conversation.router import Arrival
from bot.conversation.turn import Turn
from bot.desk.api import Actor, Desk, DeskError
from bot.desk.commands import NOT_YET, Command, allowed, parse
from bot.desk.replies import (
    acked,
    changed,
    error_line,
    held_page,
    help_lines,
    queue_page,
    report_parts,
    usage,
)
from bot.domain.effects import Audited
from bot.i18n.catalogue import _
from bot.staff.directory import StaffDirectory

log = logging.getLogger(__name__)
StaffCommand = Callable[[Turn, Actor, Sequence[str]], Awaitable[list[str]]]

PAGE_SIZE = 10


class StaffChat:
    """The StaffDesk of :mod:`bot.conversation.router`."""

    __slots__ = ("_desk", "_directory", "advisory", "page_size", "poll", "results")

    def __init__(self, desk: Desk, directory: StaffDirectory, *,
                 page_size: int = PAGE_SIZE) -> None:
        self._desk, self._directory, self.page_size = desk, directory, page_size
        #: ``/advisory``, the broadcast package's (bot.broadcast.chat), set by the app
        self.advisory: StaffCommand | None = None
        self.results: StaffCommand | None = None  # ``/results``, bot.polls.chat's
        self.poll: StaffCommand | None = None  # ``/poll``, bot.polls.chat's

    async def command(self, turn: Turn, arrival: Arrival) -> bool:
        cmd = parse(turn.message.text)
        desk = self._desk.audited_by(lambda row: turn.effect(Audited(
            row.actor, row.action, row.target, row.outcome, row.sensitive)))
        staff = self._directory.of_contact(turn.contact_id)
        if staff is None:
            await desk.denied("resident", cmd.name)
            return False
        actor = Actor(staff.name, staff.roles)
        if cmd.name in NOT_YET:  # not built yet: unknown input, and nothing refused
            return False
        if not allowed(actor.roles, cmd.name):
            await desk.denied(actor.name, cmd.name)
            return False
        try:
            for part in await self._run(desk, actor, cmd, turn):
                turn.say(part)
        except DeskError as e:
            if e.kind == "forbidden":
                await desk.denied(actor.name, cmd.name)
                return False
            turn.say(error_line(e, cmd.name))
        return True

    async def _run(self, desk: Desk, actor: Actor, cmd: Command, turn: Turn) -> list[str]:
        name, ref = cmd.name, cmd.ref
        if name == "help":
            return ["\n".join(help_lines(actor.roles))]
        if name == "cancel":
            if (turn.state.step or "").startswith("staff."):  # a guided command
                turn.forget()
                turn.state.step = IDLE
                return [_("Cancelled.")]
            return [_("Nothing to cancel.")]
        if name == "advisory" and self.advisory is not None:
            return await self.advisory(turn, actor, cmd.args)
        if name == "poll" and self.poll is not None:
            return await self.poll(turn, actor, cmd.args)
        if name == "results" and self.results is not None:
            return await self.results(turn, actor, cmd.args)
        if name == "queue":
            return await self._queue(desk, actor, cmd, turn)
        if name == "ack":
            return [acked(await desk.ack(actor, ref))] if len(cmd.args) <= 1 else [usage(name)]
        if ref is None:
            return [usage(name)]
        if name == "show" and len(cmd.args) == 1:
            return report_parts(await desk.show(actor, ref), desk.partners())
        if name == "take" and len(cmd.args) == 1:
            return [changed(await desk.take(actor, ref))]
        if name == "status" and len(cmd.args) == 2:
            return [changed(await desk.set_status(actor, ref, cmd.args[1].lower()))]
        if name == "tag" and len(cmd.args) >= 2:
            tags = cmd.args[1:]
            add = [t for t in tags if not t.startswith("-")]
            remove = [t[1:] for t in tags if t.startswith("-") and len(t) > 1]
            view = await desk.tag(actor, ref, add, remove)
            return [changed(view) + " · " + (" ".join(view.tags) or "-")]
        if name == "note" and cmd.rest:
            await desk.note(actor, ref, cmd.rest)
            return [_("Note kept on {ref}.").format(ref=ref)]
        if name == "answer" and cmd.rest:
            return [_("Answer kept on {ref}.").format(ref=ref),
                    changed(await desk.answer(actor, ref, cmd.rest))]
        if name == "refer" and len(cmd.args) == 2:
            return [changed(await desk.refer(actor, ref, cmd.args[1].lower()))]
        return [usage(name)]

    async def _queue(self, desk: Desk, actor: Actor, cmd: Command, turn: Turn) -> list[str]:
        status: str | None = None
        urgent = mine = held = False
        page = 1
        words: list[str] = []
        for arg in cmd.args:
            word = arg.lower()
            if word.isdigit() and int(word) >= 1:
                page = int(word)
                continue
            words.append(word)
            if word == "held":
                held = True
            elif word == "urgent":
                urgent = True
            elif word == "mine":
                mine = True
            elif status is None:
                status = word  # the desk says which statuses there are
            else:
                return [usage("queue")]
        if held:  # what flood control held, not reports
            kept = await desk.held(actor, offset=(page - 1) * self.page_size,
                                   limit=self.page_size)
            return ["\n".join(held_page(kept, turn.message.received_at, "/queue held"))]
        result = await desk.queue(actor, status=status, urgent=urgent, mine=mine,
                                        waiting=True,  # a status asked for wins
                                        offset=(page - 1) * self.page_size,
                                        limit=self.page_size)
        again = " ".join(["/queue", *words])
        return ["\n".join(queue_page(result, turn.message.received_at, again))]
