"""The SQLite writer's settings that the durability promise and the measured
throughput rest on."""

from __future__ import annotations

from pathlib import Path

from bot.storage.sqlite.store import WAL_CHECKPOINT_PAGES, SQLiteStore


async def test_writer_is_durable_and_checkpoints_in_large_steps(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    try:
        async def pragma(name: str) -> object:
            async with store._w.execute(f"PRAGMA {name}") as cursor:
                row = await cursor.fetchone()
            assert row is not None
            return row[0]

        assert await pragma("journal_mode") == "wal"
        assert await pragma("synchronous") == 2  # FULL: a commit is on disk when it returns
        assert await pragma("wal_autocheckpoint") == WAL_CHECKPOINT_PAGES == 10_000
    finally:
        await store.close()
