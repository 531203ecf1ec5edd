"""Every file is on record as received before it is parsed (issue 13 item 1): a run that dies while
parsing leaves each of its files in audit.received_file, and its rerun settles them: the file that kills
its parse worker is rejected with a message naming it, the others load. On DuckDB and PostgreSQL.

The crash is injected here, in the test: the flow's reader is replaced by one that dies on one file.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from test_monthly_flow import PERIOD, classes, facilities, info, marts, teachers, write_county

import tasks.read.prefect_tasks as read_tasks
import tasks.read.returns as returns
from flows.monthly import monthly_returns
from junheng.contract import ReceivedFile, ReturnBatch
from tasks.ingest.received import received_files
from tasks.publish.template import write_return
from tasks.read.incremental import Reread

KILLER = "3708300008_崩溃.xlsx"
_real_read_here = returns.read_returns_here


class RunDied(RuntimeError):
    """Stands for the run's process dying (killed, out of memory) while it parses."""


def crashing_reader(files: list[ReceivedFile]) -> ReturnBatch:
    """The reader of a parse worker, aborting the worker on KILLER as a parser abort does (module level:
    the worker imports it by name). Never aborts the test's own process."""
    if any(f.file_name == KILLER for f in files):
        if multiprocessing.parent_process() is None:
            raise RunDied("the killer file was parsed in the run's own process")
        os.abort()
    return _real_read_here(files)


def dying_run(files: list[ReceivedFile]) -> ReturnBatch:
    raise RunDied("the run died while parsing")


def write_inbox(inbox: Path) -> None:
    write_county(inbox)
    write_return(
        inbox / KILLER,
        {
            "info": info("3708300008", "辛小学", "小学", date(2026, 10, 8)),
            "classes": classes("小学", [25, 25]),
            "teachers": [teachers("小学", 4, 2, 1, 1, 0, 1)],
            "facilities": [facilities("小学", 350, 50, 450, 15, 2)],
        },
    )


def run(tmp_path: Path, inbox: Path, url: str, reread: Reread) -> dict:
    return monthly_returns(
        period=PERIOD,
        inbox=str(inbox),
        warehouse_url=url,
        data_dir=str(tmp_path / "data"),
        out_dir=str(tmp_path / "out"),
        reread=reread,
    )


def die_while_parsing(tmp_path: Path, inbox: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Run 1 dies in 读取报表; every file must already be on record. Returns name → sha256."""
    sent = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()}
    mtimes = {p.name: datetime.fromtimestamp(p.stat().st_mtime).replace(microsecond=0) for p in inbox.iterdir()}
    with monkeypatch.context() as m:
        m.setattr(read_tasks, "read_returns_parallel", dying_run)
        with pytest.raises(RunDied):
            run(tmp_path, inbox, url, "new")
    got = received_files(url, PERIOD)
    assert dict(zip(got["file_name"], got["file_id"], strict=True)) == sent
    assert set(got["status"]) == {"received"} and set(got["county_code"]) == {"000000"}
    assert set(got["period"]) == {PERIOD}
    assert {n: t.to_pydatetime() for n, t in zip(got["file_name"], got["received_at"], strict=True)} == mtimes
    assert marts(url)["return_status"].empty  # nothing was decided
    return sent


def test_a_run_that_dies_while_parsing_leaves_its_files_on_record_and_the_rerun_settles_them(
    tmp_path: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    write_inbox(inbox)
    die_while_parsing(tmp_path, inbox, warehouse_url, monkeypatch)

    # The rerun: the same inbox; the file kills its parse worker again, and only its worker.
    monkeypatch.setattr(returns, "read_returns_here", crashing_reader)
    result = run(tmp_path, inbox, warehouse_url, "new")
    assert result["files_loaded"] == 3
    after = marts(warehouse_url)
    status = after["return_status"].set_index("file_name")["status"].to_dict()
    assert status == {
        "A.xlsx": "loaded",
        "B-final.xlsx": "loaded",
        "B-draft.xlsx": "superseded",
        "C.xlsx": "loaded",
        "D-subcount.exceeds_total.xlsx": "rejected",
        KILLER: "rejected",
    }
    issues = after["validation_issues"]
    [msg] = issues.loc[issues["file_name"] == KILLER, "message"]
    assert msg.startswith(f"文件「{KILLER}」：读取这个文件时读取进程异常中止")
    assert set(after["school_indicators"]["school_code"]) == {"3708300001", "3708300002", "3708300003"}
    assert set(received_files(warehouse_url, PERIOD)["status"]) == {"received"}  # re-received by the rerun


def test_files_of_a_dead_run_no_longer_in_the_inbox_are_rejected_with_the_reason_and_reread_failed_reads_them(
    tmp_path: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    write_inbox(inbox)
    sent = die_while_parsing(tmp_path, inbox, warehouse_url, monkeypatch)
    shutil.rmtree(inbox)
    inbox.mkdir()  # the inbox was emptied after the crash: the files are only in the archive now

    result = run(tmp_path, inbox, warehouse_url, "new")
    assert result["no_valid_returns"]
    after = marts(warehouse_url)
    assert set(after["return_status"]["status"]) == {"rejected"} and len(after["return_status"]) == len(sent)
    issues = after["validation_issues"]
    [msg] = issues.loc[issues["file_name"] == KILLER, "message"]
    assert msg.startswith(f"文件「{KILLER}」：") and "处理完成前中断" in msg and "只重读未通过的文件" in msg
    assert set(received_files(warehouse_url, PERIOD)["status"]) == {"interrupted"}

    # The bureau rereads the failed files: read from the archive; the killer's worker dies, the rest load.
    monkeypatch.setattr(returns, "read_returns_here", crashing_reader)
    result = run(tmp_path, inbox, warehouse_url, "failed")
    assert result["files_loaded"] == 3
    status = marts(warehouse_url)["return_status"].set_index("file_name")["status"].to_dict()
    assert status[KILLER] == "rejected" and status["D-subcount.exceeds_total.xlsx"] == "rejected"
    assert {k for k, v in status.items() if v == "loaded"} == {"A.xlsx", "B-final.xlsx", "C.xlsx"}
