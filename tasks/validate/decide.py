"""Which returns are loaded: rejected on any data error; of one school's valid returns the latest wins."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from junheng.contract import Finding, ReturnBatch

STATUS_COLUMNS = [
    "file_id",
    "file_name",
    "archive_path",
    "size_bytes",
    "received_at",
    "school_code",
    "submitted_on",
    "status",
    "n_errors",
    "n_violations",
    "n_warnings",
]


def decide(batch: ReturnBatch, findings: list[Finding]) -> pd.DataFrame:
    """One row per received file with its status: loaded, rejected or superseded.

    Two returns for one school and period: the later 填报日期 wins, then the later received time;
    the other is superseded (and kept in the archive). A rejected file is superseded by a loaded
    return of its school received no earlier (the corrected file).
    """
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        counts[(f.file_id, f.severity)] = counts.get((f.file_id, f.severity), 0) + 1
    # One row per file: a file received twice (the same bytes under two names) is one return.
    info = batch.info.drop_duplicates("file_id").set_index("file_id") if not batch.info.empty else pd.DataFrame()
    rows = []
    seen: set[str] = set()
    for rf in batch.files:
        if rf.file_id in seen:
            continue
        seen.add(rf.file_id)
        school = info.loc[rf.file_id, "school_code"] if rf.file_id in info.index else None
        submitted = info.loc[rf.file_id, "submitted_on"] if rf.file_id in info.index else None
        n_err = counts.get((rf.file_id, "error"), 0)
        rows.append(
            {
                "file_id": rf.file_id,
                "file_name": rf.file_name,
                "archive_path": rf.archive_path,
                "size_bytes": rf.size_bytes,
                "received_at": rf.received_at,
                "school_code": None if school is None or pd.isna(school) else str(school),
                "submitted_on": _as_date(submitted),
                "status": "rejected" if n_err or rf.file_id not in info.index else "loaded",
                "n_errors": n_err,
                "n_violations": counts.get((rf.file_id, "violation"), 0),
                "n_warnings": counts.get((rf.file_id, "warning"), 0),
            }
        )
    status = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    ok = status[status["status"] == "loaded"].copy()
    ok["_sub"] = ok["submitted_on"].map(lambda d: d if d is not None else date.min)
    ok = ok.sort_values(["school_code", "_sub", "received_at", "file_name"], ascending=[True, False, False, False])
    losers = ok[ok.duplicated("school_code", keep="first")]["file_id"]
    status.loc[status["file_id"].isin(losers), "status"] = "superseded"
    # A rejected file that a school corrected: the corrected return, received later, replaces it
    # (as warehouse.load.record_files does across runs). A file rejected after a good one stays
    # rejected: the school's latest attempt failed and it must be told.
    if not ok.empty:  # a run of rejected files only (e.g. rerun --only-failed) corrects nothing
        corrected = ok.groupby("school_code")["received_at"].max()
        rej = status["status"].eq("rejected") & status["school_code"].isin(corrected.index)
        replaced = rej & (status["received_at"] <= status["school_code"].map(corrected))
        status.loc[replaced, "status"] = "superseded"
    return status.reset_index(drop=True)


def _as_date(v: object) -> date | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, pd.Timestamp):
        return v.date()
    return None


def winners(batch: ReturnBatch, status: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The info rows and table frames of the loaded returns only."""
    keep = set(status.loc[status["status"] == "loaded", "file_id"])
    info = batch.info[batch.info["file_id"].isin(keep)].reset_index(drop=True)
    frames = {k: v[v["file_id"].isin(keep)].reset_index(drop=True) for k, v in batch.frames.items()}
    return info, frames
