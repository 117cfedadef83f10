"""Benchmark: what a forget row's key costs a grown database, random against in order.

The ``due`` table as migration 5 makes it (``UNIQUE (kind, key)``, ``due_at``
indexed), on a file in WAL mode with the pragmas ``sauti serve`` uses
(synchronous FULL, secure_delete), grown to ``--rows`` rows; then group commits
of ``--per-commit`` new rows, as a burst of turns writes them. The baseline is
the key the forget rows had (a keyed hash of the provider's message id: random);
against it, :class:`bot.timers.forget.ForgetKeys` (in the order they are made).
Figures: CPU and wall microseconds per row, best of ``--repeat``.

Run: python bench/due_keys.py [--rows N] [--commits N] [--per-commit N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the project first, and not this folder: bench/langdetect.py would shadow langdetect
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bot.storage.sqlite.schema import MIGRATIONS
from bot.timers.forget import ForgetKeys

PAYLOAD = '{"channel":"sms","sealed":"' + "s1." + "A" * 120 + '","since":"2026-12-02"}'


DUE_TABLE = next(m for m in MIGRATIONS if "CREATE TABLE due" in m)


def run(key: Callable[[datetime], str], rows: int, commits: int, per: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        c = sqlite3.connect(Path(tmp) / "due.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON"):
            c.execute(f"PRAGMA {pragma}")
        c.executescript(DUE_TABLE)
        start = datetime(2026, 12, 1, tzinfo=UTC)
        insert = "INSERT INTO due (kind, key, payload, due_at) VALUES (?, ?, ?, ?)"
        c.execute("BEGIN")
        for n in range(rows):
            due = start + timedelta(seconds=n // 40)
            c.execute(insert, ("provider.forget", key(due), PAYLOAD, due.isoformat()))
        c.execute("COMMIT")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        due = start + timedelta(days=1)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(commits):
            c.execute("BEGIN IMMEDIATE")
            c.executemany(insert, [("provider.forget", key(due), PAYLOAD, due.isoformat())
                                   for _ in range(per)])
            c.execute("COMMIT")
        n = commits * per
        figures = ((time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6)
        c.close()
        return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=320_000)
    parser.add_argument("--commits", type=int, default=400)
    parser.add_argument("--per-commit", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    kinds = {"random": lambda due: secrets.token_hex(16), "ordered": ForgetKeys()}
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):  # alternating: both see the same machine
        for name, key in kinds.items():
            got = run(key, args.rows, args.commits, args.per_commit)
            best[name] = min(best.get(name, got), got)
    print(f"due table of {args.rows:,} rows, {args.commits} commits of {args.per_commit} rows,"
          f" best of {args.repeat}")
    for name, (cpu, wall) in best.items():
        print(f"  {name:8s} key: {cpu:6.1f} µs CPU, {wall:6.1f} µs wall per row")
    ratio = best["random"][0] / best["ordered"][0]
    print(f"baseline (random keys, as before) / ordered, CPU: {ratio:.1f}x")
    print(json.dumps({"bench": "due_keys", "rows": args.rows,
                      "random_cpu_us_per_row": round(best["random"][0], 1),
                      "ordered_cpu_us_per_row": round(best["ordered"][0], 1),
                      "random_wall_us_per_row": round(best["random"][1], 1),
                      "ordered_wall_us_per_row": round(best["ordered"][1], 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
