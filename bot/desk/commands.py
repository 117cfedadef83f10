"""Staff commands as typed: their parsing and what each needs.

The names are stable English words on every channel (interfaces.md); the
usage lines and answers are translated. Parsing never fails: a command with
missing or bad arguments is answered with its usage (see :mod:`bot.desk.chat`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n.catalogue import N_

MODERATOR = "moderator"
STAFF = "staff"

#: Commands answered as unknown input until their issue is built.
NOT_YET: frozenset[str] = frozenset()

#: name -> role it needs (None: any staff member).
ROLE_OF: dict[str, str | None] = {
    "help": None, "cancel": None,
    "queue": MODERATOR, "show": MODERATOR, "take": MODERATOR, "status": MODERATOR,
    "tag": MODERATOR, "note": MODERATOR, "answer": MODERATOR, "refer": MODERATOR,
    "ack": MODERATOR, "advisory": STAFF, "poll": STAFF, "results": STAFF,
}

#: name -> (synopsis, what it does) for /help and bad arguments; the synopsis
#: keeps the command's English words, the description is translated.
USAGE: dict[str, tuple[str, str]] = {
    "help": ("/help", N_("what I may do here")),
    "queue": ("/queue [STATUS|urgent|mine|held] [PAGE]",
              N_("reports waiting: ref, category, area, age, language")),
    "show": ("/show REF", N_("one report: text, status, timeline")),
    "take": ("/take REF", N_("assign it to me; new becomes in_review")),
    "status": ("/status REF STATUS", N_("new, in_review, actioned, referred, rejected, closed")),
    "tag": ("/tag REF TAG...", N_("add tags (-TAG removes one)")),
    "note": ("/note REF TEXT", N_("internal note, never shown to the reporter")),
    "answer": ("/answer REF TEXT", N_("public answer, sent to a contactable reporter")),
    "refer": ("/refer REF PARTNER", N_("refer to a partner: status referred")),
    "ack": ("/ack [REF]", N_("acknowledge an urgent alert")),
    "advisory": ("/advisory [ID]", N_("send a safety advisory, or see how far one got")),
    "poll": ("/poll", N_("ask residents a question, guided")),
    "results": ("/results ID", N_("a poll's answers: counts and shares")),
    "cancel": ("/cancel", N_("leave a guided command")),
}

#: The order /help lists commands in.
HELP_ORDER = ("queue", "show", "take", "status", "tag", "note", "answer", "refer", "ack",
              "advisory", "poll", "results", "help", "cancel")


@dataclass(frozen=True, slots=True)
class Command:
    """``/name arg1 arg2 rest…``: ``args`` split on blanks, ``rest`` the text
    after the first argument (a note's or an answer's own words, spacing kept)."""

    name: str
    args: tuple[str, ...]
    rest: str

    @property
    def ref(self) -> str | None:
        return self.args[0].upper() if self.args else None


def parse(text: str) -> Command:
    """Split a staff command (``is_staff_command(text)`` holds)."""
    head, _sep, tail = text[1:].strip().partition(" ")
    name = head.split("@", 1)[0].lower()  # "/queue@SautiBot" in a Telegram group
    tail = tail.strip()
    args = tuple(tail.split())
    rest = tail.split(maxsplit=1)[1].strip() if len(args) > 1 else ""
    return Command(name, args, rest)


def allowed(roles: frozenset[str], name: str) -> bool:
    """Whether roles ``roles`` may use command ``name`` (built ones only)."""
    if name in NOT_YET or name not in ROLE_OF:
        return False
    role = ROLE_OF[name]
    return role is None or role in roles
