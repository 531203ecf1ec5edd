"""Plausibility rules generated from the template contract (junheng.spec): what a real school cannot have.

Errors (the return is rejected, located on the cell):
- plausibility.impossible: a value above its field's ``ceiling`` (a class of more than 100 students);
  values beyond the storable limit are number.out_of_range already and not repeated.
- plausibility.duplicate_row: two rows of one file alike in the sheet's ``unique_by`` columns (the class
  rows pasted twice), located on the later row.
- plausibility.too_many_rows: more rows than the sheet's ``max_rows``, located on the first row beyond.
提醒 (warnings, the return loads):
- plausibility.students_per_teacher: a section's students per 专任教师 above STUDENTS_PER_TEACHER_MAX, or
  students with 0 teachers.
- plausibility.area_per_student: the school's 教学及辅助用房面积 per student outside AREA_PER_STUDENT_RANGE.
A ratio is not judged where one of its values is already an error (it would only repeat the error).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from expectations.messages import plausibility_message
from junheng import spec
from junheng.contract import Finding, ReturnBatch, Severity


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _key(v: object) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    text = str(v).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a grade typed as the number 7
        text = text[:-2]
    return text or None


class _Out:
    """Collects located findings for one batch."""

    def __init__(self, batch: ReturnBatch) -> None:
        self.batch = batch
        self.codes: dict[str, str] = {}
        if not batch.info.empty and "school_code" in batch.info.columns:
            self.codes = {
                str(f): str(c)
                for f, c in zip(batch.info["file_id"], batch.info["school_code"], strict=True)
                if isinstance(c, str) and c
            }
        self.findings: list[Finding] = []

    def add(
        self, rec: Mapping[str, object], sheet: str, code: str, rule: str, severity: Severity, value: str, msg: str
    ) -> None:
        fid = str(rec["file_id"])
        row = int(rec["row"])  # type: ignore[call-overload]
        section = spec.SECTION_CODES.get(str(rec.get("section")))
        self.findings.append(
            Finding(
                file_id=fid,
                file_name=self.batch.file_name(fid),
                sheet=sheet,
                cell=self.batch.cell(fid, sheet, code, row),
                rule=rule,
                severity=severity,
                value=value,
                message=msg,
                school_code=self.codes.get(fid),
                section=section if section in ("primary", "junior") else None,
            )
        )


def _sheet_rules(out: _Out, sheet: spec.Sheet, frame: pd.DataFrame) -> set[tuple[str, str]]:
    """Errors of one table sheet; returns the (file, section) pairs holding an impossible value."""
    bad: set[tuple[str, str]] = set()
    frame = frame.sort_values(["file_id", "row"], kind="stable")
    counts = frame.groupby("file_id")["row"].count()
    flooded = set(counts[counts > sheet.max_rows].index) if sheet.max_rows is not None else set()
    for fid in sorted(flooded):
        beyond = frame[frame["file_id"] == fid].iloc[sheet.max_rows]
        msg = plausibility_message(
            "plausibility.too_many_rows", sheet=sheet.name, rows=f"{int(counts[fid]):,}", limit=sheet.max_rows
        )
        out.add(beyond.to_dict(), sheet.name, sheet.fields[0].code, "plausibility.too_many_rows", "error", "", msg)
    for f in sheet.fields:
        if f.ceiling is None or f.code not in frame.columns:
            continue
        values = pd.to_numeric(frame[f.code], errors="coerce")
        limit = f.value_limit if f.value_limit is not None else float("inf")
        over = frame[(values > f.ceiling) & (values <= limit)]
        for rec in over.to_dict("records"):
            bad.add((str(rec["file_id"]), str(rec.get("section"))))
            if rec["file_id"] in flooded:
                continue
            shown = _fmt(float(rec[f.code]))
            msg = plausibility_message("plausibility.impossible", label=f.label, value=shown, limit=_fmt(f.ceiling))
            out.add(rec, sheet.name, f.code, "plausibility.impossible", "error", shown, msg)
        bad |= {(str(r["file_id"]), str(r.get("section"))) for r in frame[values > limit].to_dict("records")}
    if sheet.unique_by and all(c in frame.columns for c in sheet.unique_by):
        labels = "、".join(f"「{sheet.by_code(c).label}」" for c in sheet.unique_by)
        first_row: dict[tuple[object, ...], int] = {}
        for rec in frame[~frame["file_id"].isin(flooded)].to_dict("records"):
            parts = [_key(rec[c]) for c in sheet.unique_by]
            if any(p is None for p in parts):
                continue
            key = (rec["file_id"], *parts)
            if key not in first_row:
                first_row[key] = int(rec["row"])
                continue
            bad.add((str(rec["file_id"]), str(rec.get("section"))))
            shown = " ".join(str(p) for p in parts)
            msg = plausibility_message(
                "plausibility.duplicate_row", first=first_row[key], keys=labels, what=sheet.name.removesuffix("学生")
            )
            out.add(rec, sheet.name, sheet.unique_by[-1], "plausibility.duplicate_row", "error", shown, msg)
    return bad


def _students(classes: pd.DataFrame) -> pd.Series:
    students = pd.to_numeric(classes["students"], errors="coerce")
    return students.groupby([classes["file_id"].astype(str), classes["section"].astype(str)]).sum(min_count=1)


def _per_teacher(out: _Out, classes: pd.DataFrame, teachers: pd.DataFrame, bad: set[tuple[str, str]]) -> None:
    students = _students(classes)
    limit = spec.STUDENTS_PER_TEACHER_MAX
    n = pd.to_numeric(teachers["teachers"], errors="coerce")
    total = n.groupby([teachers["file_id"].astype(str), teachers["section"].astype(str)]).sum(min_count=1)
    done: set[tuple[str, str]] = set()
    for rec, t in zip(teachers.to_dict("records"), n, strict=True):
        key = (str(rec["file_id"]), str(rec["section"]))
        p = students.get(key)
        if key in done or key in bad or p is None or pd.isna(p) or p <= 0 or pd.isna(t) or t < 0:
            continue
        done.add(key)
        have = float(total[key])
        if have == 0:
            ratio = "有学生却没有专任教师"
        elif p / have > limit:
            ratio = f"每名教师 {_fmt(p / have)} 名学生，超过 {_fmt(limit)} 名，明显偏多"
        else:
            continue
        msg = plausibility_message(
            "plausibility.students_per_teacher", section=key[1], teachers=_fmt(have), students=_fmt(p), ratio=ratio
        )
        out.add(rec, spec.TEACHERS.name, "teachers", "plausibility.students_per_teacher", "warning", _fmt(have), msg)


def _per_student_area(
    out: _Out, batch: ReturnBatch, classes: pd.DataFrame, facilities: pd.DataFrame, bad: set[tuple[str, str]]
) -> None:
    low, high = spec.AREA_PER_STUDENT_RANGE
    students = pd.to_numeric(classes["students"], errors="coerce").groupby(classes["file_id"].astype(str)).sum()
    senior: dict[str, float] = {}
    if not batch.info.empty and "senior_students" in batch.info.columns:
        s = pd.to_numeric(batch.info["senior_students"], errors="coerce")
        senior = {str(f): float(v) for f, v in zip(batch.info["file_id"], s, strict=True) if pd.notna(v) and v > 0}
    area = pd.to_numeric(facilities["teaching_aux_area_m2"], errors="coerce")
    flagged = {fid for fid, _ in bad}
    for fid, rows in facilities.assign(__area=area).groupby(facilities["file_id"].astype(str)):
        values = rows["__area"]
        p = float(students.get(fid, 0.0)) + senior.get(fid, 0.0)
        if fid in flagged or p <= 0 or values.isna().all() or (values > spec.NUMBER_MAX).any():
            continue
        total = float(values.sum())
        per = total / p
        if low <= per <= high:
            continue
        side = f"超过 {_fmt(high)} 平方米，明显偏大" if per > high else f"不足 {_fmt(low)} 平方米，明显偏小"
        rec = rows.loc[values.idxmax()].to_dict()
        msg = plausibility_message(
            "plausibility.area_per_student", area=_fmt(total), students=_fmt(p), per=_fmt(per), side=side
        )
        shown = _fmt(float(rec["__area"]))
        out.add(
            rec, spec.FACILITIES.name, "teaching_aux_area_m2", "plausibility.area_per_student", "warning", shown, msg
        )


def check_contract_plausibility(batch: ReturnBatch) -> list[Finding]:
    """The contract's plausibility findings of a run, located on the cell."""
    out = _Out(batch)
    bad: set[tuple[str, str]] = set()
    for sheet in spec.TABLE_SHEETS:
        frame = batch.frames.get(spec.FRAME_OF_SHEET[sheet.name])
        if frame is not None and not frame.empty:
            bad |= _sheet_rules(out, sheet, frame)
    classes = batch.frames.get("classes")
    if classes is None or classes.empty:
        return out.findings
    teachers, facilities = batch.frames.get("teachers"), batch.frames.get("facilities")
    if teachers is not None and not teachers.empty:
        _per_teacher(out, classes, teachers, bad)
    if facilities is not None and not facilities.empty and "teaching_aux_area_m2" in facilities.columns:
        _per_student_area(out, batch, classes, facilities, bad)
    return out.findings
