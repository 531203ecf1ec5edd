"""A database error on one file's rows never loses the others: when a load is refused by the database,
each loaded file's rows are tried alone (each in a transaction rolled back), and the files the database
refuses become rejected with a located finding; the load then runs again without them."""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from junheng.contract import Finding
from junheng.retry import is_io_error
from warehouse.engine import bulk_insert, connected, init_warehouse
from warehouse.load import school_slice_rows, update_dim_school
from warehouse.locks import lock_period

log = logging.getLogger(__name__)

REFUSED_MESSAGE = (
    "这份报表「{sheet}」表的数据无法存入数据仓库（数据库拒收），本表未入库，其他学校的报表不受影响。"
    "请核对该表中异常的数字或文字（特别大的数、很长的文字、从其他系统复制的特殊字符）后重新报送；"
    "如核对无误仍被拒收，请把本文件转交县教育局的系统管理员"
)


REFUSALS = ("DataError", "IntegrityError")  # the DB-API (PEP 249) classes of errors about the data


def is_refusal(exc: BaseException) -> bool:
    """An error the database raised about the data (not a lost connection, not a lock wait): by its
    DB-API class, wrapped by SQLAlchemy or raised by the driver itself (PostgreSQL's COPY)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if any(c.__name__ in REFUSALS for c in type(cur).__mro__):
            return not is_io_error(exc)
        cur = getattr(cur, "orig", None) or cur.__cause__ or cur.__context__
    return False


def refused_files(
    url: str,
    period: str,
    info: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    units: pd.DataFrame,
    now: datetime,
    county_code: str,
    file_names: dict[str, str],
) -> list[Finding]:
    """One finding per loaded file whose rows the database refuses, at the sheet it refused."""
    out: list[Finding] = []
    with connected(url) as engine:
        init_warehouse(engine)
        for fid in info["file_id"].astype(str).unique():
            one = info[info["file_id"] == fid]
            mine = {k: v[v["file_id"] == fid] if "file_id" in v.columns else v for k, v in frames.items()}
            codes = set(one["school_code"].astype(str))
            its_units = units[units["school_code"].astype(str).isin(codes)]
            sheet = _refusing_sheet(engine, period, one, mine, its_units, now, county_code)
            if sheet is not None:
                out.append(
                    Finding(
                        file_id=fid,
                        file_name=file_names.get(fid, ""),
                        sheet=sheet,
                        cell="",
                        rule="db.refused",
                        severity="error",
                        value="",
                        message=REFUSED_MESSAGE.format(sheet=sheet),
                        school_code=str(one["school_code"].iloc[0]),
                    )
                )
    return out


def _refusing_sheet(
    engine: sa.Engine,
    period: str,
    info: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    units: pd.DataFrame,
    now: datetime,
    county_code: str,
) -> str | None:
    """The sheet whose rows the database refuses, or None; nothing is kept (the transaction rolls back)."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            lock_period(conn, county_code, period)
            for table, sheet, rows in school_slice_rows(period, info, frames, units, now, county_code):
                try:
                    bulk_insert(conn, table, rows)
                except Exception as exc:
                    if not is_refusal(exc):
                        raise
                    log.warning("database refused %s rows of %s: %s", sheet, info["file_id"].iloc[0], exc)
                    return sheet
            try:
                update_dim_school(conn, period, info, now, county_code)
            except Exception as exc:
                if not is_refusal(exc):
                    raise
                return "基本信息"
            return None
        finally:
            trans.rollback()
