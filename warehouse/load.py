"""Loads into the warehouse: reference data, (school, period) slices, audit rows, SQL models.

Each function works inside the caller's transaction, so a run's slices are replaced
atomically: a rerun of a period deletes and re-inserts the same slices and never duplicates.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.policy import INDICATOR_NAMES, Rule, part_of, period_start
from junheng.settings import DEFAULT_COUNTY_CODE
from junheng.spec import CONTROL_CHARACTERS, SECTION_CODES, SECTION_LABELS
from warehouse import schema as s
from warehouse.engine import MART_VIEWS, bulk_insert, query_frame

INSERT_MISSING_SQL = "INSERT INTO {table} ({cols}) VALUES ({values}) ON CONFLICT DO NOTHING"


def _insert_missing(conn: Connection, table: sa.Table, rows: list[dict[str, object]]) -> None:
    """Insert the rows whose key is not there yet; existing rows are left alone. The shared
    dimensions hold the same rows for every county, so a county never deletes (and so never
    blocks on, or duplicates) what another county's transaction is writing."""
    if not rows:
        return
    cols = list(rows[0])
    sql = INSERT_MISSING_SQL.format(
        table=f"{table.schema}.{table.name}", cols=", ".join(cols), values=", ".join(f":{c}" for c in cols)
    )
    for row in rows:
        conn.execute(sa.text(sql), row)


def sync_shared_reference(conn: Connection, period: str, rules: list[Rule] | tuple[Rule, ...]) -> None:
    """dim_period, dim_section and dim_indicator: the same for every county, added when missing."""
    start = period_start(period)
    _insert_missing(
        conn, s.dim_period, [{"period": period, "period_start": start, "year": start.year, "month": start.month}]
    )
    _insert_missing(
        conn,
        s.dim_section,
        [{"section": code, "section_zh": zh} for code, zh in SECTION_LABELS.items() if code != "shared"],
    )
    indicators = {r.code: r for r in rules if r.code in INDICATOR_NAMES}
    _insert_missing(
        conn,
        s.dim_indicator,
        [
            {"indicator_code": code, "part": part_of(code), "name_zh": INDICATOR_NAMES[code], "unit": r.unit}
            for code, r in sorted(indicators.items())
        ],
    )


def sync_reference(
    conn: Connection, period: str, rules: list[Rule] | tuple[Rule, ...], county_code: str = DEFAULT_COUNTY_CODE
) -> None:
    """The shared dimensions for the period, and the county's dim_threshold from its policy (each
    county may select other local policies, so its thresholds are its own rows)."""
    sync_shared_reference(conn, period, rules)
    conn.execute(s.dim_threshold.delete().where(s.dim_threshold.c.county_code == county_code))
    conn.execute(
        s.dim_threshold.insert(),
        [
            {
                "county_code": county_code,
                "indicator_code": r.code,
                "measure": r.measure,
                "scope": r.scope,
                "section": r.section,
                "school_types": ",".join(r.school_types) or None,
                "comparator": r.comparator,
                "value": r.value,
                "unit": r.unit,
                "source": r.source,
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
            }
            for r in rules
        ],
    )


def _with_school(
    frame: pd.DataFrame, info: pd.DataFrame, period: str, loaded_at: datetime, sheet: str, county_code: str
) -> pd.DataFrame:
    """Add county, period, school_code, section code and lineage columns to a reader frame."""
    codes = info.set_index("file_id")["school_code"]
    out = frame.copy()
    out["county_code"] = county_code
    out["period"] = period
    out["school_code"] = out["file_id"].map(codes)
    if "section" in out.columns:
        out["section"] = out["section"].map(SECTION_CODES)
    out["source_sheet"] = sheet
    out["source_row"] = out["row"].astype("int64") if "row" in out.columns else None
    out["loaded_at"] = loaded_at
    return out


def school_slice_rows(
    period: str,
    info: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    units: pd.DataFrame,
    loaded_at: datetime,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> list[tuple[sa.Table, str, pd.DataFrame]]:
    """The rows of the loaded schools for every fact table, with the sheet each comes from."""
    raw_info = info.assign(
        county_code=county_code, period=period, source_sheet="基本信息", source_row=None, loaded_at=loaded_at
    )
    rows: list[tuple[sa.Table, str, pd.DataFrame]] = [(s.raw_school_info, "基本信息", raw_info)]
    for table, key, sheet in (
        (s.raw_facility, "facilities", "办学条件"),
        (s.raw_room, "rooms", "专用教室"),
        (s.raw_quality, "quality", "质量监测"),
        (s.fct_class, "classes", "班级学生"),
    ):
        rows.append((table, sheet, _with_school(frames[key], info, period, loaded_at, sheet, county_code)))
    rows.append((s.fct_school_section, "教师", units.assign(county_code=county_code, loaded_at=loaded_at)))
    return rows


def replace_school_slices(
    conn: Connection,
    period: str,
    info: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    units: pd.DataFrame,
    loaded_at: datetime,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> int:
    """Delete and re-insert the (county, school, period) slices of the loaded schools in every fact table."""
    if info.empty:
        return 0
    schools = sorted(info["school_code"].astype(str).unique())
    for table in s.SCHOOL_SLICE_TABLES:
        conn.execute(
            table.delete().where(
                table.c.county_code == county_code, table.c.period == period, table.c.school_code.in_(schools)
            )
        )
    for table, _sheet, frame in school_slice_rows(period, info, frames, units, loaded_at, county_code):
        bulk_insert(conn, table, frame)
    return len(schools)


def update_dim_school(
    conn: Connection, period: str, info: pd.DataFrame, loaded_at: datetime, county_code: str = DEFAULT_COUNTY_CODE
) -> None:
    """SCD type 2: a new version when a school's attributes (its county among them) change;
    same-period reloads update in place."""
    attrs = [
        "school_name",
        "school_type",
        "township",
        "urban_rural",
        "is_boarding",
        "ownership",
        "is_teaching_point",
        "parent_school_code",
        "founded_year",
        "county_code",
    ]
    current = query_frame(conn, "SELECT * FROM core.dim_school WHERE is_current")
    by_code = {str(r["school_code"]): r for r in current.to_dict("records")}
    t = s.dim_school
    # Set-based: classify each school in Python, then one statement per kind (per-row statements
    # grow with the county and dominate the load on DuckDB).
    closed: list[str] = []
    replaced: list[str] = []
    rows: list[dict[str, object]] = []
    for rec in info.to_dict("records"):
        code = str(rec["school_code"])
        row = {a: rec.get(a) for a in attrs}
        row["county_code"] = county_code
        row["is_boarding"] = row["is_boarding"] == "是"
        row["is_teaching_point"] = row["is_teaching_point"] == "是"
        fy = row["founded_year"]
        row["founded_year"] = None if fy is None or pd.isna(fy) else int(fy)
        for k, v in row.items():
            if isinstance(v, float) and pd.isna(v):
                row[k] = None
        cur = by_code.get(code)
        if cur is not None:
            same = all(((cur[a] is None or pd.isna(cur[a])) and row[a] is None) or cur[a] == row[a] for a in attrs)
            if same:
                continue
            if cur["valid_from"] >= period:
                # A correction of the same (or a later) period: overwrite the version in place.
                replaced.append(cur["school_sk"])
                rows.append(
                    {
                        **cur,
                        **row,
                        "file_id": rec["file_id"],
                        "loaded_at": loaded_at,
                    }
                )
                continue
            closed.append(cur["school_sk"])
        rows.append(
            {
                "school_sk": f"{code}@{period}",
                "school_code": code,
                **row,
                "valid_from": period,
                "valid_to": None,
                "is_current": True,
                "file_id": rec["file_id"],
                "loaded_at": loaded_at,
            }
        )
    for part in _chunks(closed):
        conn.execute(t.update().where(t.c.school_sk.in_(part)).values(valid_to=period, is_current=False))
    for part in _chunks(replaced):
        conn.execute(t.delete().where(t.c.school_sk.in_(part)))
    if rows:
        frame = pd.DataFrame(rows, columns=[c.name for c in t.columns]).astype(object)
        bulk_insert(conn, t, frame.where(frame.notna(), None))


def _chunks(values: list[str], size: int = 10_000) -> list[list[str]]:
    """IN lists in slices: PostgreSQL allows at most 65,535 bound parameters per statement."""
    return [values[i : i + size] for i in range(0, len(values), size)]


_SCHOOL_CODE = re.compile(r"\A[0-9]{10}\Z")
_CONTROL = re.compile(CONTROL_CHARACTERS)


def _code_or_none(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    return text if _SCHOOL_CODE.match(text) else None


def audit_safe(frame: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    """What the audit tables keep of a rejected file's findings and status: a school code that is not
    one (an 11-digit typo; its finding names it) is kept as missing, and text loses the control
    characters PostgreSQL cannot store (NUL), so recording a rejection can never fail the run."""
    out = frame.copy()
    if "school_code" in out.columns:
        out["school_code"] = out["school_code"].map(_code_or_none).astype(object)
    for c in out.columns:
        if c in table.c and isinstance(table.c[c].type, sa.String) and c != "school_code":
            out[c] = out[c].map(lambda v: _CONTROL.sub("\ufffd", v) if isinstance(v, str) else v)
    return out


def record_files(conn: Connection, period: str, files: pd.DataFrame, county_code: str = DEFAULT_COUNTY_CODE) -> None:
    """Upsert the run's files in audit.ingest_file; older returns of a school now loaded become superseded."""
    if files.empty:
        return
    t = s.ingest_file
    files = audit_safe(files.assign(county_code=county_code), t)
    conn.execute(
        t.delete().where(t.c.county_code == county_code, t.c.period == period, t.c.file_id.in_(list(files["file_id"])))
    )
    bulk_insert(conn, t, files)
    if "run_id" in files.columns and "processed_at" in files.columns and files["run_id"].nunique() == 1:
        # One statement: every other return of a school whose winner was just recorded is superseded.
        conn.execute(
            sa.text(SUPERSEDE_SQL),
            {
                "period": period,
                "county_code": county_code,
                "run_id": files["run_id"].iloc[0],
                "at": files["processed_at"].iloc[0],
            },
        )
        return
    winners = files[files["status"] == "loaded"]
    for rec in winners[["school_code", "file_id", "received_at"]].to_dict("records"):
        conn.execute(
            t.update()
            .where(
                t.c.county_code == county_code,
                t.c.period == period,
                t.c.school_code == rec["school_code"],
                t.c.file_id != rec["file_id"],
                # A rejected file is replaced by its correction, not by a return received before it.
                (t.c.status == "loaded") | ((t.c.status == "rejected") & (t.c.received_at <= rec["received_at"])),
            )
            .values(status="superseded")
        )


SUPERSEDE_SQL = """
UPDATE audit.ingest_file SET status = 'superseded'
WHERE county_code = :county_code AND period = :period AND status IN ('loaded', 'rejected') AND EXISTS (
    SELECT 1 FROM audit.ingest_file AS w
    WHERE w.county_code = :county_code AND w.period = :period AND w.run_id = :run_id AND w.processed_at = :at
      AND w.status = 'loaded'
      AND w.school_code = audit.ingest_file.school_code AND w.file_id <> audit.ingest_file.file_id
)
"""


def record_findings(
    conn: Connection,
    period: str,
    file_ids: list[str],
    findings: pd.DataFrame,
    created_at: datetime,
    run_id: str,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> None:
    """Replace the findings of the run's files for the period (data errors, warnings, info)."""
    t = s.validation_issue
    conn.execute(
        t.delete().where(
            t.c.county_code == county_code, t.c.period == period, t.c.file_id.in_(file_ids), t.c.severity != "violation"
        )
    )
    rows = audit_safe(findings[findings["severity"] != "violation"], t)
    bulk_insert(conn, t, rows.assign(county_code=county_code, period=period, created_at=created_at, run_id=run_id))


def record_violations(
    conn: Connection,
    period: str,
    findings: pd.DataFrame,
    created_at: datetime,
    run_id: str,
    county_code: str = DEFAULT_COUNTY_CODE,
) -> None:
    """Replace every policy violation of the county's period (recomputed for all its loaded schools)."""
    t = s.validation_issue
    conn.execute(t.delete().where(t.c.county_code == county_code, t.c.period == period, t.c.severity == "violation"))
    bulk_insert(conn, t, findings.assign(county_code=county_code, period=period, created_at=created_at, run_id=run_id))


def read_marts(conn: Connection, period: str, county_code: str = DEFAULT_COUNTY_CODE) -> dict[str, pd.DataFrame]:
    """Every mart of the analyst contract, for one county and period."""
    params: dict[str, object] = {"period": period, "county_code": county_code}
    return {
        name: query_frame(
            conn, f"SELECT * FROM mart.{name} WHERE period = :period AND county_code = :county_code", params
        )
        for name in MART_VIEWS
    }
