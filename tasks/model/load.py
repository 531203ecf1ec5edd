"""Load a run's accepted returns, compute the period's indicators and record policy violations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from junheng.contract import Finding, ReturnBatch, findings_frame
from junheng.policy import Rule, rules_in_force
from junheng.settings import DEFAULT_COUNTY_CODE, Settings, check_county_code
from tasks.model.newest import older_than_loaded
from tasks.model.refusals import is_refusal, refused_files
from tasks.model.run import compute_period
from tasks.model.units import build_units
from tasks.validate.decide import decide, winners
from warehouse import schema as s
from warehouse.engine import connected, init_warehouse, query_frame
from warehouse.load import (
    read_marts,
    record_files,
    record_findings,
    record_violations,
    replace_school_slices,
    sync_reference,
    sync_shared_reference,
    update_dim_school,
)
from warehouse.locks import lock_period


@dataclass
class LoadResult:
    """What a run loaded, for the summary and the next steps."""

    files_received: int
    files_loaded: int
    files_rejected: int
    files_superseded: int
    schools_loaded: list[str] = field(default_factory=list)
    statuses: list[dict[str, object]] = field(default_factory=list)


def load_run(
    url: str,
    period: str,
    batch: ReturnBatch,
    findings: list[Finding],
    settings: Settings,
    run_id: str,
    now: datetime | None = None,
) -> LoadResult:
    """Decide statuses, then in ONE transaction replace every loaded (school, period) slice,
    update dim_school, record the files and their findings, and recompute the period's models.

    A file whose rows the database refuses (whatever validation missed) is found by trying each file
    alone, rejected with a finding at its sheet, and the others load without it.
    """
    now = now or datetime.now().replace(microsecond=0)
    try:
        return _load(url, period, batch, findings, settings, run_id, now)
    except Exception as exc:
        if not is_refusal(exc):
            raise
        info, frames, units = _rows(batch, decide(batch, findings), period, settings)
        names = {f.file_id: f.file_name for f in batch.files}
        refused = refused_files(url, period, info, frames, units, now, settings.county_code, names)
        if not refused:
            raise
        return _load(url, period, batch, [*findings, *refused], settings, run_id, now)


def _rows(
    batch: ReturnBatch, status: pd.DataFrame, period: str, settings: Settings
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """The winning returns' info rows, table frames and school units."""
    info, frames = winners(batch, status)
    classes = frames["classes"]
    if not classes.empty:
        frames["classes"] = classes.assign(
            students_cell=[
                batch.cell(f, sh, "students", int(r))
                for f, sh, r in zip(classes["file_id"], classes["sheet"], classes["row"], strict=True)
            ]
        )
    units = build_units(period, info, frames["classes"], frames["teachers"], frames["facilities"], settings.choices)
    return info, frames, units


def _load(
    url: str,
    period: str,
    batch: ReturnBatch,
    findings: list[Finding],
    settings: Settings,
    run_id: str,
    now: datetime,
) -> LoadResult:
    status = decide(batch, findings)
    info, frames, units = _rows(batch, status, period, settings)
    rules = rules_in_force(period)
    ff = findings_frame(findings)
    cc = settings.county_code
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.begin() as conn:
            # The shared dimensions in a short transaction of their own, committed before the load: a
            # first run of another county at the same time then never waits on their uncommitted rows.
            sync_shared_reference(conn, period, rules)
        with engine.begin() as conn:
            lock_period(conn, cc, period)  # a concurrent run of the same county and period waits here
            # A newer return of a school, loaded by a run that committed first, stays loaded.
            older = older_than_loaded(conn, period, cc, status)
            if older:
                status.loc[status["file_id"].isin(older), "status"] = "superseded"
                info = info[~info["file_id"].isin(older)].reset_index(drop=True)
                frames = {k: v[~v["file_id"].isin(older)].reset_index(drop=True) for k, v in frames.items()}
                units = units[units["school_code"].astype(str).isin(set(info["school_code"].astype(str)))]
            sync_reference(conn, period, rules, cc)
            replace_school_slices(conn, period, info, frames, units, now, cc)
            update_dim_school(conn, period, info, now, cc)
            record_files(conn, period, status.assign(period=period, run_id=run_id, processed_at=now), cc)
            record_findings(conn, period, list(status["file_id"]), ff, now, run_id, cc)
            compute_period(
                conn,
                period,
                settings.choices.cv_method,
                now,
                cc,
                private_in_school_rule=settings.choices.private_in_school_rule,
            )
            conn.execute(s.run_log.delete().where(s.run_log.c.run_id == run_id))
            conn.execute(
                s.run_log.insert().values(
                    run_id=run_id,
                    county_code=cc,
                    period=period,
                    started_at=now,
                    finished_at=datetime.now(),
                    files_received=len(status),
                    files_loaded=int((status["status"] == "loaded").sum()),
                    files_rejected=int((status["status"] == "rejected").sum()),
                    settings=json.dumps(settings.choices.model_dump(), ensure_ascii=False),
                )
            )
    counts = status["status"].value_counts()
    return LoadResult(
        files_received=len(status),
        files_loaded=int(counts.get("loaded", 0)),
        files_rejected=int(counts.get("rejected", 0)),
        files_superseded=int(counts.get("superseded", 0)),
        schools_loaded=sorted(info["school_code"].astype(str)) if not info.empty else [],
        statuses=status[["file_name", "school_code", "status", "n_errors"]].to_dict("records"),
    )


POLICY_UNITS_SQL = """
SELECT i.file_id, f.file_name, i.school_code, i.section, i.indicator_code, i.value
FROM core.fct_school_indicator AS i
LEFT JOIN audit.ingest_file AS f ON f.county_code = i.county_code AND f.period = i.period AND f.file_id = i.file_id
WHERE i.county_code = :county_code AND i.period = :period AND i.value IS NOT NULL
"""
POLICY_CLASSES_SQL = """
SELECT c.file_id, f.file_name, c.school_code, c.source_sheet AS sheet, c.source_row AS "row",
       CASE c.section WHEN 'primary' THEN '小学' WHEN 'junior' THEN '初中' END AS section,
       c.students, c.students_cell AS cell
FROM core.fct_class AS c
LEFT JOIN audit.ingest_file AS f ON f.county_code = c.county_code AND f.period = c.period AND f.file_id = c.file_id
WHERE c.county_code = :county_code AND c.period = :period
"""
POLICY_SCHOOLS_SQL = """
SELECT u.file_id, f.file_name, u.school_code, MAX(d.school_type) AS school_type, SUM(u.students) AS students
FROM core.fct_school_section AS u
LEFT JOIN audit.ingest_file AS f ON f.county_code = u.county_code AND f.period = u.period AND f.file_id = u.file_id
LEFT JOIN core.stg_school_asof AS d ON d.school_code = u.school_code AND d.period = u.period
WHERE u.county_code = :county_code AND u.period = :period
GROUP BY u.file_id, f.file_name, u.school_code
"""

# School-level G rules the period's model judged (core.fct_school_rule) and did not meet, with the counts
# the school needs to be told what to do: its classes (G3 rooms) and teachers (G9, G12). A teaching point
# merged into its parent has no line of its own (its classes and teachers are in the parent's).
POLICY_SCHOOL_RULES_SQL = """
SELECT r.file_id, f.file_name, r.school_code, r.indicator_code, r.measure, r.item, r.value, r.threshold,
       t.classes, t.teachers, t.trained_360h_teachers, t.certified_teachers
FROM core.fct_school_rule AS r
LEFT JOIN audit.ingest_file AS f ON f.county_code = r.county_code AND f.period = r.period AND f.file_id = r.file_id
LEFT JOIN (
    SELECT school_code, SUM(classes) AS classes, SUM(teachers) AS teachers,
           SUM(trained_360h_teachers) AS trained_360h_teachers, SUM(certified_teachers) AS certified_teachers
    FROM core.fct_school_section
    WHERE county_code = :county_code AND period = :period
    GROUP BY school_code
) AS t ON t.school_code = r.school_code
WHERE r.county_code = :county_code AND r.period = :period AND r.meets = FALSE
  AND r.indicator_code IN ('G3', 'G9', 'G12')
"""
# Each room below the area of its school's failing G3 area line, where the school sent it.
POLICY_SMALL_ROOMS_SQL = """
SELECT s.file_id, f.file_name, s.school_code, s.source_sheet AS sheet, s.source_row AS "row",
       s.room_type, s.room_name, s.area_m2, r.threshold
FROM raw.special_room AS s
JOIN core.fct_school_rule AS r
  ON r.county_code = s.county_code AND r.period = s.period AND r.school_code = s.school_code
 AND r.indicator_code = 'G3' AND r.measure = 'area' AND r.item = s.room_type AND r.meets = FALSE
LEFT JOIN audit.ingest_file AS f ON f.county_code = s.county_code AND f.period = s.period AND f.file_id = s.file_id
WHERE s.county_code = :county_code AND s.period = :period AND s.area_m2 < r.threshold
"""

# Set-based (a statement per file grows with the county); UPDATE … FROM, not a correlated
# subquery, so PostgreSQL joins once instead of scanning the issues per file.
COUNT_VIOLATIONS_SQL = (
    "UPDATE audit.ingest_file SET n_violations = 0 WHERE county_code = :county_code AND period = :period",
    """
UPDATE audit.ingest_file SET n_violations = c.n
FROM (
    SELECT file_id, COUNT(*) AS n FROM audit.validation_issue
    WHERE county_code = :county_code AND period = :period AND severity = 'violation' GROUP BY file_id
) AS c
WHERE audit.ingest_file.county_code = :county_code AND audit.ingest_file.period = :period
  AND audit.ingest_file.file_id = c.file_id
""",
)


def check_policy_run(
    url: str, period: str, run_id: str, rules: list[Rule] | None = None, county_code: str = DEFAULT_COUNTY_CODE
) -> int:
    """Policy violations for every loaded school of the county's period: the value rules from the generated GX
    policy suite, the school-level G3, G9 and G12 rules from the period's core.fct_school_rule."""
    from expectations.gx_suite import check_policy, school_rule_violations

    check_county_code(county_code)
    rules = rules if rules is not None else rules_in_force(period)
    params: dict[str, object] = {"period": period, "county_code": county_code}
    with connected(url) as engine, engine.begin() as conn:
        # Read and write under the period lock: a concurrent run's load cannot slip in between.
        lock_period(conn, county_code, period)
        units = query_frame(conn, POLICY_UNITS_SQL, params)
        classes = query_frame(conn, POLICY_CLASSES_SQL, params)
        schools = query_frame(conn, POLICY_SCHOOLS_SQL, params)
        found = check_policy(period, rules, units, classes, schools)
        found += school_rule_violations(
            rules,
            query_frame(conn, POLICY_SCHOOL_RULES_SQL, params),
            query_frame(conn, POLICY_SMALL_ROOMS_SQL, params),
        )
        record_violations(
            conn, period, findings_frame(found), datetime.now().replace(microsecond=0), run_id, county_code
        )
        # Violations never reject, but the return status counts them.
        for sql in COUNT_VIOLATIONS_SQL:
            conn.execute(sa.text(sql), params)
    return len(found)


def fetch_marts(url: str, period: str, county_code: str = DEFAULT_COUNTY_CODE) -> dict[str, pd.DataFrame]:
    with connected(url) as engine, engine.connect() as conn:
        return read_marts(conn, period, county_code)


# IO errors (lost database connection) are retried with backoff; data errors never. load_run is one
# transaction, so a retry starts clean. Results are persisted under a key of the flow run, period and
# URL: a retried flow run (`prefect flow-run retry`) skips a load it already committed and resumes.
