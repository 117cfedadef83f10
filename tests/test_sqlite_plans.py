"""The SQLite backend's queries read indexes: what runs for every webhook or
every claim must not scan a table that grows with every message."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def migrated(path: Path, migrations: tuple[str, ...]) -> sqlite3.Connection:
    """A database with every migration applied by hand (the store registers the
    keyed function migration 7 calls; any function of two texts will do here)."""
    conn = sqlite3.connect(path)
    conn.create_function("sauti_replay_tag", 2, lambda channel, external_id: external_id)
    for script in migrations:
        conn.executescript(script)
    return conn


def test_a_claim_reads_the_queue_in_order_instead_of_sorting_it(tmp_path: Path) -> None:
    """An advisory to 100,000 people is 100,000 pending rows: a claim must read
    its next few from an index, not sort them all (which held the write lock
    for 56 ms a claim at that size)."""
    from bot.storage.sqlite.queries import claim_query
    from bot.storage.sqlite.schema import MIGRATIONS

    conn = migrated(tmp_path / "plan.db", MIGRATIONS)
    plan = conn.execute("EXPLAIN QUERY PLAN " + claim_query(1),
                        {"now": "t", "c0": "sms", "limit": 5}).fetchall()
    details = [str(row[3]) for row in plan]
    assert "SCAN q USING INDEX outbox_queue" in details, details
    assert any(d.startswith("SEARCH q USING INDEX outbox_leased") for d in details)
    # whether a person's earlier message holds this one back: their open ones only
    person = "SEARCH b USING INDEX outbox_person (contact_id=?)"
    assert details.count(person) == 2, details
    assert not any(d.startswith(("SCAN outbox", "SCAN b", "SCAN o "))
                   or (d.startswith("SCAN q") and "outbox_queue" not in d) for d in details)
    conn.close()


def test_depth_and_status_callbacks_read_indexes(tmp_path: Path) -> None:
    """The outbox depth counts the two partial indexes and a status callback finds
    its message by the index of sent ones: neither scans the table."""
    from bot.storage.sqlite.queries import DELIVERY_QUERY, DEPTH_QUERY
    from bot.storage.sqlite.schema import MIGRATIONS

    conn = migrated(tmp_path / "plan.db", MIGRATIONS)
    depth = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + DEPTH_QUERY)]
    assert "SCAN outbox USING INDEX outbox_queue" in depth, depth
    assert "SCAN outbox USING INDEX outbox_leased" in depth, depth
    assert "SCAN outbox" not in depth, depth
    delivery = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + DELIVERY_QUERY,
                                               ["delivered", None, "sms", "SM1"])]
    assert delivery == ["SEARCH outbox USING INDEX outbox_external (channel=? AND external_id=?)"]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"
                                          " AND tbl_name = 'outbox'")}
    # outbox_broadcast is partial: only an advisory's rows pay for it (cancel, progress)
    assert indexes == {"outbox_queue", "outbox_leased", "outbox_external", "outbox_person",
                       "outbox_broadcast"}
    progress = [str(r[3]) for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT status, count(*) FROM outbox WHERE broadcast = ?"
        " GROUP BY 1", [1])]
    assert any("INDEX outbox_broadcast (broadcast=?)" in d for d in progress), progress
    conn.close()


def test_the_replay_check_searches_its_index_instead_of_scanning(tmp_path: Path) -> None:
    """The duplicate check runs for every webhook: a full scan of a table that
    grows with every message would slow the bot down day by day."""
    from bot.storage.sqlite.queries import seen_query
    from bot.storage.sqlite.schema import MIGRATIONS

    conn = migrated(tmp_path / "plan.db", MIGRATIONS)
    plan = conn.execute("EXPLAIN QUERY PLAN " + seen_query(3), ["sms", "x"] * 3).fetchall()
    details = " | ".join(str(row[3]) for row in plan)
    assert "SEARCH s USING COVERING INDEX" in details, details
    assert "SCAN inbound_seen" not in details and "SCAN s" not in details, details
    conn.close()


def test_an_erase_opens_only_the_reports_that_keep_a_link(tmp_path: Path) -> None:
    """Erasing one's data opens reach links to find one's reports: only the rows
    that keep one are read (the partial index), not every report ever filed."""
    from bot.storage.sqlite.batch import REACH_OF, BatchSQL
    from bot.storage.sqlite.schema import MIGRATIONS

    conn = migrated(tmp_path / "plan.db", MIGRATIONS)
    conn.create_function(REACH_OF, 1, lambda link: None)
    erase = dict(BatchSQL.ORDER)["erase_reports"]
    plan = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + erase, ["k1:c1"])]
    assert plan[0] == "SCAN reports USING INDEX reports_reach", plan  # the links only
    assert [d for d in plan[1:] if d.startswith("SCAN")] == [], plan  # the person by id
    conn.close()
