"""Polls in chat for staff: ``/poll``, guided (the question and options per
language, the areas, the closing time, a preview, Send), and ``/results ID``: a poll's overall
counts and shares in the staff member's language, with the chart as a photo
where the channel shows pictures (Telegram)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

from bot.broadcast.service import STAFF
from bot.conversation.draft import Draft, JSONData
from bot.conversation.flow import IDLE, Flow, Option, Step, static
from bot.conversation.mission import Mission
from bot.conversation.prompts import menu_hint
from bot.conversation.turn import Turn
from bot.desk.api import Actor
from bot.flows.poll import localised
from bot.i18n.catalogue import N_, _, current_language
from bot.i18n.formatting import format_when, language_name
from bot.polls.results import summary_lines
from bot.polls.service import PollError, Polls
from bot.staff.directory import StaffDirectory

__all__ = ["PollCommand", "ResultsCommand", "poll_flow"]


class ResultsCommand:
    """``/results ID``. ``images(channel)``: whether that channel shows pictures;
    the chart is drawn only for those, in a worker thread (a few hundred ms of
    matplotlib must not hold up other residents' turns)."""

    def __init__(self, polls: Polls, default_language: str,
                 images: Callable[[str], bool] = lambda channel: False) -> None:
        self._polls, self._default, self._images = polls, default_language, images

    async def __call__(self, turn: Turn, actor: Actor, args: Sequence[str]) -> list[str]:
        if len(args) != 1 or not args[0].isdigit():
            return [_("Use /results ID (sauti poll list shows them).")]
        try:
            poll, res = await self._polls.results(actor, int(args[0]))
        except PollError:
            return [_("No poll {id}.").format(id=args[0][:10])]
        lang = current_language()
        labels = [localised(o, lang, self._default) for o in poll.options]
        if self._images(turn.channel):
            from bot.polls.chart import chart_png  # matplotlib: loaded when first needed

            turn.image = await asyncio.to_thread(chart_png, poll, res, lang, self._default)
        return ["\n".join(summary_lines(localised(poll.question, lang, self._default), labels,
                                        res, lang, poll.audience))]


START = "staff.poll.question"


@dataclass(slots=True)
class PollChatDraft(Draft):
    kind = "staff_poll"
    question: dict[str, str] = field(default_factory=dict)
    options: list[dict[str, str]] = field(default_factory=list)
    asked: int = 0  # the index of the language asked next
    areas: list[str] = field(default_factory=list)
    closes: str | None = None  # ISO 8601, UTC

    def to_data(self) -> JSONData:
        return {"question": self.question, "options": self.options, "asked": self.asked,
                "areas": self.areas, "closes": self.closes}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        closes = data.get("closes")
        return cls(dict(data["question"]), [dict(o) for o in data["options"]],
                   int(data["asked"]), [str(a) for a in data["areas"]],
                   str(closes) if closes else None)


MAX_HOURS = 24 * 90  # a poll open longer than a season is a mistake


def closing_time(text: str, now: datetime, timezone: str) -> datetime | str | None:
    """What staff answered to "close it when?": ``None`` (0 or -: open until
    closed by hand), a number of hours from ``now``, or a local date and time
    (2026-12-24 18:00, in the mission's timezone); ``"bad"`` for anything else
    or a time not in the future."""
    text = text.strip()
    if text in ("0", "-"):
        return None
    hours = text.removesuffix("h").strip()
    if hours.isdigit():
        return now + timedelta(hours=int(hours)) if 0 < int(hours) <= MAX_HOURS else "bad"
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return "bad"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment if now < moment <= now + timedelta(hours=MAX_HOURS) else "bad"


def poll_flow(mission: Mission, polls: Polls, staff: StaffDirectory) -> Flow:
    """``/poll``, guided: the question and its options in the default language, then
    each other language (or "-"), the areas, the closing time, a preview, Send or
    Cancel."""
    languages = [mission.default_language,
                 *(lang for lang in mission.languages if lang != mission.default_language)]

    def actor(turn: Turn) -> Actor | None:
        member = staff.of_contact(turn.contact_id)
        return None if member is None or STAFF not in member.roles else Actor(member.name,
                                                                               member.roles)

    def left(turn: Turn, text: str) -> str:
        turn.forget()
        turn.say(text)
        turn.say(menu_hint())
        return IDLE

    def asked_prompt(turn: Turn) -> str:
        draft = turn.draft_of(PollChatDraft)
        lang = language_name(languages[min(draft.asked, len(languages) - 1)])
        if draft.asked == 0:
            return _("New poll. Its question in {language}, then its options, one a line "
                     "(2 to 9)?").format(language=lang)
        return _("The same in {language}: the question, then the options in the same "
                 "order, one a line? Send - to skip.").format(language=lang)

    async def texts(turn: Turn, picked: Option | None) -> str:
        if actor(turn) is None:
            return left(turn, "")
        draft = turn.draft_of(PollChatDraft)
        lang = languages[min(draft.asked, len(languages) - 1)]
        lines = [line.strip() for line in turn.message.text.splitlines() if line.strip()]
        if not (draft.asked and lines == ["-"]):
            count = len(draft.options) or len(lines) - 1
            if len(lines) - 1 != count or not 2 <= count <= 9:
                turn.say(_("Send the question, then {n} options, one a line.").format(
                    n=count if draft.options else "2-9"))
                return START
            draft.question[lang] = lines[0]
            if not draft.options:
                draft.options = [{} for _n in range(count)]
            for option, text in zip(draft.options, lines[1:], strict=True):
                option[lang] = text
        draft.asked += 1
        return START if draft.asked < len(languages) else "staff.poll.areas"

    def areas_prompt(turn: Turn) -> str:
        listed = ", ".join(f"{n}. {mission.area_name(a.code)}"
                           for n, a in enumerate(mission.areas, start=1))
        return _("For which areas? Send their numbers ({areas}), or 0 for all.").format(
            areas=listed)

    async def areas(turn: Turn, picked: Option | None) -> str:
        codes = [a.code for a in mission.areas]
        words = turn.message.text.replace(",", " ").split()
        if words != ["0"] and not all(w.isdigit() and 1 <= int(w) <= len(codes)
                                      for w in words):
            turn.say(_("No area {value}.").format(value=" ".join(words)[:20]))
            return "staff.poll.areas"
        turn.draft_of(PollChatDraft).areas = ([] if words == ["0"]
                                              else list(dict.fromkeys(codes[int(w) - 1]
                                                                      for w in words)))
        return "staff.poll.closes"

    def closes_prompt(turn: Turn) -> str:
        return _("Close it when? Send hours from now (48), a date and time "
                 "(2026-12-24 18:00), or 0 to keep it open.")

    async def closes(turn: Turn, picked: Option | None) -> str:
        when = closing_time(turn.message.text, turn.message.received_at, mission.timezone)
        if isinstance(when, str):
            turn.say(_("Send hours (48), a date and time to come (2026-12-24 18:00), or 0."))
            return "staff.poll.closes"
        turn.draft_of(PollChatDraft).closes = when.isoformat() if when else None
        return "staff.poll.confirm"

    def preview(turn: Turn) -> str:
        draft = turn.draft_of(PollChatDraft)
        lang = mission.default_language
        lines = [draft.question.get(lang, ""),
                 *(f"{n}. {o.get(lang, '')}" for n, o in enumerate(draft.options, 1)),
                 _("To: {areas}.").format(areas=", ".join(
                     mission.area_name(a) for a in draft.areas) or _("every area"))]
        if draft.closes:
            lines.append(_("Closes: {when}.").format(
                when=format_when(datetime.fromisoformat(draft.closes), mission.timezone)))
        return "\n".join(lines)

    async def confirm(turn: Turn, picked: Option | None) -> str:
        assert picked is not None
        who = actor(turn)
        draft = turn.draft_of(PollChatDraft)
        if picked.key != "send" or who is None:
            return left(turn, _("Poll not sent."))
        try:
            poll_id = await polls.create(who, polls.check(
                question=draft.question, options=draft.options, areas=draft.areas,
                closes_at=datetime.fromisoformat(draft.closes) if draft.closes else None,
                created_by=who.name))
            await polls.send(who, poll_id)
        except PollError as exc:
            return left(turn, str(exc))
        return left(turn, _("Poll {id} is going out. /results {id} shows its answers.")
                    .format(id=poll_id))

    return Flow("staff_poll", entries=(START,), drafts=(PollChatDraft,), steps=(
        Step(START, asked_prompt, texts, (START, "staff.poll.areas", IDLE)),
        Step("staff.poll.areas", areas_prompt, areas, ("staff.poll.areas",
                                                       "staff.poll.closes")),
        Step("staff.poll.closes", closes_prompt, closes, ("staff.poll.closes",
                                                         "staff.poll.confirm")),
        Step("staff.poll.confirm", preview, confirm, (IDLE,),
             options=static(Option("send", N_("Send")), Option("cancel", N_("Cancel")))),
    ))


class PollCommand:
    """``/poll``: start the guided flow (handed to the desk's chat by the app)."""

    def __init__(self, goto: Callable[[Turn, str], Awaitable[None]]) -> None:
        self._goto = goto

    async def __call__(self, turn: Turn, actor: Actor, args: Sequence[str]) -> list[str]:
        turn.forget()
        await self._goto(turn, START)
        return []
