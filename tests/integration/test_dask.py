"""Parsing on a local Dask cluster of two worker processes gives the same warehouse as the default runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import flows.runner as runner
import tasks.read.prefect_tasks as read_tasks
from tasks.demo.returns import make_demo_county
from tests.fixtures.marts import mart_frames
from warehouse.engine import MART_VIEWS

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A Prefect API for the flow runs: the e2e session harness when it is up, else our own."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        yield
        return
    home = tmp_path_factory.mktemp("prefect-home-dask")
    os.environ.setdefault("PREFECT_HOME", str(home))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def _run(flow, inbox: Path, data: Path) -> str:  # type: ignore[no-untyped-def]
    url = f"duckdb:///{data / 'wh.duckdb'}"
    flow(period=PERIOD, inbox=str(inbox), warehouse_url=url, data_dir=str(data), out_dir=str(data / "out"))
    return url


def test_dask_runner_gives_the_same_warehouse(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster
    from prefect_dask import DaskTaskRunner

    from flows.monthly import monthly_returns

    inbox = tmp_path / "inbox"
    n_files = len(make_demo_county(inbox, schools=30, period=PERIOD, seed=11, broken=True))
    monkeypatch.setattr(read_tasks, "CHUNK_FILES", 8)  # 32 files → 4 parsing tasks

    default_url = _run(monthly_returns, inbox, tmp_path / "default")
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster:
        dask_flow = monthly_returns.with_options(task_runner=DaskTaskRunner(address=cluster.scheduler_address))
        dask_url = _run(dask_flow, inbox, tmp_path / "dask")
        # The chunks really went to the cluster's worker processes (Dask keys carry the function name).
        prefixes = cluster.scheduler.task_prefixes
        assert "read_returns_here" in prefixes, f"no parsing task reached the Dask scheduler: {list(prefixes)}"
        assert prefixes["read_returns_here"].state_counts["memory"] == -(-n_files // 8)  # computed, cumulative

    expected, got = mart_frames(default_url, tmp_path / "default"), mart_frames(dask_url, tmp_path / "dask")
    assert expected["return_status"].shape[0] == n_files
    for name in MART_VIEWS:
        pd.testing.assert_frame_equal(got[name], expected[name], check_dtype=False, obj=f"mart.{name}")


def test_task_runner_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    monkeypatch.delenv(runner.DASK_ADDRESS_ENV, raising=False)
    assert isinstance(runner.flow_task_runner(), ThreadPoolTaskRunner)
    monkeypatch.setenv(runner.DASK_ADDRESS_ENV, "tcp://10.0.0.5:8786")
    chosen = runner.flow_task_runner()
    assert isinstance(chosen, DaskTaskRunner)
    assert chosen.address == "tcp://10.0.0.5:8786"
    local = runner.flow_task_runner("local")
    assert isinstance(local, DaskTaskRunner) and local.address is None
