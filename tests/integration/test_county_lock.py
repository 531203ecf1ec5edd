"""Two concurrent runs of the same county and period on PostgreSQL: serialised, nothing duplicated."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from junheng.contract import Finding, ReturnBatch
from junheng.settings import Settings, load_settings
from tasks.demo.returns import make_demo_county
from tasks.ingest.archive import archive_inbox
from tasks.model.load import check_policy_run, load_run
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from warehouse.engine import make_engine
from warehouse.locks import period_lock_key

PERIOD = "2026-10"
SCHOOLS = 12

COUNTS_SQL = {
    "ingest_file": "SELECT COUNT(*) FROM audit.ingest_file WHERE period = :p",
    "loaded": "SELECT COUNT(*) FROM audit.ingest_file WHERE period = :p AND status = 'loaded'",
    "fct_class": "SELECT COUNT(*) FROM core.fct_class WHERE period = :p",
    "fct_school_section": "SELECT COUNT(*) FROM core.fct_school_section WHERE period = :p",
    "dim_school": "SELECT COUNT(*) FROM core.dim_school",
    "violations": "SELECT COUNT(*) FROM audit.validation_issue WHERE period = :p AND severity = 'violation'",
    "errors": "SELECT COUNT(*) FROM audit.validation_issue WHERE period = :p AND severity = 'error'",
    "fct_school_indicator": "SELECT COUNT(*) FROM core.fct_school_indicator WHERE period = :p",
}


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    eng = sa.create_engine(pg_database)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
    eng.dispose()
    yield pg_database


def _counts(url: str) -> dict[str, int]:
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return {k: int(c.execute(sa.text(q), {"p": PERIOD}).scalar_one()) for k, q in COUNTS_SQL.items()}
    finally:
        eng.dispose()


def _run(url: str, batch: ReturnBatch, findings: list[Finding], settings: Settings) -> int:
    run_id = str(uuid.uuid4())
    load_run(url, PERIOD, batch, findings, settings, run_id)
    return check_policy_run(url, PERIOD, run_id)


@pytest.mark.pg
def test_concurrent_runs_of_one_period_are_serialised(pg_url: str, tmp_path: Path) -> None:
    settings = load_settings(warehouse_url=pg_url, data_dir=tmp_path / "data")
    paths = make_demo_county(tmp_path / "inbox", schools=SCHOOLS, period=PERIOD, seed=5, broken=True)
    batch = read_returns(archive_inbox(tmp_path / "inbox", settings.archive_dir))
    findings = validate(batch, PERIOD)
    # What a correct warehouse holds, from the batch itself: the two broken returns are rejected.
    n_class_rows = int((~batch.frames["classes"]["file_id"].isin({f.file_id for f in findings})).sum())

    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            results.append(_run(pg_url, batch, findings, settings))
        except BaseException as e:  # surfaced below, with the other thread's outcome
            errors.append(e)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]

    got = _counts(pg_url)
    assert got["ingest_file"] == len(paths) == SCHOOLS + 2
    assert got["loaded"] == SCHOOLS
    assert got["dim_school"] == SCHOOLS
    assert got["fct_class"] == n_class_rows
    assert got["violations"] == results[0]
    # A third run on its own changes nothing: the concurrent pair left exactly one run's warehouse.
    _run(pg_url, batch, findings, settings)
    assert _counts(pg_url) == got


def test_lock_key_is_stable_and_distinct() -> None:
    assert period_lock_key("000000", "2026-10") == period_lock_key("000000", "2026-10")
    assert period_lock_key("000000", "2026-10") != period_lock_key("000000", "2026-11")
    assert period_lock_key("370830", "2026-10") != period_lock_key("370831", "2026-10")
    assert -(2**63) <= period_lock_key("000000", "2026-10") < 2**63
