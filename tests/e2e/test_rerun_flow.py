"""Reruns read only what is new (sha256), keep the newer-return rule right, retry only failed files; backfill."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from test_monthly_flow import PERIOD, classes, facilities, info, marts, run, teachers, write_county

from flows.backfill import periods_between, rerun_returns
from flows.monthly import monthly_returns
from tasks.publish.template import write_return

A = "3708300001"


def a_return(submitted: date, sizes: list[int]) -> dict:
    return {
        "info": info(A, "甲小学", "小学", submitted),
        "classes": classes("小学", sizes),
        "teachers": [teachers("小学", 10, 6, 2, 1, 0, 1)],
        "facilities": [facilities("小学", 700, 100, 900, 30, 3)],
    }


def equal(a: dict, b: dict) -> bool:
    for name in a:
        keys = list(a[name].columns)
        if (
            not a[name]
            .sort_values(keys)
            .reset_index(drop=True)
            .equals(b[name].sort_values(keys).reset_index(drop=True))
        ):
            return False
    return True


def test_rerun_reads_only_new_files_and_keeps_the_newer_return(tmp_path: Path, warehouse_url: str) -> None:
    inbox = tmp_path / "inbox"
    write_county(inbox)
    first = run(inbox, warehouse_url, tmp_path)
    assert first["files_read"] == 5
    before = marts(warehouse_url)

    again = run(inbox, warehouse_url, tmp_path)
    assert again["files_read"] == 0  # nothing new: no file is read, the period's marts are unchanged
    assert (again["files_received"], again["files_loaded"], again["files_rejected"]) == (5, 3, 1)
    assert equal(before, marts(warehouse_url))

    # A late draft of A with an EARLIER 填报日期: A's loaded return is read again to compare, and wins.
    write_return(inbox / "A-draft.xlsx", a_return(date(2026, 10, 1), [50, 50]))
    third = run(inbox, warehouse_url, tmp_path)
    assert third["files_read"] == 2
    status = marts(warehouse_url)["return_status"].set_index("file_name")["status"]
    assert (status["A.xlsx"], status["A-draft.xlsx"]) == ("loaded", "superseded")
    si = marts(warehouse_url)["school_indicators"].set_index(["school_code", "section", "indicator_code"])
    assert si.loc[(A, "primary", "R4"), "value"] == pytest.approx(6.0)  # still (700 − 100) / 100

    # A correction with a LATER date wins: 200 students now, R4 = (700 − 100) / 200 = 3.
    write_return(inbox / "A-fix.xlsx", a_return(date(2026, 10, 20), [50, 50, 50, 50]))
    run(inbox, warehouse_url, tmp_path)
    m = marts(warehouse_url)
    status = m["return_status"].set_index("file_name")["status"]
    assert (status["A.xlsx"], status["A-draft.xlsx"], status["A-fix.xlsx"]) == ("superseded", "superseded", "loaded")
    si = m["school_indicators"].set_index(["school_code", "section", "indicator_code"])
    assert si.loc[(A, "primary", "R4"), "value"] == pytest.approx(3.0)


def test_only_failed_rereads_the_rejected_file_from_the_archive(tmp_path: Path, warehouse_url: str) -> None:
    inbox = tmp_path / "inbox"
    write_county(inbox)
    run(inbox, warehouse_url, tmp_path)
    before = marts(warehouse_url)
    shutil.rmtree(inbox)  # the inbox was cleaned: the archive still has every received file
    result = monthly_returns(
        period=PERIOD,
        warehouse_url=warehouse_url,
        data_dir=str(tmp_path / "data"),
        out_dir=str(tmp_path / "out"),
        reread="failed",
    )
    assert result["files_read"] == 1  # only D, the rejected one
    after = marts(warehouse_url)
    assert after["return_status"].set_index("file_name").loc["D-subcount.exceeds_total.xlsx", "status"] == "rejected"
    assert equal(before, after)


def test_periods_between() -> None:
    assert periods_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert periods_between("2026-10", "2026-10") == ["2026-10"]


def test_backfill_runs_each_period_with_an_inbox(tmp_path: Path, warehouse_url: str) -> None:
    data = tmp_path / "data"
    write_county(data / "inbox" / PERIOD)
    outcome = rerun_returns(
        period_from="2026-09",
        period_to=PERIOD,
        warehouse_url=warehouse_url,
        data_dir=str(data),
        out_dir=str(tmp_path / "out"),
    )
    assert outcome == {"2026-09": "skipped", PERIOD: "completed"}
    assert (marts(warehouse_url)["return_status"]["status"] == "loaded").sum() == 3
