"""Engines, schema set-up, bulk loads and the SQL model runner for DuckDB and PostgreSQL."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.models import model, names, view_order
from warehouse.pglock import (
    INIT_LOCK_KEY,
    acquire,
    holders,
    is_lock_timeout,
    lock_wait_seconds,
    set_lock_timeout,
    timeout_error,
)
from warehouse.schema import SCHEMAS, metadata
from warehouse.version import describe, head_revision, refuse_unusable, schema_state, stamp_head, upgrade_schema

T = TypeVar("T")

# The views of the analyst contract, in manifest order (sql/models.yml declares them).
STAGING_VIEWS = names("staging", "view")
MART_VIEWS = names("marts", "view")


# Every view is replaced when its SQL changed; one waiting for a reader's lock gives up after this
# long and the set-up is tried again (until JUNHENG_LOCK_WAIT_SECONDS have passed).
DDL_LOCK_TIMEOUT_SECONDS = 5.0


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; a DuckDB file's folder is created if needed."""
    if url.startswith("duckdb:///") and not url.startswith("duckdb:///:memory:"):
        Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True)


def is_duckdb(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "duckdb"


def init_warehouse(engine: Engine) -> None:
    """Set up a new warehouse (schemas, tables, views, its schema version); leave one that is set up alone.

    Every run calls this. On a warehouse at this release's schema version whose views are this
    release's, it only reads the catalog: no DDL, no lock, so an analyst's open read transaction on a
    mart never makes a run wait. A warehouse of an earlier release is refused with the upgrade command.
    """
    url = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        state = schema_state(conn)
        refuse_unusable(state, url)
        if state.kind == "current" and state.versioned and _views_ready(conn):
            # Tables added to the metadata since the last revision (none in a release): created if missing.
            metadata.create_all(conn, checkfirst=True)
            conn.commit()
            return
    if not is_duckdb(engine):
        # Another run may be setting the warehouse up right now (two counties' first runs): wait for
        # that set-up only, on the shared lock that loads hold too, then look again. Waiting for the
        # exclusive lock straight away would wait for every load running now.
        with engine.begin() as conn:
            acquire(conn, INIT_LOCK_KEY, "建立数据仓库的表和视图", shared=True)
            state = schema_state(conn)
            if state.kind == "current" and state.versioned and _views_ready(conn):
                return
    _ddl_transaction(engine, "建立数据仓库的表和视图", lambda conn: _set_up(conn, url))


def upgrade_warehouse(engine: Engine) -> tuple[str, str]:
    """Move a warehouse of any earlier release (from the first with county_code on) to this release's
    schema, keeping every row; views rebuilt. Returns the versions before and after, described."""
    url = engine.url.render_as_string(hide_password=True)
    return _ddl_transaction(engine, "升级数据仓库结构", lambda conn: _upgrade(conn, url))


def _set_up(conn: Connection, url: str) -> None:
    state = schema_state(conn)  # again, under the set-up lock
    refuse_unusable(state, url)
    if state.kind == "empty":
        for schema in SCHEMAS:
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        metadata.create_all(conn, checkfirst=True)
        stamp_head(conn)
    else:
        metadata.create_all(conn, checkfirst=True)
        if not state.versioned:  # at today's schema, from before the version was recorded
            stamp_head(conn)
    _replace_views(conn, force=False)


def _upgrade(conn: Connection, url: str) -> tuple[str, str]:
    state = schema_state(conn)
    if state.kind in ("pre_county", "ahead"):
        refuse_unusable(state, url)
    if state.kind == "empty":
        _set_up(conn, url)
        return "（新仓库）", describe(head_revision())
    upgrade_schema(conn, state)
    _replace_views(conn, force=True)
    return describe(state.revision), describe(head_revision())


def _ddl_transaction(engine: Engine, what: str, body: Callable[[Connection], T]) -> T:
    """Run ``body`` in one transaction holding the set-up lock; on PostgreSQL every lock it waits for
    is bounded (the advisory lock polled, DDL under lock_timeout) and retried until the run's wait
    limit, then it stops with who holds the lock."""
    if is_duckdb(engine):
        with engine.begin() as conn:
            return body(conn)
    limit = lock_wait_seconds()
    start = time.monotonic()
    while True:
        remaining = max(limit - (time.monotonic() - start), 0.0)
        try:
            with engine.begin() as conn:
                acquire(conn, INIT_LOCK_KEY, what, wait=remaining)
                set_lock_timeout(conn, min(DDL_LOCK_TIMEOUT_SECONDS, max(remaining, 0.001)))
                return body(conn)
        except sa.exc.OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
            waited = time.monotonic() - start
            if waited >= limit:
                with engine.connect() as conn:
                    who = holders(conn, relations=_view_relations())
                raise timeout_error(what, waited, who) from exc
            time.sleep(min(1.0, limit - waited))


def _view_relations() -> list[str]:
    return [model(name).relation for name in view_order()]


def views_digest() -> str:
    """The digest of this release's view definitions (kept with the warehouse's views)."""
    text = "\n".join(f"{model(n).relation}\n{model(n).sql()}" for n in view_order())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _views_ready(conn: Connection) -> bool:
    return _views_digest(conn) == views_digest() and _views_present(conn, _view_relations())


def _replace_views(conn: Connection, *, force: bool) -> None:
    """Drop every view of core and mart and create this release's (a changed view may have other
    columns, which CREATE OR REPLACE refuses on PostgreSQL); skipped when they are already this release's."""
    if not force and _views_ready(conn):
        return
    existing = query_frame(
        conn, "SELECT table_schema, table_name FROM information_schema.views WHERE table_schema IN ('core', 'mart')"
    )
    cascade = "" if is_duckdb(conn) else " CASCADE"
    for r in existing.itertuples(index=False):
        conn.execute(sa.text(f'DROP VIEW IF EXISTS {r.table_schema}."{r.table_name}"{cascade}'))
    for name in view_order():
        m = model(name)
        conn.execute(sa.text(f"CREATE VIEW {m.relation} AS\n{m.sql()}"))
    digest = views_digest()
    if is_duckdb(conn):  # DuckDB has no comments on schemas: the first mart view carries it
        conn.execute(sa.text(f"COMMENT ON VIEW mart.{MART_VIEWS[0]} IS 'junheng views {digest}'"))
    else:
        conn.execute(sa.text(f"COMMENT ON SCHEMA mart IS 'junheng views {digest}'"))


def _views_present(conn: Connection, relations: list[str]) -> bool:
    have = {
        f"{r.table_schema}.{r.table_name}"
        for r in conn.execute(
            sa.text(
                "SELECT table_schema, table_name FROM information_schema.views WHERE table_schema IN ('core', 'mart')"
            )
        )
    }
    return set(relations) <= have


def _views_digest(conn: Connection) -> str:
    """The digest of the view definitions last created in this warehouse ('' if none)."""
    if is_duckdb(conn):
        note = conn.execute(
            sa.text("SELECT comment FROM duckdb_views() WHERE schema_name = 'mart' AND view_name = :v"),
            {"v": MART_VIEWS[0]},
        ).scalar()
    else:
        note = conn.execute(
            sa.text("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'mart'")
        ).scalar()
    return str(note).removeprefix("junheng views ") if note else ""


def _clean_value(v: object) -> object:
    """NaN/NaT/pd.NA become NULL: PostgreSQL would otherwise store 'NaN' or the text 'nan'."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def bulk_insert(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert a frame's rows into a table inside the caller's transaction, in bulk.

    DuckDB scans the frame directly (INSERT … SELECT); PostgreSQL gets a COPY. Never
    executemany: it is 100× slower on DuckDB.
    """
    if frame.empty:
        return 0
    cols = [c.name for c in table.columns if c.name in frame.columns]
    df = frame[cols]
    target = f"{table.schema}.{table.name}"
    collist = ", ".join(cols)
    if is_duckdb(conn):
        duck = conn.connection.driver_connection
        name = f"_jh_load_{table.name}"
        duck.register(name, df)  # type: ignore[union-attr]
        try:
            conn.execute(sa.text(f"INSERT INTO {target} ({collist}) SELECT {collist} FROM {name}"))
        except BaseException:
            # The refused insert aborted the transaction, so unregistering fails too: keep the cause.
            with suppress(Exception):
                duck.unregister(name)  # type: ignore[union-attr]
            raise
        duck.unregister(name)  # type: ignore[union-attr]
        return len(df)
    pg = conn.connection.driver_connection
    # COPY sends text: a whole float (founded_year 1950.0 in a float column of NaNs) must go as 1950.
    int_pos = [i for i, c in enumerate(cols) if isinstance(table.c[c].type, sa.Integer)]
    with pg.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f"COPY {target} ({collist}) FROM STDIN") as copy:
            for row in df.itertuples(index=False, name=None):
                values = [_clean_value(v) for v in row]
                for i in int_pos:
                    v = values[i]
                    if isinstance(v, float) and v.is_integer():
                        values[i] = int(v)
                copy.write_row(values)
    return len(df)


def run_model(conn: Connection, name: str, params: dict[str, object]) -> int:
    """Replace the (county, period) slice of a table model with the rows of its SQL (one SELECT)."""
    m = model(name)
    table = metadata.tables[m.relation]
    select = m.sql()
    conn.execute(table.delete().where(table.c.period == params["period"], table.c.county_code == params["county_code"]))
    cols = ", ".join(c.name for c in table.columns)
    res = conn.execute(
        sa.text(f"INSERT INTO {table.schema}.{table.name} ({cols})\nSELECT {cols} FROM (\n{select}\n) AS m"),
        params,
    )
    return int(res.rowcount or 0)


def query_frame(conn: Connection | Engine, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
    """Run a parameterised SELECT and return a frame (fetched inside the connection block)."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return query_frame(c, sql, params)
    res = conn.execute(sa.text(sql), params or {})
    # Plain tuples: pandas probes each SQLAlchemy Row for attributes, and a Row's miss is slow (~4x the frame).
    return pd.DataFrame([tuple(r) for r in res.fetchall()], columns=list(res.keys()))


@contextmanager
def connected(url: str) -> Iterator[Engine]:
    """An engine that is disposed afterwards (DuckDB allows one writing process at a time)."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
