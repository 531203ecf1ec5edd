"""Loads into the warehouse: reference data, (school, period) slices, audit rows, SQL models.

Each function works inside the caller's transaction, so a run's slices are replaced
atomically: a rerun of a period deletes and re-inserts the same slices and never duplicates.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.policy import INDICATOR_NAMES, Rule, part_of, period_start
from junheng.spec import SECTION_CODES, SECTION_LABELS
from warehouse import schema as s
from warehouse.engine import MART_VIEWS, bulk_insert, query_frame, run_model


def sync_reference(conn: Connection, period: str, rules: list[Rule] | tuple[Rule, ...]) -> None:
    """dim_period for the period; dim_section, dim_indicator and dim_threshold from the policy."""
    start = period_start(period)
    conn.execute(s.dim_period.delete().where(s.dim_period.c.period == period))
    conn.execute(s.dim_period.insert().values(period=period, period_start=start, year=start.year, month=start.month))
    conn.execute(s.dim_section.delete())
    conn.execute(
        s.dim_section.insert(),
        [{"section": code, "section_zh": zh} for code, zh in SECTION_LABELS.items() if code != "shared"],
    )
    conn.execute(s.dim_indicator.delete())
    indicators = {r.code: r for r in rules if r.code in INDICATOR_NAMES}
    conn.execute(
        s.dim_indicator.insert(),
        [
            {
                "indicator_code": code,
                "part": part_of(code),
                "name_zh": INDICATOR_NAMES[code],
                "unit": r.unit,
            }
            for code, r in sorted(indicators.items())
        ],
    )
    conn.execute(s.dim_threshold.delete())
    conn.execute(
        s.dim_threshold.insert(),
        [
            {
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


def _with_school(frame: pd.DataFrame, info: pd.DataFrame, period: str, loaded_at: datetime, sheet: str) -> pd.DataFrame:
    """Add period, school_code, section code and lineage columns to a reader frame."""
    codes = info.set_index("file_id")["school_code"]
    out = frame.copy()
    out["period"] = period
    out["school_code"] = out["file_id"].map(codes)
    if "section" in out.columns:
        out["section"] = out["section"].map(SECTION_CODES)
    out["source_sheet"] = sheet
    out["source_row"] = out["row"].astype("int64") if "row" in out.columns else None
    out["loaded_at"] = loaded_at
    return out


def replace_school_slices(
    conn: Connection,
    period: str,
    info: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    units: pd.DataFrame,
    loaded_at: datetime,
) -> int:
    """Delete and re-insert the (school, period) slices of the loaded schools in every fact table."""
    if info.empty:
        return 0
    schools = sorted(info["school_code"].astype(str).unique())
    for table in s.SCHOOL_SLICE_TABLES:
        conn.execute(table.delete().where(table.c.period == period, table.c.school_code.in_(schools)))
    raw_info = info.assign(period=period, source_sheet="基本信息", source_row=None, loaded_at=loaded_at)
    bulk_insert(conn, s.raw_school_info, raw_info)
    bulk_insert(conn, s.raw_facility, _with_school(frames["facilities"], info, period, loaded_at, "办学条件"))
    bulk_insert(conn, s.raw_room, _with_school(frames["rooms"], info, period, loaded_at, "专用教室"))
    bulk_insert(conn, s.raw_quality, _with_school(frames["quality"], info, period, loaded_at, "质量监测"))
    bulk_insert(conn, s.fct_class, _with_school(frames["classes"], info, period, loaded_at, "班级学生"))
    bulk_insert(conn, s.fct_school_section, units.assign(loaded_at=loaded_at))
    return len(schools)


def update_dim_school(conn: Connection, period: str, info: pd.DataFrame, loaded_at: datetime) -> None:
    """SCD type 2: a new version when a school's attributes change; same-period reloads update in place."""
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
    ]
    current = query_frame(conn, "SELECT * FROM core.dim_school WHERE is_current")
    by_code = {str(r["school_code"]): r for r in current.to_dict("records")}
    t = s.dim_school
    # Set-based: classify each school in Python, then one statement per kind (bench/: per-row
    # statements cost 10 s at 2,000 returns on DuckDB).
    closed: list[str] = []
    replaced: list[str] = []
    rows: list[dict[str, object]] = []
    for rec in info.to_dict("records"):
        code = str(rec["school_code"])
        row = {a: rec.get(a) for a in attrs}
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


def record_files(conn: Connection, period: str, files: pd.DataFrame) -> None:
    """Upsert the run's files in audit.ingest_file; older returns of a school now loaded become superseded."""
    if files.empty:
        return
    t = s.ingest_file
    conn.execute(t.delete().where(t.c.period == period, t.c.file_id.in_(list(files["file_id"]))))
    bulk_insert(conn, t, files)
    if "run_id" in files.columns and "processed_at" in files.columns and files["run_id"].nunique() == 1:
        # One statement: every other return of a school whose winner was just recorded is superseded.
        conn.execute(
            sa.text(SUPERSEDE_SQL),
            {"period": period, "run_id": files["run_id"].iloc[0], "at": files["processed_at"].iloc[0]},
        )
        return
    winners = files[files["status"] == "loaded"]
    for rec in winners[["school_code", "file_id", "received_at"]].to_dict("records"):
        conn.execute(
            t.update()
            .where(
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
WHERE period = :period AND status IN ('loaded', 'rejected') AND EXISTS (
    SELECT 1 FROM audit.ingest_file AS w
    WHERE w.period = :period AND w.run_id = :run_id AND w.processed_at = :at AND w.status = 'loaded'
      AND w.school_code = audit.ingest_file.school_code AND w.file_id <> audit.ingest_file.file_id
)
"""


def record_findings(
    conn: Connection, period: str, file_ids: list[str], findings: pd.DataFrame, created_at: datetime, run_id: str
) -> None:
    """Replace the findings of the run's files for the period (data errors, warnings, info)."""
    t = s.validation_issue
    conn.execute(t.delete().where(t.c.period == period, t.c.file_id.in_(file_ids), t.c.severity != "violation"))
    rows = findings[findings["severity"] != "violation"]
    bulk_insert(conn, t, rows.assign(period=period, created_at=created_at, run_id=run_id))


def record_violations(conn: Connection, period: str, findings: pd.DataFrame, created_at: datetime, run_id: str) -> None:
    """Replace every policy violation of the period (they are recomputed for all loaded schools)."""
    t = s.validation_issue
    conn.execute(t.delete().where(t.c.period == period, t.c.severity == "violation"))
    bulk_insert(conn, t, findings.assign(period=period, created_at=created_at, run_id=run_id))


def compute_period(conn: Connection, period: str, cv_method: str, computed_at: datetime) -> None:
    """Run the indicator models for the period (each replaces its period slice)."""
    params: dict[str, object] = {"period": period, "cv_method": cv_method, "computed_at": computed_at}
    run_model(conn, "indicators", "fct_school_indicator", s.fct_school_indicator, params)
    run_model(conn, "indicators", "fct_school_compliance", s.fct_school_compliance, params)
    run_model(conn, "indicators", "fct_county_indicator", s.fct_county_indicator, params)
    from tasks.analytics import compute_analytics  # late import: tasks.analytics builds on warehouse

    compute_analytics(conn, period, computed_at)
    from tasks.scorecard import compute_scorecard  # late import, as above

    compute_scorecard(conn, period, computed_at)


def read_marts(conn: Connection, period: str) -> dict[str, pd.DataFrame]:
    """Every mart of the analyst contract, for one period."""
    return {
        name: query_frame(conn, f"SELECT * FROM mart.{name} WHERE period = :period", {"period": period})
        for name in MART_VIEWS
    }
