"""Plausibility rule f, generated from the template contract: a school's own previous period (提醒 only).

Every field of junheng.spec with a ``previous_unit`` (学生数, 专任教师数, 教学及辅助用房面积, 教学仪器设备值)
is summed per file and section and compared with the same sum in the school's latest earlier loaded
return of the county (the warehouse table that holds that field's rows). More than
spec.PREVIOUS_PERIOD_JUMP.factor times the previous sum, or less than its reciprocal, is a warning
located on the section's first row of the field (plausibility.previous_period). A previous sum of 0 or
not reported has no ratio and is not judged; a file with an error is rejected anyway and not judged.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import sqlalchemy as sa

from expectations.messages import plausibility_message
from junheng import spec
from junheng.contract import Finding, ReturnBatch
from junheng.settings import DEFAULT_COUNTY_CODE
from warehouse import schema as s
from warehouse.engine import connected, init_warehouse

RULE = "plausibility.previous_period"
# The warehouse table holding each compared sheet's field codes for a loaded period (same column codes).
SOURCES: dict[str, sa.Table] = {"classes": s.fct_class, "teachers": s.fct_school_section, "facilities": s.raw_facility}
# Sheets whose rows add up to the compared total (each class), so the message speaks of a sum.
SUMMED = {"classes"}


def compared() -> dict[str, tuple[spec.Sheet, list[spec.Field]]]:
    """Frame name → (sheet, its fields compared with the previous period), from the contract."""
    out: dict[str, tuple[spec.Sheet, list[spec.Field]]] = {}
    for sheet in spec.TABLE_SHEETS:
        fields = [f for f in sheet.fields if f.previous_unit is not None]
        if fields:
            out[spec.FRAME_OF_SHEET[sheet.name]] = (sheet, fields)
    return out


def _sql(table: sa.Table, codes: list[str]) -> str:
    sums = ", ".join(f"SUM(t.{c}) AS {c}" for c in codes)
    return f"""
SELECT t.school_code, t.period, t.section, {sums}
FROM {table.schema}.{table.name} AS t
JOIN (
    SELECT school_code, MAX(period) AS period FROM core.fct_school_section
    WHERE county_code = :county_code AND period < :period AND school_code IN :codes
    GROUP BY school_code
) AS p ON p.school_code = t.school_code AND p.period = t.period
WHERE t.county_code = :county_code
GROUP BY t.school_code, t.period, t.section
"""


def previous_totals(
    url: str, period: str, school_codes: set[str], county_code: str = DEFAULT_COUNTY_CODE
) -> dict[str, pd.DataFrame]:
    """Frame name → one row per school and section (warehouse codes) of its latest earlier loaded period,
    with that period and the compared fields' sums."""
    out: dict[str, pd.DataFrame] = {}
    if not school_codes:
        return out
    with connected(url) as engine:
        init_warehouse(engine)
        with engine.connect() as conn:
            for frame, (_, fields) in compared().items():
                codes = [f.code for f in fields]
                stmt = sa.text(_sql(SOURCES[frame], codes)).bindparams(sa.bindparam("codes", expanding=True))
                res = conn.execute(stmt, {"county_code": county_code, "period": period, "codes": sorted(school_codes)})
                out[frame] = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    return out


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _change(now: float, before: float) -> str:
    if now > before:
        return f"是上期的 {_fmt(now / before)} 倍"
    if now == 0:
        return "减少到 0"
    return f"只有上期的 {_fmt(now / before * 100)}%"


def school_codes(batch: ReturnBatch) -> set[str]:
    if batch.info.empty or "school_code" not in batch.info.columns:
        return set()
    return {c for c in batch.info["school_code"] if isinstance(c, str) and len(c) == 10 and c.isascii() and c.isdigit()}


def check_previous_period(
    batch: ReturnBatch, previous: dict[str, pd.DataFrame], rejected: Collection[str] = ()
) -> list[Finding]:
    """Warnings for the sums that jumped against the school's previous loaded return."""
    factor = spec.PREVIOUS_PERIOD_JUMP.factor
    if batch.info.empty:
        return []
    code_of = {
        str(f): str(c)
        for f, c in zip(batch.info["file_id"], batch.info["school_code"], strict=True)
        if isinstance(c, str) and c
    }
    out: list[Finding] = []
    for frame_name, (sheet, fields) in compared().items():
        frame, before = batch.frames.get(frame_name), previous.get(frame_name)
        if frame is None or frame.empty or before is None or before.empty:
            continue
        prev = before.assign(school_code=before["school_code"].astype(str)).set_index(["school_code", "section"])
        rows = frame[~frame["file_id"].astype(str).isin(set(rejected))].sort_values(["file_id", "row"], kind="stable")
        for (fid, label), group in rows.groupby([rows["file_id"].astype(str), rows["section"].astype(str)], sort=False):
            code, section = code_of.get(fid), spec.SECTION_CODES.get(label)
            if code is None or section is None or (code, section) not in prev.index:
                continue
            then = prev.loc[(code, section)]
            for f in fields:
                if f.code not in group.columns:
                    continue
                now = pd.to_numeric(group[f.code], errors="coerce").sum(min_count=1)
                was = pd.to_numeric(pd.Series([then[f.code]]), errors="coerce").iloc[0]
                if pd.isna(now) or pd.isna(was) or was <= 0 or now < 0:
                    continue
                if now <= was * factor and now * factor >= was:
                    continue
                name = f.label.split("（")[0]
                where = "共用部分" if label == "共用" else label
                what = (
                    f"{where}各{sheet.name.removesuffix('学生')}「{name}」合计"
                    if frame_name in SUMMED
                    else (f"{where}「{name}」" + ("合计" if len(group) > 1 else ""))
                )
                first = group.iloc[0]
                msg = plausibility_message(
                    RULE,
                    what=what,
                    value=_fmt(float(now)),
                    unit=f.previous_unit,
                    prev_period=str(then["period"]),
                    prev=_fmt(float(was)),
                    change=_change(float(now), float(was)),
                    factor=_fmt(factor),
                )
                out.append(
                    Finding(
                        file_id=fid,
                        file_name=batch.file_name(fid),
                        sheet=sheet.name,
                        cell=batch.cell(fid, sheet.name, f.code, int(first["row"])),
                        rule=RULE,
                        severity="warning",
                        value=f"{_fmt(float(now))} {f.previous_unit}",  # what was found, with its unit
                        message=msg,
                        school_code=code,
                        section=section if section in ("primary", "junior") else None,
                    )
                )
    return out
