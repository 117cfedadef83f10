"""The rows of one SQLite group commit: turns and outbox marks, gathered per
statement so that a whole batch costs one executemany per statement."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.records import TurnWrite


def ts(moment: datetime) -> str:
    """A moment as stored: ISO 8601 in UTC, to the microsecond (sorts as text),
    exactly ``moment.isoformat(timespec="microseconds")`` in UTC.

    The date and time up to the second are formatted once per second: a turn
    stores two or three moments, and isoformat's C formatting of each was 3% of
    a webhook's instructions under callgrind."""
    global _second
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    key = (moment.second, moment.minute, moment.hour, moment.day, moment.month, moment.year)
    last = _second  # one read: another thread may replace it, never half of it
    if last[0] != key:
        last = _second = (key, moment.isoformat(timespec="seconds")[:19])
    return f"{last[1]}.{moment.microsecond:06d}+00:00"


_second: tuple[tuple[int, ...], str] = ((), "")


# Compact, and without the circular-reference walk: payloads are plain data.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _requeue(*, counted: bool, partial: bool) -> str:
    """Back to the queue with the error and when it is due again: a "retry" spends
    one of the message's tries, a "defer" does not (its channel was down);
    a partial one keeps how many parts of a long text went out."""
    return ("UPDATE outbox SET status = 'pending', lease_until = NULL,"
            + (" attempts = attempts + 1," if counted else "")
            + " last_error = ?, next_attempt_at = ?"
            + (", payload = json_set(payload, '$.parts_sent', ?, '$.segments_sent', ?)"
               if partial else "")
            + " WHERE id = ?")


@dataclass(frozen=True, slots=True)
class Mark:
    """A small outbox update that rides along in the next group commit."""

    statement: str
    params: tuple[Any, ...]


class BatchSQL:
    """The rows of one group commit, gathered per statement (one executemany each).

    A contact appears at most once per batch (its lock is held until commit),
    so statements of different turns never depend on each other's order.
    """

    ORDER = (
        ("inbound", "INSERT OR IGNORE INTO inbound_seen (channel, external_id, seen_at)"
                    " VALUES (?, ?, ?)"),
        ("erase_contact", "DELETE FROM contacts WHERE id = ?"),
        ("erase_session", "DELETE FROM sessions WHERE contact_id = ?"),
        ("erase_subs", "DELETE FROM subscriptions WHERE contact_id = ?"),
        ("erase_outbox", "UPDATE outbox SET contact_id = NULL, address_sealed = NULL,"
                         " status = CASE status WHEN 'pending' THEN 'cancelled' ELSE status END"
                         " WHERE contact_id = ?"),
        ("erase_reports", "UPDATE reports SET contact_id = NULL, contactable = 0"
                          " WHERE contact_id = ?"),
        ("contact", "INSERT INTO contacts (id, person, channel, address_sealed, language,"
                    " opted_out, created_at, last_inbound_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET language = excluded.language,"
                    " opted_out = excluded.opted_out, last_inbound_at = excluded.last_inbound_at"),
        ("opted_out", "UPDATE contacts SET opted_out = ? WHERE id = ?"),  # a send said so
        ("session", "INSERT INTO sessions (contact_id, step, data, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (contact_id) DO UPDATE SET step = excluded.step,"
                    " data = excluded.data, updated_at = excluded.updated_at"),
        ("session_delete", "DELETE FROM sessions WHERE contact_id = ?"),
        ("subscribe", "INSERT OR IGNORE INTO subscriptions (contact_id, area, created_at)"
                      " VALUES (?, ?, ?)"),
        ("unsubscribe", "DELETE FROM subscriptions WHERE contact_id = ? AND area = ?"),
        ("report", "INSERT INTO reports (ref, created_at, updated_at, channel, language,"
                   " category, area, description, redactions, media, contactable, contact_id,"
                   " reporter, sensitive, status) VALUES"
                   " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new')"),
        ("outbox", "INSERT INTO outbox (created_at, contact_id, channel, address_sealed, kind,"
                   " priority, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
        ("sent", "UPDATE outbox SET status = 'sent', address_sealed = NULL, lease_until = NULL,"
                 " external_id = ?, segments = ?, sent_at = ?, attempts = attempts + 1"
                 " WHERE id = ?"),
        ("retry", _requeue(counted=True, partial=False)),
        ("defer", _requeue(counted=False, partial=False)),
        ("retry_partial", _requeue(counted=True, partial=True)),
        ("defer_partial", _requeue(counted=False, partial=True)),
        ("release", "UPDATE outbox SET status = 'pending', lease_until = NULL"
                    " WHERE id = ? AND status = 'sending'"),
        ("failed", "UPDATE outbox SET status = 'failed', address_sealed = NULL,"
                   " lease_until = NULL, last_error = ?, attempts = attempts + 1, sent_at = ?"
                   " WHERE id = ?"),
    )

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name, _sql in self.ORDER}

    def add(self, w: TurnWrite | Mark) -> None:
        if isinstance(w, Mark):
            self.rows[w.statement].append(w.params)
            return
        c = w.contact
        at = w.at or c.last_inbound_at
        now = ts(at)
        if w.inbound_key is not None:
            self.rows["inbound"].append((*w.inbound_key, now))
        if w.erase:
            for name in ("erase_contact", "erase_session", "erase_subs", "erase_outbox",
                         "erase_reports"):
                self.rows[name].append((c.id,))
        else:
            if not w.keep_contact:
                self.rows["contact"].append((
                    c.id, c.person, c.channel, c.address_sealed, c.language, int(c.opted_out),
                    now if c.created_at is at else ts(c.created_at),
                    now if c.last_inbound_at is at else ts(c.last_inbound_at)))
            if w.session is None:
                self.rows["session_delete"].append((c.id,))
            else:
                s = w.session
                self.rows["session"].append((c.id, s.step, _json(s.data),
                                             now if s.updated_at is at
                                             else ts(s.updated_at)))
            self.rows["subscribe"].extend((c.id, area, now) for area in w.subscribe)
            self.rows["unsubscribe"].extend((c.id, area) for area in w.unsubscribe)
        for r in w.reports:
            self.rows["report"].append((
                r.ref, ts(r.created_at), ts(r.created_at), r.channel, r.language, r.category,
                r.area, r.description.text, json.dumps(list(r.description.kinds)),
                json.dumps(list(r.media)), int(r.contactable), r.contact_id, r.reporter,
                int(r.sensitive)))
        queued = ts(datetime.now(UTC)) if w.outbound else ""
        for o in w.outbound:
            self.rows["outbox"].append((queued, o.contact_id, o.channel, o.address_sealed, o.kind,
                                        o.priority, _json(o.payload), queued))

    def statements(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        return [(sql, self.rows[name]) for name, sql in self.ORDER]
