"""A turn's changes as SQLite rows, and the rows of one group commit gathered
per statement, so that a whole batch costs one executemany per statement."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.effects import SubmitReport
from bot.domain.records import Conversation, NewTimer, TurnWrite
from bot.storage.changes import TurnChangeSet
from bot.storage.coarse import report_time, subscription_month
from bot.storage.keyed import Keyed
from bot.storage.ports import PENDING_CAP
from bot.storage.sqlite.connection import ts

# Compact, and without the circular-reference walk: payloads are plain data.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
FORGOTTEN = "'{}'"  # the payload of a message gone through: nothing of what it said
REACH_OF = "sauti_reach_of"  # SQL function: the contact id a reach link opens to, or NULL


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
    """One row of one statement, to ride along in the next group commit."""

    statement: str
    params: tuple[Any, ...]
    also: tuple[Mark, ...] = ()  # rows that must be stored with this one, atomically


@dataclass(frozen=True, slots=True)
class TurnRows:
    """A turn, ready for a group commit: its rows, and what to remember after."""

    contact_id: str
    inbound_key: tuple[str, str] | None
    marks: list[Mark]
    after: Conversation | None


class SQLiteTurnChanges(TurnChangeSet):
    """A turn's effects as rows (the statements named in :attr:`BatchSQL.ORDER`)."""

    def __init__(self, write: TurnWrite, keys: Keyed) -> None:
        super().__init__(write, keys)
        self.owned: list[Mark] = []  # rows that go with the contact when it is erased
        self.kept: list[Mark] = []

    def subscribe(self, area: str) -> None:
        self.owned.append(Mark("subscribe", (self.write.contact.id, area,
                                             subscription_month(self.write.moment))))

    def unsubscribe(self, area: str) -> None:
        self.owned.append(Mark("unsubscribe", (self.write.contact.id, area)))

    def submit_report(self, report: SubmitReport) -> None:
        r = self.new_report(report)
        at = ts(r.created_at)
        self.kept.append(Mark("report", (
            r.ref, at, at, r.channel, r.language, r.category, r.area,
            r.description.text, json.dumps(list(r.description.kinds)), json.dumps(list(r.media)),
            int(r.contactable), r.reach, int(r.sensitive), int(r.urgent), int(r.abusive),
            r.abuse_score, json.dumps(list(r.cues)))))

    def rows(self) -> TurnRows:
        w, cid = self.write, self.write.contact.id
        marks = [] if w.inbound_key is None else [Mark("inbound", (*w.inbound_key,
                                                                   self.replay_day))]
        contact = None if self.erased else self.contact_row()
        session = self.session_row()
        if self.erased:
            marks += [Mark(name, (cid,)) for name in ("erase_reports", "erase_contact",
                                                       "erase_session", "erase_subs",
                                                       "erase_outbox", "erase_answers",
                                                       "erase_profile")]
        else:
            if contact is not None:
                last = ts(contact.last_inbound_at)
                created = last if contact.created_at == contact.last_inbound_at else ts(
                    contact.created_at)
                marks.append(Mark("contact", (
                    contact.id, contact.person, contact.channel, contact.address_sealed,
                    contact.language, int(contact.opted_out), created, last,
                    contact.reach_id)))
            marks.append(Mark("session_delete", (cid,)) if session is None else
                         Mark("session", (cid, session.step, _json(session.data),
                                          ts(session.updated_at))))
            marks += self.owned
            answered = ts(report_time(w.moment))
            if self.profile is not None:
                marks.append(Mark("profile", (cid, self.profile.age_band, self.profile.gender)))
            marks += [Mark("poll_answer", (a.poll_id, cid, a.option, answered, cid, a.poll_id,
                                           self.language or w.language, w.contact.channel))
                      for a in self.poll_answers]
        marks += self.kept
        marks += [timer_mark(t) for t in self.timers()]
        marks += [Mark("satisfaction", (answer, ref)) for ref, answer in self.satisfaction]
        marks += [Mark("held", (ts(h.held_at), h.channel, h.language, h.text,
                                json.dumps(list(h.redactions)), json.dumps(list(h.media)),
                                int(h.abusive), h.abuse_score, json.dumps(list(h.cues))))
                  for h in self.held]
        if self.audits:
            at = ts(self.audit_time())
            marks += [Mark("audit", (at, a.actor, a.action, a.target, a.outcome,
                                     int(a.sensitive))) for a in self.audits]
        outbound = self.outbound()
        if outbound:
            queued = ts(datetime.now(UTC))
            marks += [Mark("outbox", (queued, o.contact_id, o.channel, o.address_sealed, o.kind,
                                      o.priority, _json(o.payload), queued, o.contact_id))
                      for o in outbound]
        after = None if self.erased else Conversation(contact or w.contact, session)
        return TurnRows(cid, w.inbound_key, marks, after)


class BatchSQL:
    """The rows of one group commit, gathered per statement (one executemany each).

    A contact appears at most once per batch (its lock is held until commit),
    so statements of different turns never depend on each other's order.
    """

    ORDER = (
        ("inbound", "INSERT OR IGNORE INTO inbound_seen (channel, external_id, seen_at)"
                    " VALUES (?, ?, ?)"),
        # first, while the contact row is there: the reach links that open to the
        # person's reach id are destroyed (REACH_OF is the store's SQL function, keyed)
        ("erase_reports", "UPDATE reports SET reach = NULL, contactable = 0"
                          f" WHERE reach IS NOT NULL AND {REACH_OF}(reach) ="
                          " (SELECT reach_id FROM contacts WHERE id = ?)"),
        ("erase_contact", "DELETE FROM contacts WHERE id = ?"),
        ("erase_session", "DELETE FROM sessions WHERE contact_id = ?"),
        ("erase_subs", "DELETE FROM subscriptions WHERE contact_id = ?"),
        ("erase_answers", "DELETE FROM poll_answers WHERE contact_id = ?"),
        ("erase_profile", "DELETE FROM profiles WHERE contact_id = ?"),
        ("profile", "INSERT INTO profiles (contact_id, age_band, gender) VALUES (?, ?, ?)"
                    " ON CONFLICT (contact_id) DO UPDATE SET age_band = excluded.age_band,"
                    " gender = excluded.gender"),
        # one answer a person and poll, the latest wins; its area is the person's
        # first subscription among the poll's areas
        ("poll_answer", "INSERT INTO poll_answers (poll_id, contact_id, option, answered_at,"
                        " area, language, channel) VALUES (?, ?, ?, ?, (SELECT s.area FROM"
                        " subscriptions s WHERE s.contact_id = ? AND s.area IN (SELECT value"
                        " FROM json_each((SELECT areas FROM polls WHERE id = ?)))"
                        " ORDER BY s.rowid LIMIT 1), ?, ?) ON CONFLICT (poll_id, contact_id)"
                        " DO UPDATE SET option = excluded.option,"
                        " answered_at = excluded.answered_at"),
        ("erase_outbox", "UPDATE outbox SET contact_id = NULL, address_sealed = NULL,"
                         f" payload = {FORGOTTEN},"
                         " status = CASE status WHEN 'pending' THEN 'cancelled' ELSE status END"
                         " WHERE contact_id = ?"),
        ("contact", "INSERT INTO contacts (id, person, channel, address_sealed, language,"
                    " opted_out, created_at, last_inbound_at, reach_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET language = excluded.language,"
                    " opted_out = excluded.opted_out, last_inbound_at = excluded.last_inbound_at,"
                    " reach_id = COALESCE(excluded.reach_id, contacts.reach_id)"),
        ("opted_out", "UPDATE contacts SET opted_out = ? WHERE id = ?"),  # a send said so
        ("session", "INSERT INTO sessions (contact_id, step, data, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (contact_id) DO UPDATE SET step = excluded.step,"
                    " data = excluded.data, updated_at = excluded.updated_at"),
        ("session_delete", "DELETE FROM sessions WHERE contact_id = ?"),
        ("subscribe", "INSERT OR IGNORE INTO subscriptions (contact_id, area, created_at)"
                      " VALUES (?, ?, ?)"),
        ("unsubscribe", "DELETE FROM subscriptions WHERE contact_id = ? AND area = ?"),
        ("report", "INSERT INTO reports (ref, created_at, updated_at, channel, language,"
                   " category, area, description, redactions, media, contactable, reach,"
                   " sensitive, urgent, abusive, abuse_score, cues, status) VALUES"
                   " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new')"),
        # a turn's reply, unless its contact has PENDING_CAP waiting already
        ("outbox", "INSERT INTO outbox (created_at, contact_id, channel, address_sealed, kind,"
                   " priority, payload, next_attempt_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?"
                   " WHERE (SELECT count(*) FROM outbox INDEXED BY outbox_person"
                   " WHERE contact_id = ? AND status IN ('pending', 'sending'))"
                   f" < {PENDING_CAP}"),
        ("satisfaction", "UPDATE reports SET satisfaction = ? WHERE ref = ?"),
        # a read or a refusal at the desk, with the turn that answers it or on its own
        # (a change writes its own in its transaction)
        # a message flood control held: exact copies on a channel are one row
        ("held", "INSERT INTO held (held_at, channel, language, text, redactions, media,"
                 " abusive, abuse_score, cues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                 " ON CONFLICT (channel, text) DO UPDATE SET copies = copies + 1,"
                 " held_at = excluded.held_at"),
        ("audit", "INSERT INTO audit (created_at, actor, action, target, outcome, sensitive)"
                  " VALUES (?, ?, ?, ?, ?, ?)"),
        ("timer", "INSERT INTO due (kind, key, payload, due_at) VALUES (?, ?, ?, ?)"
                  " ON CONFLICT (kind, key) DO NOTHING"),
        # sent or failed: the message forgets its text, choices and person
        ("sent", "UPDATE outbox SET status = 'sent', address_sealed = NULL, lease_until = NULL,"
                 f" contact_id = NULL, payload = {FORGOTTEN},"
                 " external_id = ?, segments = ?, sent_at = ?, attempts = attempts + 1"
                 " WHERE id = ?"),
        ("retry", _requeue(counted=True, partial=False)),
        ("defer", _requeue(counted=False, partial=False)),
        ("retry_partial", _requeue(counted=True, partial=True)),
        ("defer_partial", _requeue(counted=False, partial=True)),
        ("release", "UPDATE outbox SET status = 'pending', lease_until = NULL"
                    " WHERE id = ? AND status = 'sending'"),
        ("failed", "UPDATE outbox SET status = 'failed', address_sealed = NULL,"
                   f" contact_id = NULL, payload = {FORGOTTEN},"
                   " lease_until = NULL, last_error = ?, attempts = attempts + 1, sent_at = ?"
                   " WHERE id = ?"),
    )

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name, _sql in self.ORDER}

    def add(self, item: TurnRows | Mark) -> None:
        for mark in item.marks if isinstance(item, TurnRows) else (item, *item.also):
            self.rows[mark.statement].append(mark.params)

    def statements(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        return [(sql, rows) for name, sql in self.ORDER if (rows := self.rows[name])]


def timer_mark(timer: NewTimer) -> Mark:
    """A due row to insert with the rest of a commit (kept if one of its kind
    and key exists, as :meth:`DueTimers.schedule` does)."""
    return Mark("timer", (timer.kind, timer.key, _json(timer.payload), ts(timer.due_at)))
