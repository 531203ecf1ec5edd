"""Which return is loaded: rejected on errors; the later 填报日期, then the later receipt, wins."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from junheng.contract import Finding, ReceivedFile, ReturnBatch
from tasks.validate.decide import decide


def rf(fid: str, name: str, received: datetime) -> ReceivedFile:
    return ReceivedFile(
        file_id=fid * 64, file_name=name, source_path=name, archive_path=name, received_at=received, size_bytes=10
    )


def batch(files: list[ReceivedFile], info: list[dict[str, object]]) -> ReturnBatch:
    return ReturnBatch(files=files, info=pd.DataFrame(info), frames={})


def error(fid: str) -> Finding:
    return Finding(
        file_id=fid * 64,
        file_name="x",
        sheet="教师",
        cell="B2",
        rule="required",
        severity="error",
        value="",
        message="必填",
    )


def test_later_submission_date_wins_over_later_receipt() -> None:
    files = [rf("a", "a.xlsx", datetime(2026, 10, 20)), rf("b", "b.xlsx", datetime(2026, 10, 10))]
    info = [
        {"file_id": "a" * 64, "school_code": "3708300001", "submitted_on": date(2026, 10, 5)},
        {"file_id": "b" * 64, "school_code": "3708300001", "submitted_on": date(2026, 10, 8)},
    ]
    status = decide(batch(files, info), []).set_index("file_name")["status"]
    assert status["b.xlsx"] == "loaded" and status["a.xlsx"] == "superseded"


def test_same_date_later_receipt_wins() -> None:
    files = [rf("a", "a.xlsx", datetime(2026, 10, 20)), rf("b", "b.xlsx", datetime(2026, 10, 10))]
    info = [
        {"file_id": "a" * 64, "school_code": "3708300001", "submitted_on": None},
        {"file_id": "b" * 64, "school_code": "3708300001", "submitted_on": None},
    ]
    status = decide(batch(files, info), []).set_index("file_name")["status"]
    assert status["a.xlsx"] == "loaded" and status["b.xlsx"] == "superseded"


def test_rejected_file_does_not_compete_and_unreadable_file_is_rejected() -> None:
    files = [
        rf("a", "a.xlsx", datetime(2026, 10, 20)),
        rf("b", "b.xlsx", datetime(2026, 10, 10)),
        rf("c", "junk.xls", datetime(2026, 10, 11)),
    ]
    info = [
        {"file_id": "a" * 64, "school_code": "3708300001", "submitted_on": None},
        {"file_id": "b" * 64, "school_code": "3708300001", "submitted_on": None},
    ]
    out = decide(batch(files, info), [error("a")]).set_index("file_name")
    assert out.loc["a.xlsx", "status"] == "rejected" and out.loc["a.xlsx", "n_errors"] == 1
    assert out.loc["b.xlsx", "status"] == "loaded"
    assert out.loc["junk.xls", "status"] == "rejected" and pd.isna(out.loc["junk.xls", "school_code"])


def test_a_run_of_rejected_files_only_decides_without_error() -> None:
    files = [rf("a", "a.xlsx", datetime(2026, 10, 20))]
    info = [{"file_id": "a" * 64, "school_code": "3708300001", "submitted_on": None}]
    out = decide(batch(files, info), [error("a")])
    assert list(out["status"]) == ["rejected"]


def test_the_same_file_twice_is_one_return_not_a_crash() -> None:
    """x.xlsx and its byte-identical copy x(1).xlsx share one file id (issue 13 item 2)."""
    files = [rf("a", "a.xlsx", datetime(2026, 10, 10)), rf("a", "a(1).xlsx", datetime(2026, 10, 11))]
    info = [
        {"file_id": "a" * 64, "school_code": "3708300001", "submitted_on": date(2026, 10, 5)},
        {"file_id": "a" * 64, "school_code": "3708300001", "submitted_on": date(2026, 10, 5)},
    ]
    status = decide(batch(files, info), [])
    assert status[["file_name", "status"]].values.tolist() == [["a.xlsx", "loaded"]]
