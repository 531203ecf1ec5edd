"""A province's month through one command gives exactly the marts of separate county runs (#14 item 2),
and the same run with its parsing on a Dask cluster gives the same marts as with threads (#14 item 4)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import flows.runner as runner
import tasks.read.prefect_tasks as read_tasks
from flows.city import city_monthly, city_rollup
from flows.monthly import monthly_returns
from tasks.demo.city import BEHIND, ON_TRACK, PLAN, REACHED, write_county_inbox
from tests.fixtures.marts import mart_frames
from warehouse.engine import MART_VIEWS

PERIOD = "2026-10"
COUNTIES = (REACHED, ON_TRACK, BEHIND)  # in the plan's order: the city run takes them in that order too


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three counties' inboxes, written once: every run below reads the same bytes (same file ids).
    澄江市 compliant with a complete county return, 华宁县 half fixed with the demo's county return,
    通海县 as the demo county and no county return; 7, 8 and 6 schools."""
    src = tmp_path_factory.mktemp("province-src")
    write_county_inbox(src, REACHED, PERIOD, 7, 1.0, True)
    write_county_inbox(src, ON_TRACK, PERIOD, 8, 0.5, False)
    write_county_inbox(src, BEHIND, PERIOD, 6, 0.0, None)
    return src


def _data_dir(province: Path, where: Path) -> Path:
    shutil.copytree(province / "inbox", where / "inbox")
    return where


def _assert_same(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name in MART_VIEWS:
        pd.testing.assert_frame_equal(got[name], expected[name], check_dtype=False, obj=f"mart.{name}")


def _empty_again(url: str) -> str:
    """The same engine, empty: a new DuckDB file, or the PostgreSQL database's schemas dropped."""
    if url.startswith("duckdb"):
        return url.replace("wh.duckdb", "wh-again.duckdb")
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("DROP SCHEMA IF EXISTS raw, core, mart, audit CASCADE"))
    eng.dispose()
    return url


def _separate_runs(url: str, data: Path) -> None:
    """What a bureau gets today without the province run: each county's own run, then the roll-up."""
    for code in COUNTIES:
        result = monthly_returns(period=PERIOD, warehouse_url=url, data_dir=str(data), county_code=code)
        assert not result["no_valid_returns"]
    city_rollup(PLAN, PERIOD, url, str(data))


def test_province_run_equals_separate_county_runs(province: Path, tmp_path: Path, warehouse_url: str) -> None:
    separate = _data_dir(province, tmp_path / "separate")
    _separate_runs(warehouse_url, separate)
    expected = mart_frames(warehouse_url, separate)
    # The inputs reached the marts (an empty pair of warehouses would also be "equal"): 21 school returns and
    # two county returns, each county judged.
    assert expected["return_status"].shape[0] == 7 + 8 + 6 + 2
    assert set(expected["county_verdict"]["county_code"]) == set(COUNTIES)

    url = _empty_again(warehouse_url)
    one = _data_dir(province, tmp_path / "one")
    result = city_monthly(plan=PLAN, period=PERIOD, warehouse_url=url, data_dir=str(one))
    assert result["failed"] == {} and sorted(result["ran"]) == ["华宁县", "澄江市", "通海县"]
    _assert_same(mart_frames(url, one), expected)
    # Reports per county, not one workbook for the province.
    for code in COUNTIES:
        assert (one / "reports" / code / PERIOD / f"junheng-county-{PERIOD}.xlsx").is_file()


def _city_run(url: str, data: Path, flow: Callable[..., dict[str, object]] = city_monthly) -> dict[str, object]:
    return flow(plan=PLAN, period=PERIOD, warehouse_url=url, data_dir=str(data))


def test_province_run_on_dask_equals_threads(province: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    monkeypatch.setattr(read_tasks, "CHUNK_FILES", 3)  # 7–9 files a county → 3 parsing tasks each
    monkeypatch.delenv(runner.DASK_ADDRESS_ENV, raising=False)
    threads = _data_dir(province, tmp_path / "threads")
    threads_url = f"duckdb:///{threads / 'wh.duckdb'}"
    assert _city_run(threads_url, threads)["failed"] == {}

    dask = _data_dir(province, tmp_path / "dask")
    dask_url = f"duckdb:///{dask / 'wh.duckdb'}"
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster:
        monkeypatch.setenv(runner.DASK_ADDRESS_ENV, cluster.scheduler_address)  # as a bureau's worker would
        assert _city_run(dask_url, dask)["failed"] == {}
        # The chunks really went to the cluster's worker processes (Dask keys carry the function name):
        # ceil(9/3) + ceil(9/3) + ceil(6/3) files per county (school returns + county return).
        prefixes = cluster.scheduler.task_prefixes
        assert "read_returns_here" in prefixes, f"no parsing task reached the Dask scheduler: {list(prefixes)}"
        assert prefixes["read_returns_here"].state_counts["memory"] == 3 + 3 + 2

    _assert_same(mart_frames(dask_url, dask), mart_frames(threads_url, threads))
