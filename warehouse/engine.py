"""Engines, schema set-up, bulk loads and the SQL model runner for DuckDB and PostgreSQL."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from junheng.errors import ConfigError
from warehouse.models import model, names, view_order
from warehouse.schema import SCHEMAS, metadata

# The views of the analyst contract, in manifest order (sql/models.yml declares them).
STAGING_VIEWS = names("staging", "view")
MART_VIEWS = names("marts", "view")


INIT_LOCK_KEY = 0x4A48_494E_4954  # "JHINIT": PostgreSQL advisory lock taken while the schema is set up


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; a DuckDB file's folder is created if needed."""
    if url.startswith("duckdb:///") and not url.startswith("duckdb:///:memory:"):
        Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True)


def is_duckdb(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "duckdb"


def init_warehouse(engine: Engine) -> None:
    """Create schemas, tables and views (idempotent)."""
    with engine.begin() as conn:
        if not is_duckdb(conn):
            # Two first runs at once (two counties, two workers) would race on CREATE … IF NOT EXISTS.
            got = conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": INIT_LOCK_KEY}).scalar_one()
            if not got:
                # Held: by a set-up now running (wait for it) or, shared, by loads running now — which
                # set the schema up before they started. Waiting for the exclusive lock would make this
                # run wait for another county's whole load; the shared lock waits only for a set-up.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": INIT_LOCK_KEY})
                _refuse_single_county_tables(conn)
                metadata.create_all(conn, checkfirst=True)
                return
        for schema in SCHEMAS:
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        _refuse_single_county_tables(conn)
        metadata.create_all(conn, checkfirst=True)
        views = [(model(name).relation, model(name).sql()) for name in view_order()]
        digest = hashlib.sha256("\n".join(f"{r}\n{q}" for r, q in views).encode("utf-8")).hexdigest()
        # Replacing a view takes an exclusive lock on it: with counties running side by side (junheng city
        # run), a run reading the marts and another replacing them would deadlock. Unchanged views stay.
        if not is_duckdb(conn) and _views_digest(conn) == digest and _views_present(conn, [r for r, _ in views]):
            return
        for relation, sql in views:
            conn.execute(sa.text(f"CREATE OR REPLACE VIEW {relation} AS\n{sql}"))
        if not is_duckdb(conn):
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
    """The digest of the view definitions last created in this PostgreSQL warehouse ('' if none)."""
    note = conn.execute(
        sa.text("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'mart'")
    ).scalar()
    return str(note).removeprefix("junheng views ") if note else ""


def _refuse_single_county_tables(conn: Connection) -> None:
    """A warehouse created before county_code existed would mix counties (or fail on the NOT NULL
    column): refuse it with the way out, rather than run on it. No migration framework on purpose."""
    # information_schema, not sa.inspect: duckdb_engine's inspector trips on pg_catalog.pg_collation.
    present = query_frame(
        conn,
        "SELECT table_schema, table_name, MAX(CASE WHEN column_name = 'county_code' THEN 1 ELSE 0 END) AS has_code "
        "FROM information_schema.columns WHERE table_schema IN ('raw', 'core', 'audit') "
        "GROUP BY table_schema, table_name",
    )
    has_code = {(str(r.table_schema), str(r.table_name)): bool(r.has_code) for r in present.itertuples(index=False)}
    lacking = [
        f"{t.schema}.{t.name}"
        for t in metadata.sorted_tables
        if "county_code" in t.c and has_code.get((str(t.schema), t.name)) is False
    ]
    if lacking:
        url = conn.engine.url.render_as_string(hide_password=True)
        raise ConfigError(
            f"数据仓库 {url} 建于支持多县之前，{len(lacking)} 张表缺少 county_code 列（{'、'.join(lacking[:5])}"
            f"{' 等' if len(lacking) > 5 else ''}），不能继续使用",
            "用 `junheng warehouse init --warehouse <新仓库>` 在新的数据库文件（或新的 PostgreSQL 库）上重建，"
            "再重新运行各报表期；或手工为每张表加列，例如 "
            "ALTER TABLE core.fct_class ADD COLUMN county_code VARCHAR(6) DEFAULT '000000'，"
            "并把 county_code 加进 audit.ingest_file、audit.missing_return 和 core.roster 的主键",
        )


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
        finally:
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
    return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


@contextmanager
def connected(url: str) -> Iterator[Engine]:
    """An engine that is disposed afterwards (DuckDB allows one writing process at a time)."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
