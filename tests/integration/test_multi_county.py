"""Several counties in one warehouse: each county's numbers are its own, a rerun of one county never
touches another's rows, and on PostgreSQL two counties' runs go on at the same time."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from junheng.contract import Finding, ReceivedFile, ReturnBatch
from junheng.errors import ConfigError
from junheng.policy import load_rules
from junheng.settings import AlertChannels, Settings, load_settings
from tasks.demo.county import demo_county_return
from tasks.demo.returns import COUNTY_CODE as DEMO_PREFIX
from tasks.demo.returns import make_demo_returns
from tasks.ingest.archive import archive_inbox
from tasks.model.county_load import load_county_returns
from tasks.model.load import check_policy_run, load_run
from tasks.model.run import compute_period
from tasks.notify.run import run_alerts
from tasks.publish.county_template import write_county_return
from tasks.publish.template import write_return
from tasks.read.returns import read_returns
from tasks.validate.gx import validate
from tests.fixtures.units import NOW, unit_row
from warehouse import schema as s
from warehouse.engine import bulk_insert, init_warehouse, make_engine, query_frame
from warehouse.load import read_marts, sync_reference
from warehouse.locks import lock_period

PERIOD = "2026-10"
A, B = "370830", "370831"


@dataclass
class County:
    """One county's run inputs, read once so that every load of it sees identical files."""

    code: str
    settings: Settings
    batch: ReturnBatch
    findings: list[Finding]
    county_files: list[ReceivedFile]


def _county(tmp_path: Path, url: str, code: str, *, schools: int, seed: int) -> County:
    """A demo county whose school codes start with ``code`` (the demo's start with 370830)."""
    inbox = tmp_path / f"inbox-{code}"
    inbox.mkdir()
    for name, ret in make_demo_returns(schools=schools, period=PERIOD, seed=seed, broken=True):
        info = ret["info"]
        info["school_code"] = code + str(info["school_code"])[6:]
        if info.get("parent_school_code"):
            info["parent_school_code"] = code + str(info["parent_school_code"])[6:]
        write_return(inbox / name.replace(DEMO_PREFIX, code, 1), ret)
    write_county_return(inbox / "县级报表.xlsx", demo_county_return(PERIOD))
    settings = load_settings(warehouse_url=url, data_dir=tmp_path / "data", county_code=code)
    batch = read_returns(archive_inbox(inbox, settings.archive_dir))  # the county return set apart
    return County(code, settings, batch, validate(batch, PERIOD), batch.county_files)


def _run(url: str, c: County, run_id: str | None = None, now: datetime = NOW) -> None:
    """What the monthly flow does to the warehouse for one county, step by step."""
    run_id = run_id or str(uuid.uuid4())
    load_county_returns(url, PERIOD, c.county_files, run_id, now=now, county_code=c.code)
    load_run(url, PERIOD, c.batch, c.findings, c.settings, run_id, now=now)
    check_policy_run(url, PERIOD, run_id, county_code=c.code)
    run_alerts(url, PERIOD, run_id, channels=AlertChannels(), now=now, county_code=c.code)


def _reset(url: str) -> None:
    eng = make_engine(url)
    with eng.begin() as conn:
        for schema in ("mart", "raw", "core", "audit"):  # one at a time: DuckDB drops one object per statement
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    eng.dispose()


def _text(v: object) -> str:
    if v is None:
        return "∅"
    # 12 significant digits: a sum over the same units in another order may differ in the last bit.
    return f"{v:.12g}" if isinstance(v, float) else repr(v)


def _canonical(df: pd.DataFrame, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows in a fixed order, values as text, so two frames compare row by row."""
    df = df.drop(columns=[c for c in drop if c in df.columns])
    text = df.astype(object).where(df.notna(), None).map(_text)
    return text.sort_values(list(text.columns)).reset_index(drop=True)


def _marts(url: str, code: str) -> dict[str, pd.DataFrame]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return {k: _canonical(v) for k, v in read_marts(conn, PERIOD, code).items()}
    finally:
        eng.dispose()


def _rows_of(url: str, code: str, drop: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    """Every row of every table that belongs to the county (dim_school: its schools' versions)."""
    eng = make_engine(url)
    out: dict[str, pd.DataFrame] = {}
    try:
        with eng.connect() as conn:
            for t in s.metadata.sorted_tables:
                if "county_code" not in t.c:
                    continue
                sql = f"SELECT * FROM {t.schema}.{t.name} WHERE county_code = :c"
                out[f"{t.schema}.{t.name}"] = _canonical(query_frame(conn, sql, {"c": code}), drop)
    finally:
        eng.dispose()
    return out


def _all_rows(url: str, drop: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return {
                f"{t.schema}.{t.name}": _canonical(query_frame(conn, f"SELECT * FROM {t.schema}.{t.name}"), drop)
                for t in s.metadata.sorted_tables
            }
    finally:
        eng.dispose()


def _assert_same(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    assert got.keys() == want.keys()
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)


def test_two_counties_share_a_warehouse(tmp_path: Path, warehouse_url: str) -> None:
    url = warehouse_url
    a = _county(tmp_path, url, A, schools=12, seed=5)
    b = _county(tmp_path, url, B, schools=9, seed=11)

    _run(url, a)
    alone_a = _marts(url, A)
    _reset(url)
    _run(url, b)
    alone_b = _marts(url, B)
    # The warehouse holds B; A joins it.
    _run(url, a)

    # Each county's marts are exactly those of a warehouse holding it alone, and not empty.
    _assert_same(_marts(url, A), alone_a)
    _assert_same(_marts(url, B), alone_b)
    for code, alone, n_schools in ((A, alone_a, 12), (B, alone_b, 9)):
        assert alone["school_units"]["school_code"].str.slice(1, 7).eq(code).all()  # values are repr: '370830…'
        assert alone["return_status"]["status"].eq("'loaded'").sum() == n_schools + 1  # + the county return
        assert len(alone["county_cv"]) == 14  # 2 sections × R1–R7
        assert len(alone["county_verdict"]) == 1
        assert len(alone["county_scorecard"]) > 0
    assert set(alone_a["school_units"]["school_code"]).isdisjoint(set(alone_b["school_units"]["school_code"]))

    # A rerun of A (new run id, new load time) leaves every row of B as it was, time stamps included.
    before_b = _rows_of(url, B)
    before_a = _rows_of(url, A)
    _run(url, a, now=datetime(2026, 11, 6, 3, 0))
    _assert_same(_rows_of(url, B), before_b)
    # …while A's own rows were indeed rewritten (the comparison above could have failed).
    assert not _rows_of(url, A)["core.fct_school_indicator"].equals(before_a["core.fct_school_indicator"])
    # dim_school: each county's schools carry its code.
    eng = make_engine(url)
    dim = query_frame(eng, "SELECT school_code, county_code FROM core.dim_school")
    eng.dispose()
    assert len(dim) == 12 + 9  # the schools of the loaded returns (not the rejected ones), one version each
    assert (dim["county_code"] == dim["school_code"].str[:6]).all()


def test_county_cv_is_computed_from_the_countys_own_schools(warehouse_url: str) -> None:
    # County A: the worked example of indicators.md (R4, P = 45, 37, 89, 76, 55; A = 279, 137, 935, 160, 402):
    #   mean = 1913/302, CV = 0.515. County B, same period: two units of 100 students with R4 = 20 and 10
    #   m²/student: mean 15, S = sqrt((100·5² + 100·5²)/200) = 5, CV = 1/3. Pooled, the seven units would
    #   give neither.
    example = zip([45, 37, 89, 76, 55], [279, 137, 935, 160, 402], strict=True)
    rows_a = [
        unit_row(PERIOD, f"{A}00{i:02d}", p, county_code=A, teaching_aux_area_m2=x, indoor_sports_area_m2=0.0)
        for i, (p, x) in enumerate(example)
    ]
    rows_b = [
        unit_row(PERIOD, f"{B}0001", 100, county_code=B, teaching_aux_area_m2=2000.0, indoor_sports_area_m2=0.0),
        unit_row(PERIOD, f"{B}0002", 100, county_code=B, teaching_aux_area_m2=1000.0, indoor_sports_area_m2=0.0),
    ]
    eng = make_engine(warehouse_url)
    init_warehouse(eng)
    for code, rows in ((A, rows_a), (B, rows_b)):
        with eng.begin() as conn:
            sync_reference(conn, PERIOD, load_rules(), code)
            bulk_insert(conn, s.fct_school_section, pd.DataFrame(rows))
            compute_period(conn, PERIOD, "weighted", NOW, code)
    # A computed again after B was added: still A's alone.
    with eng.begin() as conn:
        compute_period(conn, PERIOD, "weighted", NOW, A)
    with eng.connect() as conn:
        cv_a = read_marts(conn, PERIOD, A)["county_cv"].set_index(["section", "indicator_code"])
        cv_b = read_marts(conn, PERIOD, B)["county_cv"].set_index(["section", "indicator_code"])
        both = query_frame(conn, "SELECT county_code FROM mart.county_cv WHERE indicator_code = 'R4'")
    eng.dispose()
    r4a, r4b = cv_a.loc[("primary", "R4")], cv_b.loc[("primary", "R4")]
    assert int(r4a["n_units"]) == 5 and int(r4b["n_units"]) == 2
    assert r4a["mean"] == pytest.approx(1913 / 302, rel=1e-12)
    assert round(float(r4a["cv"]), 3) == 0.515
    assert r4b["mean"] == pytest.approx(15.0, rel=1e-12)
    assert r4b["cv"] == pytest.approx(1 / 3, rel=1e-12)
    assert sorted(both["county_code"]) == [A, B]


def test_a_warehouse_without_county_codes_is_refused(tmp_path: Path) -> None:
    """A warehouse built before county_code existed: init_warehouse says how to fix it, in Chinese."""
    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    eng = make_engine(url)
    init_warehouse(eng)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP VIEW mart.cv_contribution"))
        conn.execute(sa.text("ALTER TABLE core.fct_cv_contribution DROP COLUMN county_code"))
    with pytest.raises(ConfigError, match=r"缺少 county_code 列.*core\.fct_cv_contribution.*junheng warehouse init"):
        init_warehouse(eng)
    eng.dispose()


# ------------------------------------------------------------------ PostgreSQL: concurrent counties


@pytest.fixture
def pg_url(pg_database: str) -> str:
    _reset(pg_database)
    return pg_database


def _load_only(url: str, c: County, run_id: str) -> None:
    load_run(url, PERIOD, c.batch, c.findings, c.settings, run_id, now=NOW)
    check_policy_run(url, PERIOD, run_id, county_code=c.code)


@pytest.mark.pg
def test_two_counties_run_at_once_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    a = _county(tmp_path, pg_url, A, schools=12, seed=5)
    b = _county(tmp_path, pg_url, B, schools=9, seed=11)
    # violations' created_at is the wall clock of the policy check: the only column that differs by timing.
    volatile = ("created_at", "finished_at")

    _load_only(pg_url, a, f"run-{A}")
    _load_only(pg_url, b, f"run-{B}")
    one_after_the_other = _all_rows(pg_url, volatile)
    assert len(one_after_the_other["core.fct_school_indicator"]) > 0

    _reset(pg_url)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(c: County, run_id: str) -> None:
        try:
            barrier.wait()
            _load_only(pg_url, c, run_id)
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(c, f"run-{c.code}"), daemon=True) for c in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    _assert_same(_all_rows(pg_url, volatile), one_after_the_other)

    # While a transaction holds county A's period lock, county B's whole load goes through; a second
    # run of A waits for it (the lock is real, so B's passing is not for want of one).
    holder = make_engine(pg_url)
    done: dict[str, bool] = {}

    def rerun(c: County) -> None:
        try:
            _load_only(pg_url, c, f"rerun-{c.code}")
            done[c.code] = True
        except BaseException as e:  # surfaced below
            errors.append(e)

    with holder.connect() as conn:
        tx = conn.begin()
        lock_period(conn, A, PERIOD)
        t_b, t_a = (threading.Thread(target=rerun, args=(c,), daemon=True) for c in (b, a))
        t_b.start()
        t_b.join(timeout=120)
        assert done.get(B), f"county B waited for county A's lock: {errors}"
        t_a.start()
        t_a.join(timeout=5)
        assert t_a.is_alive() and A not in done  # same county: serialised
        tx.rollback()
    t_a.join(timeout=120)
    holder.dispose()
    assert not errors, errors
    assert done.get(A)
