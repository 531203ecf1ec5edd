"""Newest return wins across runs: a school's return loaded by an earlier (or concurrent) run stays when
it is newer than this run's, whatever order the runs commit in."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy.engine import Connection

from warehouse.engine import query_frame

LOADED_SQL = """
SELECT school_code, file_id, submitted_on, received_at FROM audit.ingest_file
WHERE county_code = :county_code AND period = :period AND status = 'loaded'
"""


def _day(v: object) -> date:
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return date.min
    if isinstance(v, datetime | pd.Timestamp):
        return v.date()
    return v if isinstance(v, date) else date.min


def _key(submitted: object, received: object) -> tuple[date, datetime]:
    """The order of decide(): the later 填报日期 first (none counts as earliest), then the later receipt."""
    sub = _day(submitted)
    rec = pd.Timestamp(received).to_pydatetime() if received is not None and not pd.isna(received) else datetime.min
    return sub, rec.replace(tzinfo=None)


def older_than_loaded(conn: Connection, period: str, county_code: str, status: pd.DataFrame) -> list[str]:
    """This run's winning files whose school already has a newer return loaded (read under the period
    lock, so a run that committed meanwhile is seen)."""
    mine = status[status["status"] == "loaded"]
    if mine.empty:
        return []
    loaded = query_frame(conn, LOADED_SQL, {"period": period, "county_code": county_code})
    newest: dict[str, tuple[tuple[date, datetime], str]] = {}
    for r in loaded.itertuples(index=False):
        key = _key(r.submitted_on, r.received_at)
        code = str(r.school_code)
        if code not in newest or key > newest[code][0]:
            newest[code] = (key, str(r.file_id))
    out = []
    for r in mine.itertuples(index=False):
        there = newest.get(str(r.school_code))
        if there is not None and there[1] != r.file_id and there[0] > _key(r.submitted_on, r.received_at):
            out.append(str(r.file_id))
    return out
