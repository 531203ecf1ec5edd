"""An analyst's open read transaction or a stray advisory lock never makes a run wait forever (#13 item 4).

PostgreSQL only: DuckDB allows no reader beside its writing process. Each run is bounded by the test
(a thread joined with a timeout): it either proceeds or stops within JUNHENG_LOCK_WAIT_SECONDS with a
Chinese message naming who holds the lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.test_load import ingest, school
from warehouse.engine import init_warehouse, make_engine, query_frame
from warehouse.pglock import INIT_LOCK_KEY, LockWaitTimeout

pytestmark = pytest.mark.pg
P = "2026-10"
BOUND = 60.0  # the test's own limit; the run's is JUNHENG_LOCK_WAIT_SECONDS = 2


@pytest.fixture
def pg_url(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("JUNHENG_LOCK_WAIT_SECONDS", "2")
    eng = sa.create_engine(pg_database)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
    eng.dispose()
    return pg_database


@pytest.fixture
def reader(pg_url: str) -> Iterator[sa.Connection]:
    """A second session, as an analyst's query tool holds it; closed (its locks released) at the end."""
    eng = sa.create_engine(pg_url)
    conn = eng.connect()
    yield conn
    conn.close()
    eng.dispose()


def _bounded(fn, *args: object) -> tuple[float, BaseException | None]:  # type: ignore[no-untyped-def]
    """Run fn in a thread; fail the test if it has not returned within BOUND seconds."""
    pool = ThreadPoolExecutor(max_workers=1)
    start = time.monotonic()
    future = pool.submit(fn, *args)
    try:
        future.result(timeout=BOUND)
        err = None
    except TimeoutError:
        pytest.fail(f"the run was still waiting after {BOUND:.0f} s")
    except BaseException as exc:
        err = exc
    finally:
        pool.shutdown(wait=False)
    return time.monotonic() - start, err


def _one_school(tmp_path: Path, url: str, run_id: str, above: int = 6) -> None:
    ingest(tmp_path, url, P, {f"{run_id}.xlsx": school("甲小学", P, date(2026, 10, 3), [25] * 4, above)}, run_id)


def test_a_run_proceeds_while_an_analyst_reads_a_mart(tmp_path: Path, pg_url: str, reader: sa.Connection) -> None:
    _one_school(tmp_path, pg_url, "r1")
    reader.begin()
    assert len(query_frame(reader, "SELECT * FROM mart.school_indicators")) > 0  # the read stays open
    elapsed, err = _bounded(_one_school, tmp_path, pg_url, "r2", 5)
    assert err is None and elapsed < BOUND
    reader.rollback()
    eng = make_engine(pg_url)
    r1 = query_frame(eng, "SELECT value FROM mart.school_indicators WHERE indicator_code = 'R1'")
    eng.dispose()
    assert list(r1["value"]) == [5.0]  # the second run's 5 teachers above the degree / 100 students × 100


def test_views_of_a_new_release_wait_for_a_reader_a_bounded_time(pg_url: str, reader: sa.Connection) -> None:
    eng = make_engine(pg_url)
    init_warehouse(eng)
    with eng.begin() as c:  # as after installing a release whose views differ
        c.execute(sa.text("COMMENT ON SCHEMA mart IS 'junheng views of an earlier release'"))
    reader.begin()
    query_frame(reader, "SELECT * FROM mart.county_cv")
    pid = reader.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    elapsed, err = _bounded(init_warehouse, eng)
    assert isinstance(err, LockWaitTimeout), err
    assert elapsed < 15
    msg = str(err)
    assert "建立数据仓库的表和视图需要的数据库锁被其他连接占用" in msg and "未写入任何数据" in msg
    assert f"进程号 {pid}" in msg and "pg_terminate_backend" in msg and "JUNHENG_LOCK_WAIT_SECONDS" in msg
    reader.rollback()  # the analyst closes the query: the set-up goes through
    elapsed, err = _bounded(init_warehouse, eng)
    assert err is None
    note = query_frame(eng, "SELECT obj_description(oid, 'pg_namespace') AS n FROM pg_namespace WHERE nspname = 'mart'")
    eng.dispose()
    assert str(note["n"].iloc[0]).startswith("junheng views ") and "earlier" not in str(note["n"].iloc[0])


def test_an_advisory_lock_held_elsewhere_stops_a_run_with_its_holder(
    tmp_path: Path, pg_url: str, reader: sa.Connection
) -> None:
    _one_school(tmp_path, pg_url, "r1")
    reader.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": INIT_LOCK_KEY})  # a session lock, no commit frees it
    reader.commit()
    pid = reader.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    elapsed, err = _bounded(_one_school, tmp_path, pg_url, "r2", 5)
    assert isinstance(err, LockWaitTimeout), err
    assert elapsed < 15
    assert "数据仓库结构的共享锁需要的数据库锁被其他连接占用" in str(err) and f"进程号 {pid}" in str(err)
    eng = make_engine(pg_url)
    r1 = query_frame(eng, "SELECT value FROM mart.school_indicators WHERE indicator_code = 'R1'")
    assert list(r1["value"]) == [6.0]  # nothing of the stopped run was written
    reader.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": INIT_LOCK_KEY})
    reader.commit()
    _, err = _bounded(_one_school, tmp_path, pg_url, "r3", 5)
    assert err is None
    r1 = query_frame(eng, "SELECT value FROM mart.school_indicators WHERE indicator_code = 'R1'")
    eng.dispose()
    assert list(r1["value"]) == [5.0]
