"""make demo's city (#15 "Done when"), with the Makefile's own commands: three counties of the 玉溪 plan with
different target years over three months — 澄江市 (2023) reached, 华宁县 (2026) on track, 通海县 (2025) behind —
the summary says where the city report is, and `junheng city rollup` recomputes the same roll-up alone.
How long make demo takes is measured, not asserted (bench/README.md; the guide: no timed tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, env=dict(os.environ), check=False)


def test_demo_city(tmp_path: Path) -> None:
    city = tmp_path / "city"
    made = _run(sys.executable, "-m", "tasks.demo.city", str(city), "2026-08", "2026-09", "2026-10")
    assert made.returncode == 0, made.stderr[-3000:]
    run = _run(
        sys.executable, "-m", "cli", "city", "run", "--plan", "yuxi-2023", "--from", "2026-08",
        "--period", "2026-10", "--data-dir", str(city),
    )  # fmt: skip
    assert run.returncode == 0, (run.stdout[-3000:], run.stderr[-3000:])
    lines = run.stdout.splitlines()
    status = ["  已达到：1 个（澄江市）", "  按期推进：1 个（华宁县）", "  滞后：1 个（通海县）"]
    assert all(line in lines for line in status), run.stdout
    # The two earlier months, one line each, with the same three statuses.
    assert sum(line.startswith("已处理 玉溪市 2026-0") for line in lines) == 2
    report = city / "reports" / "530400" / "2026-10"
    assert f"  城市报告（Excel）：{report / 'junheng-city-2026-10.xlsx'}" in lines
    assert f"  城市报告（网页）：{report / 'junheng-city-2026-10.html'}" in lines
    assert (report / "junheng-city-2026-10.xlsx").is_file() and (report / "junheng-city-2026-10.html").is_file()
    # 2026-10's alerts: 4 counties not reported; no city recipients set, and the summary says so.
    assert any(line.startswith("  市级预警：新增 4，") and "未设置市级接收人" in line for line in lines), run.stdout

    again = _run(
        sys.executable, "-m", "cli", "city", "rollup", "--plan", "yuxi-2023", "--period", "2026-10",
        "--data-dir", str(city),
    )  # fmt: skip
    assert again.returncode == 0, (again.stdout[-3000:], again.stderr[-3000:])
    assert all(line in again.stdout.splitlines() for line in status), again.stdout
    assert "本次运行的县" not in again.stdout  # the roll-up alone runs no county
