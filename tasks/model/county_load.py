"""Load the county's own return (县级报表) of a period: the newest valid one replaces the county's slice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from junheng.contract import ReceivedFile, findings_frame
from junheng.settings import DEFAULT_COUNTY_CODE
from tasks.read.county_return import county_items_frame, pick_county_return, read_county_return
from warehouse import schema as s
from warehouse.engine import bulk_insert, connected, init_warehouse, query_frame
from warehouse.load import record_findings
from warehouse.locks import lock_period


def load_county_returns(
    url: str,
    period: str,
    files: list[ReceivedFile],
    run_id: str,
    now: datetime | None = None,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> dict[str, Any]:
    """Read, validate and load the county's returns (县级报表) of the period in one transaction.

    The newest return without errors replaces the county's period slice of raw.county_return (an earlier
    one becomes superseded); a return with errors is rejected with located findings, like a
    school return. The scorecard is recomputed by the period's models afterwards.
    """
    if not files:
        return {"county_files": 0, "county_loaded": None, "county_rejected": 0}
    now = now or datetime.now().replace(microsecond=0)
    returns = [read_county_return(f, period) for f in files]
    winner = pick_county_return(returns)
    status_rows = []
    for r in returns:
        status = "loaded" if r is winner else ("rejected" if r.n_errors else "superseded")
        status_rows.append(
            {
                "county_code": county_code,
                "period": period,
                "file_id": r.file.file_id,
                "file_name": r.file.file_name,
                "archive_path": r.file.archive_path,
                "size_bytes": r.file.size_bytes,
                "received_at": r.file.received_at,
                "school_code": None,
                "submitted_on": r.submitted_on,
                "status": status,
                "n_errors": r.n_errors,
                "n_violations": 0,
                "n_warnings": sum(1 for f in r.findings if f.severity == "warning"),
                "run_id": run_id,
                "processed_at": now,
            }
        )
    ids = [r.file.file_id for r in returns]
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            lock_period(conn, county_code, period)
            t = s.ingest_file
            mine = (t.c.county_code == county_code) & (t.c.period == period)
            if winner is not None:
                before = query_frame(
                    conn,
                    "SELECT DISTINCT file_id FROM raw.county_return "
                    "WHERE county_code = :county_code AND period = :period",
                    {"period": period, "county_code": county_code},
                )
                older = [f for f in before["file_id"] if f != winner.file.file_id] if not before.empty else []
                if older:
                    conn.execute(t.update().where(mine, t.c.file_id.in_(older)).values(status="superseded"))
                rc = s.raw_county_return
                conn.execute(rc.delete().where(rc.c.county_code == county_code, rc.c.period == period))
                bulk_insert(conn, rc, county_items_frame(winner, period, now, county_code))
            conn.execute(t.delete().where(mine, t.c.file_id.in_(ids)))
            bulk_insert(conn, t, pd.DataFrame(status_rows))
            found = [f for r in returns for f in r.findings]
            record_findings(conn, period, ids, findings_frame(found), now, run_id, county_code)
    return {
        "county_files": len(returns),
        "county_loaded": winner.file.file_name if winner else None,
        "county_rejected": sum(1 for r in returns if r.n_errors),
    }
