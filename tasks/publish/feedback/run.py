"""The flow step: quarantine the period's refused files, one feedback workbook per file with findings,
and the bureau's 报送情况, all from the warehouse (so every run of the period is covered)."""

from __future__ import annotations

import re
from pathlib import Path

from junheng.policy import period_start
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.publish.cells import as_text
from tasks.publish.feedback.school import school_feedback
from tasks.publish.feedback.status import write_status
from tasks.publish.quarantine import quarantine_rejected
from warehouse.engine import connected, query_frame

STATUS_SQL = "SELECT * FROM mart.return_status WHERE county_code = :county_code AND period = :period"
ISSUES_SQL = "SELECT * FROM mart.validation_issues WHERE county_code = :county_code AND period = :period"


def feedback_name(code: str, file_name: str, taken: set[str], file_id: str) -> str:
    stem = code or Path(file_name).stem
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", stem)[:80] or file_id[:12]
    name = f"{stem}-反馈.xlsx"
    if name in taken:
        name = f"{stem}-{file_id[:8]}-反馈.xlsx"
    taken.add(name)
    return name


def write_feedback(
    url: str, period: str, out_dir: Path, data_dir: Path, county_code: str = DEFAULT_COUNTY_CODE
) -> dict[str, Path]:
    """Quarantine the period's rejected files, write one feedback workbook per file with findings
    (superseded files excepted: their school has sent a newer one) and the bureau's 报送情况.

    Returns {"overview": path, <file_id>: feedback path, ...}.
    """
    period_start(period)  # a malformed period must not become a path
    with connected(url) as engine:
        params: dict[str, object] = {"period": period, "county_code": county_code}
        status = query_frame(engine, STATUS_SQL, params)
        issues = query_frame(engine, ISSUES_SQL, params)
    quarantine_rejected(data_dir, period, status[status["file_id"].notna()], issues, county_code)
    folder = Path(out_dir) / period / "feedback"
    out: dict[str, Path] = {}
    sent: dict[str, str] = {}
    taken: set[str] = set()
    files = status[status["file_id"].notna() & (status["status"] != "superseded")]
    by_file = {str(k): g for k, g in issues.groupby("file_id", sort=False)} if not issues.empty else {}
    for rec in files.to_dict("records"):
        fid = str(rec["file_id"])
        mine = by_file.get(fid)
        if mine is None or mine.empty:
            continue
        name = feedback_name(as_text(rec["school_code"]), as_text(rec["file_name"]), taken, fid)
        header = f"{as_text(rec['school_code'])} {period} 问题清单"
        out[fid] = school_feedback(
            Path(as_text(rec["archive_path"])),
            as_text(rec["file_name"]),
            as_text(rec["status"]),
            mine,
            folder / name,
            header,
        )
        sent[fid] = name
    # Feedback of an earlier run for a file since superseded or corrected is no longer current.
    if folder.is_dir():
        for stale in folder.glob("*-反馈.xlsx"):
            if stale.name not in taken:
                stale.unlink()
    # Problems no school can be told about through its own file: unreadable files whose school is
    # unknown, and returns from schools not on the roster.
    lone = issues[issues["school_code"].isna() | issues["rule"].astype(str).str.startswith("roster.")]
    overview = Path(out_dir) / period / f"报送情况-{period}.xlsx"
    out["overview"] = write_status(overview, period, status, lone, sent, {}, str)
    return out
