"""Failures of real `junheng run` processes: SIGKILL mid-load then rerun, an unreachable warehouse,
an unwritable output folder. The runs report to one real Prefect server started for this module."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from prefect_procs import BIN, base_env, free_port, prefect_server, processes_with_marker, start, wait_until

from tasks.demo.returns import make_demo_county
from warehouse.engine import MART_VIEWS, make_engine, query_frame

PERIOD = "2026-10"
SCHOOLS = 6
# Columns that legitimately differ between two runs of the same data: clocks and run ids.
VOLATILE = {"loaded_at", "computed_at", "processed_at", "created_at", "run_id", "detected_at"}
TABLES = (
    "raw.school_info",
    "raw.facility",
    "core.fct_class",
    "core.fct_school_section",
    "core.dim_school",
    "core.fct_school_indicator",
    "core.fct_county_indicator",
    "audit.ingest_file",
    "audit.validation_issue",
)

pytestmark = pytest.mark.timeout(400)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """One real Prefect server for the module (a `junheng run` then starts in seconds)."""
    tmp = tmp_path_factory.mktemp("failures-prefect")
    marker = uuid.uuid4().hex
    with prefect_server(tmp / "home", marker, tmp / "server.log") as url:
        yield url, marker, tmp / "home"
    wait_until(lambda: not processes_with_marker(marker), 20, "stray processes to exit")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("failures-inbox") / PERIOD
    make_demo_county(path, schools=SCHOOLS, period=PERIOD, seed=11, broken=True)
    return path


def junheng(api: tuple[str, str, Path], *args: str, **env: str) -> list[str]:
    url, marker, home = api
    return [str(BIN / "junheng"), *args], base_env(home, marker, PREFECT_API_URL=url, **env)  # type: ignore[return-value]


def run(api: tuple[str, str, Path], args: list[str], timeout: float = 240, **env: str) -> subprocess.CompletedProcess:
    cmd, e = junheng(api, *args, **env)
    return subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=timeout)


def run_args(inbox: Path, url: str, data: Path, out: Path) -> list[str]:
    return [
        "run",
        "--period",
        PERIOD,
        "--inbox",
        str(inbox),
        "--warehouse",
        url,
        "--data-dir",
        str(data),
        "--out",
        str(out),
    ]


def snapshot(url: str) -> dict[str, pd.DataFrame]:
    """Every mart of the period and every loaded table, without clock and run-id columns, sorted."""
    eng = make_engine(url)
    out = {}
    with eng.connect() as c:
        frames = {
            f"mart.{n}": query_frame(c, f"SELECT * FROM mart.{n} WHERE period = :p", {"p": PERIOD}) for n in MART_VIEWS
        }
        frames |= {t: query_frame(c, f"SELECT * FROM {t}") for t in TABLES}
    eng.dispose()
    for name, df in frames.items():
        df = df.drop(columns=[c for c in df.columns if c in VOLATILE])
        out[name] = df.astype(str).sort_values(list(df.columns)).reset_index(drop=True) if len(df.columns) else df
    return out


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


@pytest.fixture
def reference_url(warehouse_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty warehouse on the same engine as ``warehouse_url`` (dropped afterwards)."""
    if warehouse_url.startswith("duckdb"):
        yield f"duckdb:///{tmp_path / 'reference.duckdb'}"
        return
    name = f"junheng_ref_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(warehouse_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(warehouse_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_sigkill_mid_load_then_rerun_equals_an_uninterrupted_run(
    api: tuple[str, str, Path], inbox: Path, warehouse_url: str, reference_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    marker_file = tmp_path / "in-load"
    cmd, env = junheng(api, *run_args(inbox, warehouse_url, data, tmp_path / "out1"))
    # The same run with a pause injected after the model run, inside the open load transaction.
    cmd = [sys.executable, str(Path(__file__).with_name("paused_run.py")), str(marker_file), *cmd[1:]]
    proc = start(cmd, env, tmp_path / "killed.log", cwd=tmp_path)
    try:
        wait_until(
            lambda: marker_file.exists() or proc.poll() is not None,
            180,
            "the run to reach the load",
            tmp_path / "killed.log",
        )
        assert proc.poll() is None, (tmp_path / "killed.log").read_text()[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no cleanup, no rollback by the process: the kill is the test
        proc.wait(timeout=10)
    # Nothing of the killed transaction is visible.
    eng = make_engine(warehouse_url)
    with eng.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM audit.ingest_file")).scalar_one() == 0
        assert c.execute(sa.text("SELECT COUNT(*) FROM core.fct_school_section")).scalar_one() == 0
    eng.dispose()

    rerun = run(api, run_args(inbox, warehouse_url, data, tmp_path / "out2"))
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-3000:]
    reference = run(api, run_args(inbox, reference_url, data, tmp_path / "out3"))  # same archive folder
    assert reference.returncode == 0, reference.stderr[-3000:]

    got, want = snapshot(warehouse_url), snapshot(reference_url)
    statuses = want["audit.ingest_file"]["status"].value_counts().to_dict()
    assert statuses == {"loaded": SCHOOLS, "rejected": 2}  # the demo's two broken returns
    assert_same(got, want)


def test_unreachable_warehouse_retries_then_fails_clearly(
    api: tuple[str, str, Path], inbox: Path, tmp_path: Path
) -> None:
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    res = run(api, run_args(inbox, closed, tmp_path / "data", tmp_path / "out"), JUNHENG_RETRY_DELAYS="0.2,0.2")
    assert res.returncode == 3, res.stdout[-2000:] + res.stderr[-3000:]
    assert res.stdout.count("次重试") == 2  # two retries with backoff, then the failure
    assert "错误：数据仓库或文件无法访问，重试后仍然失败（OperationalError" in res.stderr
    assert "Connection refused" in res.stderr or "connection failed" in res.stderr
    assert not (tmp_path / "out" / PERIOD).exists()


def test_unwritable_output_fails_before_the_warehouse_is_touched(
    api: tuple[str, str, Path], inbox: Path, tmp_path: Path
) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    ok = run(api, run_args(inbox, url, tmp_path / "data", tmp_path / "out"))
    assert ok.returncode == 0, ok.stderr[-3000:]
    before = snapshot(url)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report folder should be", encoding="utf-8")
    # New returns that would be loaded if the run got that far.
    newer = tmp_path / "inbox2"
    make_demo_county(newer, schools=SCHOOLS, period=PERIOD, seed=12)
    res = run(api, run_args(newer, url, tmp_path / "data", blocker / "reports"))
    assert res.returncode == 2, res.stdout[-2000:] + res.stderr[-3000:]
    assert f"错误：报告输出目录 {blocker / 'reports'} 无法写入" in res.stderr
    assert "本次运行没有改动数据仓库" in res.stderr
    assert_same(snapshot(url), before)
    eng = make_engine(url)
    with eng.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM audit.run")).scalar_one() == 1
    eng.dispose()
