"""The SQLite backend's read queries and how their rows become records.

The query plans they rely on are checked in tests/test_sqlite_plans.py."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.records import Contact, Conversation, Report, ReportStatus, Session
from bot.storage.sqlite.connection import parse_ts

CONVERSATION = ("c.id, c.person, c.channel, c.address_sealed, c.language, c.opted_out,"
                " c.created_at, c.last_inbound_at, s.step, s.data, s.updated_at, c.reach_id"
                " FROM contacts c LEFT JOIN sessions s ON s.contact_id = c.id WHERE c.id = ?")
LOAD = f"SELECT {CONVERSATION}"

# Counted from the two partial indexes (pending, sending), not the table.
DEPTH_QUERY = ("SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending')"
               " + (SELECT COUNT(*) FROM outbox WHERE status = 'sending')")
DELIVERY_QUERY = ("UPDATE outbox SET delivery_status = ?, last_error = COALESCE(?, last_error)"
                  " WHERE channel = ? AND external_id = ?")
REPORT_COLUMNS = ("id, ref, created_at, updated_at, channel, language, category, area,"
                  " description, redactions, media, contactable, sensitive, status, public_reply,"
                  " urgent, abusive, abuse_score, cues")


def conversations_query(count: int) -> str:
    marks = ", ".join("?" for _ in range(count))
    return f"SELECT {CONVERSATION.replace('c.id = ?', f'c.id IN ({marks})')}"


def claim_query(channels: int | None) -> str:
    """The next ``:limit`` messages due at ``:now``, in priority then queue order:
    pending ones read in order from the ``outbox_queue`` index (not every
    pending row sorted), and those whose lease ran out (their sender died
    mid-send); on channels ``:c0``, ``:c1``... when ``channels`` is given.

    One message of a contact at a time, the first in claim order: a message
    waits while another of its contact's is leased (or an earlier one's lease
    ran out: that one goes again first), while an earlier one was tried and
    waits to be tried again, and, never tried itself, while one due comes
    before it in priority then queue order. So a claim is fair: a person with 60 replies
    waiting takes one place in it, as does everyone else. Checked per row in the index scan,
    before the limit, from the ``outbox_person`` index (a person's open
    messages), so rows held back never crowd out rows that can go."""
    only = "" if channels is None else (
        " AND channel IN (" + ", ".join(f":c{n}" for n in range(channels)) + ")")
    free = (" AND (q.contact_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox AS b"
            " INDEXED BY outbox_person WHERE b.contact_id = q.contact_id AND b.id != q.id"
            " AND b.status IN ('pending', 'sending') AND ("
            "(b.status = 'sending' AND (b.lease_until > :now OR b.id < q.id))"
            " OR (b.status = 'pending' AND b.id < q.id"
            " AND (b.next_attempt_at > :now OR b.last_error IS NOT NULL))"
            " OR (q.status = 'pending' AND q.last_error IS NULL AND b.status = 'pending'"
            " AND b.next_attempt_at <= :now AND (b.priority > q.priority"
            " OR (b.priority = q.priority AND b.id < q.id))))))")
    return (
        "SELECT o.id, o.contact_id, o.channel, o.address_sealed, o.kind, o.payload,"
        " o.attempts, c.last_inbound_at, COALESCE(c.opted_out, 0) FROM ("
        " SELECT id FROM (SELECT id FROM outbox AS q INDEXED BY outbox_queue"
        f" WHERE status = 'pending' AND next_attempt_at <= :now{only}{free}"
        " ORDER BY priority DESC, id LIMIT :limit)"
        " UNION ALL"
        " SELECT id FROM (SELECT id FROM outbox AS q INDEXED BY outbox_leased"
        f" WHERE status = 'sending' AND lease_until <= :now{only}{free}"
        " ORDER BY priority DESC, id LIMIT :limit)"
        ") AS due JOIN outbox o ON o.id = due.id LEFT JOIN contacts c ON c.id = o.contact_id"
        " ORDER BY o.priority DESC, o.id LIMIT :limit")


# A lease held until :held is extended (the caller's own: a claim since would
# have set another end), for the ids of one call.
def renew_query(count: int) -> str:
    marks = ", ".join("?" for _ in range(count))
    return (f"UPDATE outbox SET lease_until = ? WHERE id IN ({marks})"
            " AND status = 'sending' AND lease_until = ? RETURNING id")


def seen_query(pairs: int) -> str:
    """Which of ``pairs`` (channel, external id) were handled already.

    A join, not "(channel, external_id) IN (VALUES ...)": SQLite answers that
    form by scanning the whole table, which grows with every message."""
    return ("SELECT s.channel, s.external_id FROM (VALUES "
            + ", ".join("(?, ?)" for _ in range(pairs)) + ") v JOIN inbound_seen s"
            " ON s.channel = v.column1 AND s.external_id = v.column2")


def conversation(row: Any) -> Conversation | None:
    if row is None or row[0] is None:
        return None
    contact = Contact(row[0], row[1], row[2], bytes(row[3]), row[4], bool(row[5]),
                      parse_ts(row[6]), parse_ts(row[7]), row[11])
    session = None
    if row[10] is not None:
        session = Session(row[0], row[8], json.loads(row[9]), parse_ts(row[10]))
    return Conversation(contact, session)


def report(row: Any) -> Report:
    return Report(row[0], row[1], parse_ts(row[2]), parse_ts(row[3]), row[4], row[5], row[6],
                  row[7], row[8], tuple(json.loads(row[9])), tuple(json.loads(row[10])),
                  bool(row[11]), bool(row[12]), ReportStatus(row[13]), row[14],
                  bool(row[15]), bool(row[16]), float(row[17]), tuple(json.loads(row[18])))
