"""SQLite schema, as numbered migrations applied in order by ``sauti db upgrade``."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: core
    """
    CREATE TABLE contacts (
        id TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        channel TEXT NOT NULL,
        address_sealed BLOB NOT NULL,
        language TEXT,
        opted_out INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        last_inbound_at TEXT NOT NULL
    );
    CREATE INDEX contacts_person ON contacts(person);
    CREATE TABLE sessions (
        contact_id TEXT PRIMARY KEY,
        step TEXT,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        contact_id TEXT NOT NULL,
        area TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (contact_id, area)
    );
    CREATE INDEX subscriptions_area ON subscriptions(area);
    CREATE TABLE inbound_seen (
        channel TEXT NOT NULL,
        external_id TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (channel, external_id)
    );
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        ref TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        channel TEXT NOT NULL,
        language TEXT NOT NULL,
        category TEXT NOT NULL,
        area TEXT,
        description TEXT NOT NULL,
        redactions TEXT NOT NULL,
        media TEXT NOT NULL,
        contactable INTEGER NOT NULL,
        contact_id TEXT,
        reporter TEXT NOT NULL,
        sensitive INTEGER NOT NULL,
        status TEXT NOT NULL,
        public_reply TEXT
    );
    CREATE INDEX reports_status ON reports(status, created_at);
    CREATE TABLE advisories (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        severity TEXT NOT NULL,
        texts TEXT NOT NULL,
        expires_at TEXT
    );
    CREATE TABLE advisory_areas (
        advisory_id INTEGER NOT NULL,
        area TEXT NOT NULL,
        PRIMARY KEY (area, advisory_id)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        contact_id TEXT,
        channel TEXT NOT NULL,
        address_sealed BLOB,
        kind TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        external_id TEXT,
        segments INTEGER,
        sent_at TEXT
    );
    CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
    """,
    # 2: outbox claims with leases (several dispatchers, crash recovery), delivery status
    """
    ALTER TABLE outbox ADD COLUMN lease_until TEXT;
    ALTER TABLE outbox ADD COLUMN delivery_status TEXT;
    CREATE INDEX outbox_external ON outbox(channel, external_id);
    """,
    # 3: the queue in claim order, so that a claim reads its next rows instead of
    # sorting every pending one (an advisory to 100,000 people is 100,000 rows)
    """
    CREATE INDEX outbox_queue ON outbox(priority DESC, id) WHERE status = 'pending';
    CREATE INDEX outbox_leased ON outbox(lease_until) WHERE status = 'sending';
    """,
    # 4: fewer index updates per outbox row. outbox_due has had no reader since 3
    # (the depth is counted from the partial indexes); a message has an external
    # id only once sent, so the status-callback index holds only those.
    """
    DROP INDEX outbox_due;
    DROP INDEX outbox_external;
    CREATE INDEX outbox_external ON outbox(channel, external_id) WHERE external_id IS NOT NULL;
    """,
    # 5: timers as due rows (bot.storage.sqlite.due). due_at is when the row is
    # due next: its time, or, while it is claimed, the end of its lease, so one
    # index answers "what is due now" and a lease that runs out needs no sweep.
    """
    CREATE TABLE due (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        payload TEXT NOT NULL,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        UNIQUE (kind, key)
    );
    CREATE INDEX due_next ON due(due_at);
    """,
    # 6: a person's open messages, so that a claim leaves a message whose
    # contact has an earlier one leased or waiting to be tried again
    # (bot.storage.sqlite.queries.claim_query) without scanning the table
    """
    CREATE INDEX outbox_person ON outbox(contact_id, id)
        WHERE status IN ('pending', 'sending') AND contact_id IS NOT NULL;
    """,
    # 7: nothing joins a report to its sender (issue 11). A report loses its
    # author's pseudonym and contact id; a contactable one keeps only a sealed
    # reach link from now on, to its author's reach id (one filed before has no
    # way back to its author, the old link being the join, so it is no longer
    # contactable). Times as coarse as their use allows (bot/storage/coarse.py).
    # The replay table's message ids become their keyed tags: sauti_replay_tag
    # is the store's, registered with its keys (to apply this by hand, register
    # a function of two texts first). Messages gone through forget what they
    # said and to whom.
    """
    ALTER TABLE contacts ADD COLUMN reach_id TEXT;
    CREATE UNIQUE INDEX contacts_reach ON contacts(reach_id) WHERE reach_id IS NOT NULL;
    ALTER TABLE reports ADD COLUMN reach BLOB;
    ALTER TABLE reports DROP COLUMN reporter;
    ALTER TABLE reports DROP COLUMN contact_id;
    CREATE INDEX reports_reach ON reports(id) WHERE reach IS NOT NULL;
    UPDATE reports SET contactable = 0,
                       created_at = substr(created_at, 1, 16) || ':30.000000+00:00',
                       updated_at = substr(updated_at, 1, 16) || ':30.000000+00:00';
    UPDATE contacts SET created_at = substr(created_at, 1, 16) || ':00.000000+00:00',
                        last_inbound_at = substr(last_inbound_at, 1, 16) || ':00.000000+00:00';
    UPDATE sessions SET updated_at = strftime('%Y-%m-%dT%H:%M', substr(updated_at, 1, 16),
                                              '+1 minute') || ':00.000000+00:00';
    UPDATE subscriptions SET created_at = substr(created_at, 1, 7);
    UPDATE inbound_seen SET external_id = sauti_replay_tag(channel, external_id),
                            seen_at = substr(seen_at, 1, 10);
    UPDATE outbox SET payload = '{}', contact_id = NULL, address_sealed = NULL
        WHERE status IN ('sent', 'failed', 'cancelled');
    """,
    # 8: the moderators' desk (bot.storage.desk). A report's assignee, partner
    # and the resident's satisfaction beside it; its tags and its events (the
    # timeline and staff's notes, never a resident's text) deleted with it; the
    # audit trail, append-only (no update; retention deletes it as old as records).
    """
    ALTER TABLE reports ADD COLUMN assignee TEXT;
    ALTER TABLE reports ADD COLUMN partner TEXT;
    ALTER TABLE reports ADD COLUMN satisfaction TEXT;
    CREATE INDEX reports_queue ON reports(created_at, id);
    CREATE TABLE report_tags (
        ref TEXT NOT NULL,
        tag TEXT NOT NULL,
        PRIMARY KEY (ref, tag)
    );
    CREATE TABLE report_events (
        id INTEGER PRIMARY KEY,
        ref TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        note INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX report_events_ref ON report_events(ref, id);
    CREATE TRIGGER reports_history_gone AFTER DELETE ON reports BEGIN
        DELETE FROM report_tags WHERE ref = OLD.ref;
        DELETE FROM report_events WHERE ref = OLD.ref;
    END;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        sensitive INTEGER NOT NULL
    );
    CREATE INDEX audit_time ON audit(created_at);
    CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit BEGIN
        SELECT RAISE(ABORT, 'the audit trail is append-only');
    END;
    """,
    # 9: moderation's verdicts on a report (issue 13): urgent first in every queue,
    # abuse a flag and a score; cues name the categories that fired, never words.
    # An urgent report's alert (bot.desk.alerts): its round, who acknowledged it
    # and how long that took, deleted with the report.
    """
    ALTER TABLE reports ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE reports ADD COLUMN abusive INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE reports ADD COLUMN abuse_score REAL NOT NULL DEFAULT 0;
    ALTER TABLE reports ADD COLUMN cues TEXT NOT NULL DEFAULT '[]';
    DROP INDEX reports_queue;
    CREATE INDEX reports_queue ON reports(urgent DESC, created_at, id);
    CREATE TABLE alerts (
        ref TEXT PRIMARY KEY,
        raised_at TEXT NOT NULL,
        round INTEGER NOT NULL DEFAULT 0,
        acked_at TEXT,
        acked_by TEXT,
        ack_seconds INTEGER
    );
    CREATE TRIGGER reports_alert_gone AFTER DELETE ON reports BEGIN
        DELETE FROM alerts WHERE ref = OLD.ref;
    END;
    """,
    # 10: messages flood control held (bot.conversation.flood), for moderators:
    # redacted, nothing of their sender, exact copies on a channel one row
    """
    CREATE TABLE held (
        id INTEGER PRIMARY KEY,
        held_at TEXT NOT NULL,
        channel TEXT NOT NULL,
        language TEXT NOT NULL,
        text TEXT NOT NULL,
        redactions TEXT NOT NULL,
        media TEXT NOT NULL,
        abusive INTEGER NOT NULL DEFAULT 0,
        abuse_score REAL NOT NULL DEFAULT 0,
        cues TEXT NOT NULL DEFAULT '[]',
        copies INTEGER NOT NULL DEFAULT 1,
        UNIQUE (channel, text)
    );
    CREATE INDEX held_time ON held(held_at);
    """,
    # 11: advisories sent from the store (bot.storage.broadcast): when one starts, on
    # which channels, its status, who sent it, its fan-out's cursor over the contacts
    # (their id: in that order its rows fill the outbox's per-person index in order)
    # and how many it queued; its outbox rows carry its id (cancel, expiry, progress)
    """
    ALTER TABLE advisories ADD COLUMN starts_at TEXT;
    ALTER TABLE advisories ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE advisories ADD COLUMN status TEXT NOT NULL DEFAULT 'sent';
    ALTER TABLE advisories ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE advisories ADD COLUMN cursor TEXT NOT NULL DEFAULT '';
    ALTER TABLE advisories ADD COLUMN audience INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN broadcast INTEGER;
    CREATE INDEX outbox_broadcast ON outbox(broadcast, status) WHERE broadcast IS NOT NULL;
    """,
    # 12: polls (bot.storage.polls): question and options per language, audience,
    # closing time, fan-out cursor; answers one per person and poll, against the
    # contact's pseudonym only (erased with them), with what results break down by
    """
    CREATE TABLE polls (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        question TEXT NOT NULL,
        options TEXT NOT NULL,
        areas TEXT NOT NULL,
        closes_at TEXT,
        status TEXT NOT NULL DEFAULT 'draft',
        cursor TEXT NOT NULL DEFAULT '',
        audience INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE poll_answers (
        poll_id INTEGER NOT NULL,
        contact_id TEXT NOT NULL,
        option INTEGER NOT NULL,
        answered_at TEXT NOT NULL,
        area TEXT,
        language TEXT NOT NULL,
        channel TEXT NOT NULL,
        PRIMARY KEY (poll_id, contact_id)
    );
    CREATE INDEX poll_answers_contact ON poll_answers(contact_id);
    """,
    # 13: what a resident chose to say of themselves for poll breakdowns (an age band,
    # a gender, each possibly "prefer not to say"), deleted with their data
    """
    CREATE TABLE profiles (
        contact_id TEXT PRIMARY KEY,
        age_band TEXT NOT NULL,
        gender TEXT NOT NULL
    );
    """,
)
