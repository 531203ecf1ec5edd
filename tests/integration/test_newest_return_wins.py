"""Newest return wins whatever order the runs commit in (#13 item 5): a school's 10-08 correction stays
loaded when a run carrying its 10-02 return commits after it (by 填报日期, then received time)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import tasks.model.load as load
from tests.integration.test_load import ingest, school
from warehouse.engine import make_engine, query_frame

P = "2026-10"
# R1 (teachers above the required degree per 100 students) tells the two returns apart: 100 students each.
EARLY = {"0102.xlsx": school("甲小学", P, date(2026, 10, 2), [25] * 4, above=3)}
CORRECTION = {"1008.xlsx": school("甲小学", P, date(2026, 10, 8), [25] * 4, above=5)}


def _state(url: str) -> tuple[dict[str, str], list[float]]:
    eng = make_engine(url)
    st = query_frame(eng, "SELECT file_name, status FROM mart.return_status WHERE period = :p", {"p": P})
    r1 = query_frame(
        eng, "SELECT value FROM mart.school_indicators WHERE indicator_code = 'R1' AND period = :p", {"p": P}
    )
    eng.dispose()
    return dict(zip(st["file_name"], st["status"], strict=True)), list(r1["value"])


def test_an_older_return_loaded_after_the_correction_does_not_replace_it(tmp_path: Path, warehouse_url: str) -> None:
    ingest(tmp_path, warehouse_url, P, CORRECTION, "r1")
    ingest(tmp_path, warehouse_url, P, EARLY, "r2")  # received later, filled in earlier
    status, r1 = _state(warehouse_url)
    assert status == {"1008.xlsx": "loaded", "0102.xlsx": "superseded"}
    assert r1 == [5.0]
    ingest(tmp_path, warehouse_url, P, {"1009.xlsx": school("甲小学", P, date(2026, 10, 9), [25] * 4, above=4)}, "r3")
    status, r1 = _state(warehouse_url)
    assert status == {"1008.xlsx": "superseded", "0102.xlsx": "superseded", "1009.xlsx": "loaded"}
    assert r1 == [4.0]


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    eng = sa.create_engine(pg_database)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
    eng.dispose()
    yield pg_database


@pytest.mark.pg
def test_two_concurrent_runs_the_early_return_committing_last(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 10-08 run holds the period lock with its load done; the 10-02 run reaches the lock and waits;
    then the 10-08 run commits and the 10-02 run commits last."""
    early_at_lock, correction_holds = threading.Event(), threading.Event()
    real_compute, real_lock = load.compute_period, load.lock_period

    def compute(*args: Any, **kwargs: Any) -> None:
        real_compute(*args, **kwargs)
        if threading.current_thread().name == "correction":
            correction_holds.set()
            assert early_at_lock.wait(timeout=120)

    def lock(*args: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == "early":
            early_at_lock.set()
        real_lock(*args, **kwargs)

    monkeypatch.setattr(load, "compute_period", compute)
    monkeypatch.setattr(load, "lock_period", lock)
    errors: list[BaseException] = []
    order: list[str] = []

    def run(returns: dict[str, dict], run_id: str) -> None:
        try:
            ingest(tmp_path, pg_url, P, returns, run_id)
            order.append(threading.current_thread().name)
        except BaseException as exc:
            errors.append(exc)

    correction = threading.Thread(target=run, args=(CORRECTION, "r-1008"), name="correction")
    correction.start()
    assert correction_holds.wait(timeout=120)
    early = threading.Thread(target=run, args=(EARLY, "r-0102"), name="early")
    early.start()
    for t in (correction, early):
        t.join(timeout=180)
        assert not t.is_alive()
    assert not errors, errors
    assert order == ["correction", "early"]  # the 10-02 run committed last
    status, r1 = _state(pg_url)
    assert status == {"1008.xlsx": "loaded", "0102.xlsx": "superseded"}
    assert r1 == [5.0]
