"""`junheng warehouse init --analyst-role`: the role reads every mart and can write nothing (PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from cli import main
from junheng.settings import load_settings
from tasks.demo.returns import make_demo_county
from tasks.ingest.archive import archive_inbox
from tasks.model.load import load_run
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from warehouse.engine import MART_VIEWS, make_engine
from warehouse.roles import DUCKDB_NO_ROLES

PERIOD = "2026-10"
SCHEMAS = ("raw", "core", "mart", "audit")


def _load_demo(url: str, tmp_path: Path) -> None:
    settings = load_settings(warehouse_url=url, data_dir=tmp_path / "data")
    make_demo_county(tmp_path / "inbox", schools=8, period=PERIOD, seed=3)
    batch = read_returns(archive_inbox(tmp_path / "inbox", settings.archive_dir))
    load_run(url, PERIOD, batch, validate(batch, PERIOD), settings, str(uuid.uuid4()))


@pytest.fixture
def pg_warehouse(pg_database: str) -> Iterator[str]:
    eng = sa.create_engine(pg_database)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
    eng.dispose()
    yield pg_database


@pytest.fixture
def role(pg_warehouse: str) -> Iterator[str]:
    name = f"jh_analyst_{uuid.uuid4().hex[:8]}"
    yield name
    eng = sa.create_engine(pg_warehouse)
    with eng.begin() as c:
        if c.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first():
            c.execute(sa.text(f'DROP OWNED BY "{name}"'))  # its grants and default privileges here
            c.execute(sa.text(f'DROP ROLE "{name}"'))
    eng.dispose()


def _as_role(url: str, role: str) -> sa.Engine:
    """The same database, connected as the role (trust authentication on 127.0.0.1)."""
    u = sa.engine.make_url(url).set(username=role, password=None)
    return sa.create_engine(u)


@pytest.mark.pg
def test_analyst_reads_marts_and_writes_nothing(pg_warehouse: str, role: str, tmp_path: Path) -> None:
    _load_demo(pg_warehouse, tmp_path)
    assert main(["warehouse", "init", "--warehouse", pg_warehouse, "--analyst-role", role]) == 0
    # A mart created after the grant is readable too (default privileges).
    owner = make_engine(pg_warehouse)
    with owner.begin() as c:
        c.execute(sa.text("CREATE VIEW mart.later_mart AS SELECT school_code FROM core.dim_school"))
        tables = [
            (r.table_schema, r.table_name, r.table_type)
            for r in c.execute(
                sa.text(
                    "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                    "WHERE table_schema IN ('raw', 'core', 'mart', 'audit') ORDER BY 1, 2"
                )
            )
        ]
    owner.dispose()
    base_tables = [(sch, t) for sch, t, kind in tables if kind == "BASE TABLE"]
    assert {sch for sch, _ in base_tables} >= {"raw", "core", "audit"}

    analyst = _as_role(pg_warehouse, role)
    try:
        with analyst.connect() as c:
            assert c.execute(sa.text("SELECT current_user")).scalar_one() == role
            for name in (*MART_VIEWS, "later_mart"):
                c.execute(sa.text(f"SELECT * FROM mart.{name}")).fetchall()
            n = c.execute(sa.text("SELECT COUNT(*) FROM mart.school_indicators")).scalar_one()
            assert n > 0  # the views read core tables the role cannot: they run with the owner's rights
            assert c.execute(sa.text("SELECT COUNT(*) FROM mart.later_mart")).scalar_one() == 8

        def denied(sql: str) -> None:
            with analyst.connect() as c, pytest.raises(sa.exc.ProgrammingError) as err:
                c.execute(sa.text(sql))
            assert isinstance(err.value.orig, psycopg.errors.InsufficientPrivilege), sql

        for sch, t in base_tables:
            denied(f"SELECT * FROM {sch}.{t}")
            denied(f"INSERT INTO {sch}.{t} DEFAULT VALUES")
            denied(
                f"UPDATE {sch}.{t} SET period = period" if t != "dim_school" else f"UPDATE {sch}.{t} SET file_id = ''"
            )
            denied(f"DELETE FROM {sch}.{t}")
        for sch in (*SCHEMAS, "public"):
            denied(f"CREATE TABLE {sch}.analyst_probe (i int)")
            denied(f"CREATE VIEW {sch}.analyst_probe AS SELECT 1 AS i")
        denied("CREATE SCHEMA analyst_probe")
        denied("DELETE FROM mart.later_mart")  # a single-table view is updatable: only the grant stops it
        denied("INSERT INTO mart.later_mart VALUES ('0000000000')")
        with analyst.connect() as c:
            for name in (*MART_VIEWS, "later_mart"):
                for priv in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                    has = c.execute(
                        sa.text("SELECT has_table_privilege(current_user, :t, :p)"), {"t": f"mart.{name}", "p": priv}
                    ).scalar_one()
                    assert has is False, (name, priv)
        for name in MART_VIEWS:
            denied(f"DROP VIEW mart.{name}")  # only the owner may drop or replace a view
    finally:
        analyst.dispose()


def test_duckdb_has_no_roles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    assert main(["warehouse", "init", "--warehouse", url, "--analyst-role", "analyst"]) != 0
    err = capsys.readouterr().err
    assert DUCKDB_NO_ROLES in err and "read_only=True" in err


def test_warehouse_init_without_role(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    assert main(["warehouse", "init", "--warehouse", url]) == 0
    eng = make_engine(url)
    with eng.connect() as c:
        views = {r[0] for r in c.execute(sa.text("SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart'"))}
    eng.dispose()
    assert set(MART_VIEWS) <= views
