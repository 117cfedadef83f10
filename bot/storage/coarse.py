"""How precisely each stored time is kept: as coarsely as its use allows, and
so that no two tables hold the same instant for one turn (an equality join on
time finds nothing).

===============================  =====================================  ===========================
column                           kept as                                why that precision
===============================  =====================================  ===========================
contacts.last_inbound_at,        the minute, rounded down               WhatsApp's 24-hour window:
contacts.created_at                                                     judged closed early, never
                                                                        open late
sessions.updated_at              the next minute (rounded down, +1)     the session's time-out: a
                                                                        conversation lasts at most
                                                                        a minute longer
reports.created_at, updated_at   the middle of the minute (+30 s)       staff read it to the minute
subscriptions.created_at         the month (``YYYY-MM``)                nothing but its order, kept
                                                                        by the row order
inbound_seen.seen_at             the day (``YYYY-MM-DD``, UTC)          when to forget a replay key
due (urgent alert) "raised"      the second, never :00 or :30 (+1 s)    time to acknowledge, to the
                                                                        second; off the coarse
                                                                        times' instants
===============================  =====================================  ===========================

Whole minutes (contacts, sessions) never equal a minute's middle (reports), a
date or a month; a contact's minute and its session's are always a minute
apart. What stays is nearness: under low traffic a report's minute and the
minute a session was last active can still point at each other (README,
"Privacy").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def contact_time(moment: datetime) -> datetime:
    """A contact's times: the minute, rounded down."""
    return _minute(moment)


def session_time(moment: datetime) -> datetime:
    """A session's last activity: the start of the next minute."""
    return _minute(moment) + MINUTE


def report_time(moment: datetime) -> datetime:
    """A report's times: the middle of their minute."""
    return _minute(moment) + timedelta(seconds=30)


def replay_day(moment: datetime) -> str:
    """A replay key's day, ``YYYY-MM-DD`` in UTC."""
    return moment.astimezone(UTC).date().isoformat()


def subscription_month(moment: datetime) -> str:
    """A subscription's month, ``YYYY-MM`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def timer_time(moment: datetime, delay: timedelta) -> datetime:
    """When a timer a turn or a send leaves is due: ``delay`` after the start of
    the minute after ``moment``, never the moment itself (a whole minute, two
    or more after the contact's, one or more after the session's)."""
    return _minute(moment) + MINUTE + delay


def alert_time(moment: datetime) -> datetime:
    """An urgent alert's raising: the second, moved one on from a whole or half minute,
    the instants contacts, sessions and reports are kept at (a report raised at 10:04:00
    would otherwise equal its author's new contact row's 10:04)."""
    second = moment.astimezone(UTC).replace(microsecond=0)
    return second + timedelta(seconds=1) if second.second in (0, 30) else second
