"""The `junheng` command as a user runs it: template, demo-data and run (exit codes and output)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from python_calamine import CalamineWorkbook

from junheng import spec
from tasks.demo.county import demo_county_return
from tasks.publish.county_template import write_county_return

JUNHENG = [sys.executable, "-m", "cli"]


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


def _run(inbox: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return cli(
        "run",
        "--period",
        "2026-09",
        "--inbox",
        str(inbox),
        "--data-dir",
        str(tmp_path / "data"),
        env={"PREFECT_HOME": str(tmp_path / "prefect")},
    )


def test_an_empty_inbox_exits_4_without_a_verdict(tmp_path: Path) -> None:
    """A wrong or empty folder must not produce an official-looking 未达到 (issue 12 item 5)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    res = _run(inbox, tmp_path)
    assert res.returncode == 4, res.stdout + res.stderr
    assert "本期无有效报表（没有收到任何报表文件）" in res.stderr
    assert str(inbox) in res.stderr and "--inbox" in res.stderr
    assert "未达到" not in res.stdout + res.stderr and "结论" not in res.stdout
    reports = tmp_path / "data" / "reports" / "2026-09"
    assert not (reports / "junheng-county-2026-09.xlsx").exists()  # no county analysis of nothing


def test_an_inbox_of_rejected_files_only_exits_4_and_points_to_the_feedback(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "说明.txt").write_text("这不是报表", encoding="utf-8")
    (inbox / "3708300001_甲小学.xlsx").write_bytes(b"not a workbook")
    res = _run(inbox, tmp_path)
    assert res.returncode == 4, res.stdout + res.stderr
    assert "收到报表 2 份，退回 2 份" in res.stdout
    assert "本期无有效报表（收到的 2 份文件都被退回）" in res.stderr
    overview = tmp_path / "data" / "reports" / "2026-09" / "报送情况-2026-09.xlsx"
    assert overview.exists() and str(overview) in res.stderr  # the schools are still told why
    assert "未达到" not in res.stdout + res.stderr
    # The reports it did write say 无有效报表 and carry no verdict (issue 12 item 5).
    book = CalamineWorkbook.from_path(str(overview.with_name("junheng-2026-09.xlsx")))
    text = "\n".join(
        str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row
    )
    page = overview.with_name("junheng-2026-09.html").read_text(encoding="utf-8")
    for said in (text, page):
        assert "无有效报表" in said and "未达到" not in said and "尚不具备" not in said


def test_an_inbox_with_only_the_county_return_exits_4(tmp_path: Path) -> None:
    """The county's own return judges no school: still no verdict (the flag is the summary's, not files loaded)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_county_return(inbox / "县级报表.xlsx", demo_county_return("2026-09"))
    res = _run(inbox, tmp_path)
    assert res.returncode == 4, res.stdout + res.stderr
    assert "没有可入库的学校报表（退回 0 份，县级报表 1 份）" in res.stderr
    assert "未达到" not in res.stdout + res.stderr


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _prefect_servers(pgid: int) -> list[int]:
    """The ephemeral Prefect servers (uvicorn) in a process group."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"prefect.server.api.server:create_app" in cmd and _group_of(int(entry.name)) == pgid:
            out.append(int(entry.name))
    return out


def _running(pid: int) -> bool:
    """Whether the process exists and has not exited: an exited orphan stays a zombie until init reaps it,
    which some inits do only after a second or two (the supervisor does not wait for that)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_run_stops_the_prefect_server_it_started(tmp_path: Path) -> None:
    """kill -9 of the working process (as the OOM killer does) leaves no Prefect server behind (issue 13)."""
    import signal
    import time

    inbox = tmp_path / "inbox"
    assert cli("demo-data", str(inbox), "--schools", "6", "--period", "2026-09").returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    sup = subprocess.Popen(
        [*JUNHENG, "run", "--period", "2026-09", "--inbox", str(inbox), "--data-dir", str(tmp_path / "data")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        worker = servers = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not servers:
            time.sleep(0.5)
            kids = Path(f"/proc/{sup.pid}/task/{sup.pid}/children").read_text().split()
            worker = int(kids[0]) if kids else None
            servers = _prefect_servers(worker) if worker else None
        assert worker and servers, "the run never started its Prefect server"
        os.kill(worker, signal.SIGKILL)
        _, err = sup.communicate(timeout=60)
        assert sup.returncode == 1
        assert "运行异常中止" in err and "SIGKILL" in err
        time.sleep(0.5)
        assert _prefect_servers(worker) == [] and not any(_running(p) for p in servers)
    finally:
        if sup.poll() is None:
            sup.kill()
