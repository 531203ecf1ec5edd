"""audit.received_file, without a flow (issue 13 item 1): files are recorded before reading; only a file an
earlier run received and never decided is a left-over; a decided file never becomes one. Both engines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from junheng.contract import ReceivedFile
from tasks.ingest.received import received_files, record_received
from warehouse import schema as s
from warehouse.engine import make_engine, query_frame

P = "2026-10"
T0 = datetime(2026, 11, 3, 9)


def rf(name: str) -> ReceivedFile:
    return ReceivedFile(name * 64, f"{name}.xlsx", f"/in/{name}.xlsx", f"/archive/{name}.xlsx", T0, 10)


def decide(url: str, file: ReceivedFile, run_id: str) -> None:
    """What the load writes for a decided file."""
    eng = make_engine(url)
    with eng.begin() as c:
        c.execute(
            s.ingest_file.insert().values(
                county_code="000000",
                period=P,
                file_id=file.file_id,
                file_name=file.file_name,
                archive_path=file.archive_path,
                received_at=T0,
                status="loaded",
                n_errors=0,
                n_violations=0,
                n_warnings=0,
                run_id=run_id,
                processed_at=T0,
            )
        )
    eng.dispose()


def statuses(url: str) -> dict[str, tuple[str, str]]:
    got = received_files(url, P)
    return {n: (st, r) for n, st, r in zip(got["file_name"], got["status"], got["run_id"], strict=True)}


def test_left_overs_are_only_the_files_a_dead_run_never_decided(warehouse_url: str, tmp_path: Path) -> None:
    a, b, c = rf("a"), rf("b"), rf("c")
    # Run 1 receives a, b and c (b twice: an identical copy is one file), decides a, then dies.
    assert record_received(warehouse_url, P, [a, b, b, c], "run-1", now=T0) == [a, b, b, c]
    assert statuses(warehouse_url) == {n: ("received", "run-1") for n in ("a.xlsx", "b.xlsx", "c.xlsx")}
    decide(warehouse_url, a, "run-1")

    # Run 2 (reread new) finds a and c in the inbox again, b no longer: a was decided and is neither
    # recorded again nor a left-over; c is read again, marked for a worker; b is rejected with the reason.
    got = record_received(warehouse_url, P, [a, c], "run-2", now=T0)
    assert [(f.file_name, f.isolate_parse) for f in got] == [("a.xlsx", False), ("c.xlsx", True)]
    assert statuses(warehouse_url) == {
        "a.xlsx": ("received", "run-1"),
        "b.xlsx": ("interrupted", "run-1"),
        "c.xlsx": ("received", "run-2"),
    }
    eng = make_engine(warehouse_url)
    files = query_frame(eng, "SELECT file_name, status, n_errors FROM audit.ingest_file ORDER BY file_name")
    issues = query_frame(eng, "SELECT file_name, rule, severity, message FROM audit.validation_issue")
    eng.dispose()
    assert files.to_dict("records") == [
        {"file_name": "a.xlsx", "status": "loaded", "n_errors": 0},
        {"file_name": "b.xlsx", "status": "rejected", "n_errors": 1},
    ]
    [issue] = issues.to_dict("records")
    assert (issue["file_name"], issue["rule"], issue["severity"]) == ("b.xlsx", "file.run_interrupted", "error")
    assert issue["message"].startswith("文件「b.xlsx」：2026-11-03 09:00 收到本文件的那次运行在处理完成前中断")

    # Run 2 finishes (c decided); run 3 finds nothing left over.
    decide(warehouse_url, c, "run-2")
    assert [f.isolate_parse for f in record_received(warehouse_url, P, [a, c], "run-3", reread="all")] == [
        False,
        False,
    ]
    assert statuses(warehouse_url)["c.xlsx"] == ("received", "run-3")  # reread all records what it reads
    assert isinstance(received_files(warehouse_url, P)["received_at"].iloc[0], pd.Timestamp)
