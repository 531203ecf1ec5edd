"""The deployments of prefect.yaml on a real Prefect server and process worker (slow: about a minute).

Starts `prefect server start` on loopback with its own PREFECT_HOME, creates the process work pool,
deploys every deployment of prefect.yaml, starts a worker, triggers `monthly-returns/monthly`, waits
for Completed, checks the warehouse the run wrote, then stops server and worker and proves that no
process it started is left.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect_procs import BIN, ROOT, base_env, prefect_server, processes_with_marker, start, stop, wait_until

from tasks.demo.returns import make_demo_county
from warehouse.engine import make_engine

PERIOD = "2026-10"
POOL = "junheng-process"  # the pool prefect.yaml names
SCHOOLS = 6

pytestmark = pytest.mark.timeout(300)


def cli(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    res = subprocess.run(
        [str(BIN / "prefect"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert res.returncode == 0, f"prefect {' '.join(args)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout + res.stderr


def flow_run(api: str, run_id: str) -> dict:
    with urllib.request.urlopen(f"{api}/flow_runs/{run_id}", timeout=10) as r:
        return json.loads(r.read())


def test_monthly_deployment_runs_on_a_real_server_and_worker(tmp_path: Path) -> None:
    t0 = time.monotonic()
    marker = uuid.uuid4().hex
    home = tmp_path / "prefect-home"
    data = tmp_path / "data"
    inbox = data / "inbox" / PERIOD
    make_demo_county(inbox, schools=SCHOOLS, period=PERIOD, seed=7)
    url = f"duckdb:///{data / 'junheng.duckdb'}"
    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"

    with prefect_server(home, marker, server_log) as api:
        env = base_env(home, marker, PREFECT_API_URL=api, JUNHENG_HOME=str(ROOT))
        print(f"server up {time.monotonic() - t0:.1f} s")
        cli(["work-pool", "create", POOL, "--type", "process"], env)
        out = cli(["--no-prompt", "deploy", "--all"], env, timeout=180)
        assert "monthly-returns/monthly" in out and "rerun-returns/rerun" in out, out
        print(f"deployed {time.monotonic() - t0:.1f} s")
        worker_env = {**env, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "5"}
        worker = start([str(BIN / "prefect"), "worker", "start", "--pool", POOL], worker_env, worker_log)
        try:
            params = {"period": PERIOD, "inbox": str(inbox), "warehouse_url": url, "data_dir": str(data)}
            args = ["deployment", "run", "monthly-returns/monthly"]
            for k, v in params.items():
                args += ["--param", f"{k}={v}"]
            out = cli(args, env)
            m = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
            assert m, out
            run_id = m.group(1)
            final: dict = {}

            def finished() -> bool:
                nonlocal final
                final = flow_run(api, run_id)
                return final["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")

            wait_until(finished, 150, "the deployment run", worker_log)
            print(f"run finished {time.monotonic() - t0:.1f} s")
            assert final["state"]["type"] == "COMPLETED", (final["state"], worker_log.read_text()[-4000:])
            assert final["deployment_id"] is not None
        finally:
            stop(worker)

    # The warehouse the worker's flow run wrote: every demo school loaded, under this flow run's id.
    eng = make_engine(url)
    with eng.connect() as c:
        loaded = c.execute(
            sa.text("SELECT COUNT(*) FROM audit.ingest_file WHERE period = :p AND status = 'loaded'"), {"p": PERIOD}
        ).scalar_one()
        runs = c.execute(sa.text("SELECT run_id FROM audit.run WHERE period = :p"), {"p": PERIOD}).scalars().all()
        sections = c.execute(
            sa.text("SELECT COUNT(DISTINCT school_code) FROM core.fct_school_section WHERE period = :p"), {"p": PERIOD}
        ).scalar_one()
    eng.dispose()
    assert loaded == SCHOOLS
    assert runs == [run_id]
    assert sections == SCHOOLS
    assert (data / "reports" / PERIOD / f"junheng-{PERIOD}.xlsx").exists()

    # Nothing left running: server, worker and the worker's flow-run process are all gone.
    wait_until(lambda: not processes_with_marker(marker), 20, "stray processes to exit")
    assert time.monotonic() - t0 < 180, "the deployment test must stay under 3 minutes"
