"""Serialise the writes of runs for the same county and period (PostgreSQL advisory locks)."""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import Connection

from warehouse.engine import is_duckdb
from warehouse.pglock import INIT_LOCK_KEY, acquire, lock_wait_seconds, set_lock_timeout


def period_lock_key(county_code: str, period: str) -> int:
    """A stable signed 64-bit key for (county_code, period): the same in every process and machine."""
    digest = hashlib.sha256(f"junheng|{county_code}|{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_period(conn: Connection, county_code: str, period: str) -> None:
    """Wait until no other transaction writes this county's period, then hold it until commit/rollback.

    Keyed by the 行政区划代码, not the display name: two counties never wait for each other.

    PostgreSQL: transaction-level advisory locks, released by the transaction's end (also when the
    process dies), polled until JUNHENG_LOCK_WAIT_SECONDS have passed: any session can take an advisory
    lock (an analyst's pg_advisory_lock too), so a run never waits for one without a limit. The rest of
    the transaction waits for row and table locks under the same limit (lock_timeout).
    DuckDB needs nothing: only one process can open the warehouse file for writing at all.
    """
    if is_duckdb(conn):
        return
    # Shared on the schema set-up lock first: a set-up or upgrade replacing views (an exclusive lock on
    # each) must not interleave with a load that reads them, or the two could deadlock.
    acquire(conn, INIT_LOCK_KEY, "数据仓库结构的共享锁", shared=True)
    acquire(conn, period_lock_key(county_code, period), f"写入 {county_code} 县 {period} 期的锁")
    set_lock_timeout(conn, lock_wait_seconds())
