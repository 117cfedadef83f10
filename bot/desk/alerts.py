"""Urgent alerts: an urgent report reaches a moderator in seconds, and keeps
going until one acknowledges it.

A report moderation found urgent leaves a due row (kind ``urgent_alert``, key
its reference) in the transaction that files it (bot.storage.changes), due at
once; the pipeline wakes the timer runner. Each run of the row is one round,
written with its messages in one desk change, so a run that is repeated (a
worker died before marking it) sends nothing twice:

* round 0: the moderators' group (``moderation.alert_telegram_chat_id``), else
  the first moderators in config order, each on their own identity
  (bot.staff.reach: Telegram, else SMS...);
* round 1, ``moderation.ack_minutes`` later if nobody acknowledged: the next
  moderators; round 2: every moderator; then twice more to every moderator,
  and the row ends.

An alert says the reference, the category and the area, in the recipient's
language, and never the report's text. A sensitive report's alert goes only to
moderators with the "sensitive" role, never to the group: for everyone else
it does not exist. On Telegram it carries a button that sends ``/ack REF``;
``/ack`` (bot.desk.service) deletes the row, records who and how long it took.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config.model import Config
from bot.conversation.mission import Mission
from bot.domain.messages import Choice, Outbound
from bot.domain.records import NewOutbound, Report
from bot.i18n.catalogue import _, language
from bot.outbox.payload import outbound_payload
from bot.privacy.vault import AddressVault
from bot.staff.reach import StaffReach, Target
from bot.storage.changes import URGENT_ALERT
from bot.storage.desk import DeskChange
from bot.storage.ports import DueTimer, Store

__all__ = ["TIER", "URGENT_ALERT", "UrgentAlerts", "alert_text"]

log = logging.getLogger(__name__)
TIER = 2  # moderators alerted together in a round before everyone is
REPEATS = 2  # rounds to everyone after the first one to everyone
SYSTEM = "urgent-alert"
PRIORITY = 20  # ahead of replies (10): an alert is what a moderator must see first


def alert_text(report: Report, mission: Mission, round_: int, minutes: int) -> str:
    """The alert in the current language: reference, category, area, no text."""
    area = mission.area_name(report.area) if report.area else _("area not given")
    lines = [_("URGENT report {ref}: {category}, {area}.").format(
        ref=report.ref, category=mission.category_name(report.category), area=area)]
    if round_ > 0:
        lines.insert(0, _("Not acknowledged after {minutes} min.").format(
            minutes=minutes * round_))
    lines.append(_("Send /ack {ref} to take it.").format(ref=report.ref))
    return "\n".join(lines)


class UrgentAlerts:
    """The handler of ``urgent_alert`` due rows (bot.timers.TimerRunner)."""

    def __init__(self, store: Store, config: Config, vault: AddressVault,
                 reach: StaffReach, mission: Mission,
                 running: Callable[[str], bool] = lambda channel: True,
                 on_queued: Callable[[], None] = lambda: None) -> None:
        self._store = store
        self._vault = vault
        self._reach = reach
        self._mission = mission
        self._group = config.moderation.alert_telegram_chat_id
        self._minutes = config.moderation.ack_minutes
        self._sensitive = frozenset(config.moderation.sensitive_categories)
        self._default = config.bot.default_language
        self._running = running
        self._on_queued = on_queued  # the dispatcher's wake-up: an alert goes at once

    async def __call__(self, timer: DueTimer, now: datetime) -> datetime | None:
        ref = str(timer.payload.get("ref", timer.key))
        report = await self._store.report_by_ref(ref)
        state = await self._store.desk_state(ref) if report is not None else None
        if report is None or state is None:
            return None  # erased, or purged
        alert = state.alert
        if alert is not None and alert.acked_by is not None:
            return None
        round_ = 0 if alert is None else alert.round + 1
        rounds = await self._rounds(report)
        last = len(rounds) - 1 + REPEATS
        if round_ > last:
            return None
        targets = rounds[min(round_, len(rounds) - 1)]
        out = [self._message(report, to, round_) for to in targets]
        if not out:
            log.error("urgent report %s: no moderator can be alerted (none configured)", ref)
        done = await self._store.desk_change(DeskChange(
            ref, SYSTEM, "alert", now, event=str(round_), outbound=out, alert_round=round_))
        if not done:  # this round went already (a repeated run): wait for the next
            log.info("urgent report %s: alert round %d sent before", ref, round_)
        elif out:
            self._on_queued()
        return None if round_ >= last else now + timedelta(minutes=self._minutes)

    async def _rounds(self, report: Report) -> list[list[Target]]:
        """Who each round alerts (the last one repeats): see the module's docstring."""
        sensitive = report.sensitive or report.category in self._sensitive
        roles = ("moderator", "sensitive") if sensitive else ("moderator",)
        moderators = await self._reach.with_roles(*roles)
        if self._group and not sensitive and self._running("telegram"):
            group = Target("moderators", "telegram", str(self._group), self._default)
            rounds = [[group], moderators[:TIER], moderators]
        else:
            rounds = [moderators[:TIER], moderators[TIER:2 * TIER], moderators]
        rounds = [r for r in rounds if r] or [[]]
        return rounds

    def _message(self, report: Report, to: Target, round_: int) -> NewOutbound:
        with language(to.language):
            text = alert_text(report, self._mission, round_, self._minutes)
            choices = ((Choice(f"/ack {report.ref}", _("Acknowledge")),)
                       if to.channel == "telegram" else ())
        message = Outbound(text, choices=choices, kind="alert", language=to.language)
        return NewOutbound(None, to.channel, self._vault.seal(to.address), "alert",
                           outbound_payload(message, self._vault), priority=PRIORITY)
