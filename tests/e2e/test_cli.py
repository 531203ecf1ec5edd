"""The `junheng` command as a user runs it: template, demo-data and run (exit codes and output)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from python_calamine import CalamineWorkbook

from junheng import spec

JUNHENG = [sys.executable, "-m", "junheng.cli"]


def cli(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JUNHENG, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_template_has_every_sheet(tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    res = cli("template", str(out))
    assert res.returncode == 0, res.stderr
    names = CalamineWorkbook.from_path(str(out)).sheet_names
    assert {s.name for s in spec.SHEETS} <= set(names)


def test_bad_period_is_refused_with_a_chinese_message(tmp_path: Path) -> None:
    res = cli("run", "--period", "2026-13", "--inbox", str(tmp_path))
    assert res.returncode == 2
    assert "YYYY-MM" in res.stderr


def test_run_exits_zero_with_rejected_files_and_prints_the_summary(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    assert cli("demo-data", str(inbox), "--schools", "8", "--period", "2026-09", "--broken").returncode == 0
    (inbox / "说明.txt").write_text("这不是报表", encoding="utf-8")  # a stray file is rejected, not fatal
    res = cli(
        "run",
        "--period",
        "2026-09",
        "--inbox",
        str(inbox),
        "--data-dir",
        str(tmp_path / "data"),
        env={"PREFECT_HOME": str(tmp_path / "prefect")},
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "收到报表 11 份，入库 8，退回 3" in res.stdout
    xlsx = tmp_path / "data" / "reports" / "2026-09" / "junheng-2026-09.xlsx"
    assert str(xlsx) in res.stdout and xlsx.exists()
    # every received file is archived by its hash, the stray one included
    archived = [p for p in (tmp_path / "data" / "archive").rglob("*") if p.is_file()]
    assert len(archived) == 11


def test_run_fails_nonzero_when_the_inbox_is_missing(tmp_path: Path) -> None:
    res = cli("run", "--period", "2026-09", "--inbox", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d"))
    assert res.returncode == 2
    assert "收件目录不存在" in res.stderr
