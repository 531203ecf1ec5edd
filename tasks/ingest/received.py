"""Record every archived file as received before anything reads it (issue 13 item 1).

The outcome of a file (loaded, rejected, superseded) is written by the load, after parsing. A run that
dies while parsing (killed, out of memory, a parser crash where no worker process could be started)
would leave no trace of its files, and its rerun would meet the same files as if for the first time.
So the run first records each file in audit.received_file, and every run looks there for the files an
earlier run received and never decided (no audit.ingest_file row): those are left over from a run that
died.

- A left-over this run reads again (still in the inbox; reread new or all) is simply read: parsing runs
  in capped worker processes (tasks.read.isolation), so a file that kills its worker is rejected with a
  message and the others load.
- A left-over this run does not read (the inbox was emptied, or reread failed) is recorded as rejected,
  with a Chinese message naming the file and what to do: 报送情况 lists it, and reread failed reads it
  again (in this very run when it is a reread failed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal

import pandas as pd
from sqlalchemy.engine import Connection

from junheng.contract import Finding, ReceivedFile, findings_frame
from junheng.settings import DEFAULT_COUNTY_CODE, check_county_code
from warehouse import schema as s
from warehouse.engine import bulk_insert, connected, init_warehouse, query_frame
from warehouse.load import audit_safe, record_files, record_findings
from warehouse.locks import lock_period

RULE = "file.run_interrupted"

LEFT_OVER_SQL = """
SELECT r.file_id, r.file_name, r.archive_path, r.size_bytes, r.received_at, r.run_id, r.recorded_at
FROM audit.received_file AS r
WHERE r.county_code = :county_code AND r.period = :period AND r.status IN ('received', 'interrupted')
  AND r.run_id <> :run_id AND NOT EXISTS (
    SELECT 1 FROM audit.ingest_file AS f
    WHERE f.county_code = r.county_code AND f.period = r.period AND f.file_id = r.file_id
)
ORDER BY r.recorded_at, r.file_name
"""
DECIDED_SQL = "SELECT file_id FROM audit.ingest_file WHERE county_code = :county_code AND period = :period"


def interrupted_message(file_name: str, recorded_at: datetime) -> str:
    return (
        f"文件「{file_name}」：{recorded_at:%Y-%m-%d %H:%M} 收到本文件的那次运行在处理完成前中断"
        "（程序被终止，或读取某个文件时异常中止），本文件还没有读取，也没有入库。"
        "请县教育局重新运行本报表期、只重读未通过的文件；如再次中断，请学校在 Excel 或 WPS 中打开本文件，"
        "删除模板表格以外的内容，另存为 .xlsx 后重新发送"
    )


def _receipts(files: list[ReceivedFile], period: str, run_id: str, county_code: str, now: datetime) -> pd.DataFrame:
    one = {f.file_id: f for f in reversed(files)}  # identical copies are one file: the first received
    rows = [
        {
            "county_code": county_code,
            "period": period,
            "file_id": f.file_id,
            "file_name": f.file_name,
            "archive_path": f.archive_path,
            "size_bytes": f.size_bytes,
            "received_at": f.received_at,
            "status": "received",
            "run_id": run_id,
            "recorded_at": now,
        }
        for f in one.values()
    ]
    return audit_safe(pd.DataFrame(rows, columns=[c.name for c in s.received_file.c]), s.received_file)


def _reject_left_overs(
    conn: Connection, period: str, left: pd.DataFrame, run_id: str, county_code: str, now: datetime
) -> None:
    """Record left-overs this run does not read as rejected, with the reason."""
    files = left.assign(
        school_code=None,
        submitted_on=None,
        status="rejected",
        n_errors=1,
        n_violations=0,
        n_warnings=0,
        period=period,
        run_id=run_id,
        processed_at=now,
    )[[c.name for c in s.ingest_file.c if c.name != "county_code"]]  # record_files adds the county
    record_files(conn, period, files, county_code)
    found = [
        Finding(
            file_id=str(r.file_id),
            file_name=str(r.file_name),
            sheet="",
            cell="",
            rule=RULE,
            severity="error",
            value="",
            message=interrupted_message(str(r.file_name), pd.Timestamp(r.recorded_at).to_pydatetime()),
        )
        for r in left.itertuples(index=False)
    ]
    record_findings(conn, period, list(left["file_id"]), findings_frame(found), now, run_id, county_code)


def record_received(
    url: str,
    period: str,
    files: list[ReceivedFile],
    run_id: str,
    reread: Literal["new", "failed", "all"] = "new",
    county_code: str = DEFAULT_COUNTY_CODE,
    now: datetime | None = None,
) -> list[ReceivedFile]:
    """Record the files this run will read as received (before any is parsed), and settle the files an
    earlier run received and never decided. Returns ``files``, a left-over among them marked
    ``isolate_parse`` (the reader parses it in a capped worker process, never in the run's own).

    ``new`` reads only files without an outcome, so only those are (re)recorded: a file decided
    before keeps its receipt. ``all`` reads every file, ``failed`` none of the inbox."""
    check_county_code(county_code)
    now = now or datetime.now().replace(microsecond=0)
    params: dict[str, object] = {"period": period, "county_code": county_code, "run_id": run_id}
    t = s.received_file
    mine = (t.c.county_code == county_code) & (t.c.period == period)
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            left = query_frame(conn, LEFT_OVER_SQL, params)
            if not left.empty:
                lock_period(conn, county_code, period)  # a run loading now decides its files first
                left = query_frame(conn, LEFT_OVER_SQL, params)
                conn.execute(
                    t.update().where(mine, t.c.file_id.in_(list(left["file_id"]))).values(status="interrupted")
                )
            decided = set(query_frame(conn, DECIDED_SQL, params)["file_id"])
            reading = files if reread == "all" else [f for f in files if f.file_id not in decided]
            receipts = _receipts(reading, period, run_id, county_code, now)
            if not receipts.empty:
                conn.execute(t.delete().where(mine, t.c.file_id.in_(list(receipts["file_id"]))))
                bulk_insert(conn, t, receipts)
            unread = left[~left["file_id"].isin(set(receipts["file_id"]))]
            if not unread.empty:
                _reject_left_overs(conn, period, unread, run_id, county_code, now)
    suspects = set(left["file_id"])
    return [replace(f, isolate_parse=True) if f.file_id in suspects else f for f in files]


def received_files(url: str, period: str, county_code: str = DEFAULT_COUNTY_CODE) -> pd.DataFrame:
    """The county's period's receipts (for the audit and the tests)."""
    with connected(url) as engine:
        init_warehouse(engine)
        return query_frame(
            engine,
            "SELECT * FROM audit.received_file WHERE county_code = :county_code AND period = :period "
            "ORDER BY file_name",
            {"period": period, "county_code": county_code},
        )
