"""Serialise the writes of runs for the same county and period (PostgreSQL advisory locks)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.engine import INIT_LOCK_KEY, is_duckdb


def period_lock_key(county_code: str, period: str) -> int:
    """A stable signed 64-bit key for (county_code, period): the same in every process and machine."""
    digest = hashlib.sha256(f"junheng|{county_code}|{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_period(conn: Connection, county_code: str, period: str) -> None:
    """Wait until no other transaction writes this county's period, then hold it until commit/rollback.

    Keyed by the 行政区划代码, not the display name: two counties never wait for each other.

    PostgreSQL: pg_advisory_xact_lock, released by the transaction's end (also when the process
    dies). DuckDB needs nothing: only one process can open the warehouse file for writing at all.
    """
    if is_duckdb(conn):
        return
    # Shared on the schema set-up lock first: init_warehouse replaces views (an exclusive lock on
    # each) and must not interleave with a load that reads them, or the two could deadlock.
    conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": INIT_LOCK_KEY})
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": period_lock_key(county_code, period)})
