"""Shared fixtures: warehouse engines (DuckDB always, PostgreSQL when configured)."""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

PG_URL = os.environ.get("JUNHENG_TEST_PG_URL", "")


def _pg_admin_url() -> str:
    return PG_URL


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; fails (not skips) in CI when unreachable."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("JUNHENG_TEST_PG_URL is not set in CI: the PostgreSQL tests must run")
        pytest.skip("JUNHENG_TEST_PG_URL not set")
    name = f"junheng_t_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.pg)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty warehouse URL on each engine."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'wh.duckdb'}"
        return
    url = request.getfixturevalue("pg_database")
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
    eng.dispose()
    yield url


def _close_stderr_at_exit() -> None:
    """duckdb 2.0 (nanobind) prints benign "leaked instance" lines at interpreter exit when Great
    Expectations shared the process (duckdb/duckdb-python#522). atexit runs after pytest has
    printed its summary and before that noise: close stderr so the run ends on pytest's line."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


atexit.register(_close_stderr_at_exit)
