"""A school's findings made actionable on its own workbook: each points at cells that exist there, each
shortfall says how much to add, and the warehouse's outliers of the school's values become 提醒.

The result has one row per finding to list (``listed``) plus rows that only mark and comment a further
cell the figure comes from (a resource's other cells, the students behind it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from junheng import spec
from junheng.policy import INDICATOR_NAMES
from tasks.publish.cells import as_text, num
from tasks.publish.feedback.amounts import VALUE_UNITS, class_over, fmt, school_over, shortfall
from tasks.publish.feedback.book import Book
from tasks.publish.feedback.locate import (
    Place,
    classes_place,
    resource_place,
    room_area_cell,
    rooms_place,
    students_place,
    target_sheet,
    teacher_rate_place,
)
from tasks.publish.feedback.marks import Records, as_records

COLUMNS = ["sheet", "cell", "rule", "severity", "value", "message", "section", "listed"]
R_CODES = tuple(f"R{i}" for i in range(1, 8))


@dataclass
class SchoolContext:
    """What the warehouse knows about the school beyond its findings."""

    remediation: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)  # (section, R code)
    outliers: list[Mapping[str, Any]] = field(default_factory=list)  # mart.outliers rows of the school
    class_limits: Mapping[str, float] = field(default_factory=dict)  # section → G5 limit
    school_limit: float | None = None  # G4 limit for the school's type
    students: Mapping[str, float] = field(default_factory=dict)  # section → enrolled students


def _row(f: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    out = {c: f.get(c) for c in COLUMNS}
    out["listed"] = True
    out.update(changes)
    return out


def _place_rows(
    f: Mapping[str, Any], place: Place | None, students: Place | None, message: str, note: str
) -> list[dict[str, Any]]:
    """The listed finding on the first cell of ``place`` and mark-only rows on the others."""
    if place is None:
        return [_row(f, sheet="", cell="", message=message)]
    sheet = place.cells[0][0]
    shown = "、".join(ref for s, ref in place.cells if s == sheet)
    rows = [_row(f, sheet=sheet, cell=shown, message=message)]
    rows += [_row(f, sheet=s, cell=ref, message=message, listed=False) for s, ref in place.cells if ref != shown]
    if students is not None:
        rows += [_row(f, sheet=s, cell=ref, message=note, value="", listed=False) for s, ref in students.cells]
    return rows


def _shortfall(wb: Book, f: Mapping[str, Any], ctx: SchoolContext) -> list[dict[str, Any]]:
    code, section = as_text(f["rule"]), as_text(f.get("section"))
    label = spec.SECTION_LABELS.get(section, "")
    rem = ctx.remediation.get((section, code))
    value, message = shortfall(code, label, rem) if rem is not None else (as_text(f["value"]), as_text(f["message"]))
    place, students = resource_place(wb, code, label), students_place(wb, label)
    where = [p.text for p in (students, place) if p is not None]
    if where:
        message += f"（学生数：{where[0]}" + (f"；资源：{where[1]}" if len(where) > 1 else "") + "）"
    name = INDICATOR_NAMES.get(code, code)
    note = f"{label}在校生数 = {students.text if students else '各班学生数之和'}，用于计算「{name}」。"
    return _place_rows({**f, "value": value}, place, students, message, note)


def _school_rule(wb: Book, f: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A school-level G3, G9 or G12 finding on the cells its figure comes from: the 专用教室 rows of the room
    type (and the 班级学生 rows counted), a room's 使用面积, or the 教师 columns of every 学段 row."""
    rule, message = as_text(f["rule"]), as_text(f["message"])
    if rule in ("G9", "G12"):
        place = teacher_rate_place(wb, rule)
        if place is not None:
            message += f"（数据来源：{place.text}）"
        return _place_rows(f, place, None, message, "")
    if as_text(f["cell"]):  # one room below its area: the school's own 使用面积 cell of the room's row
        found = room_area_cell(wb, as_text(f["cell"]))
        if found is None:
            return [_row(f, sheet="", cell="")]
        return [_row(f, sheet=found[0], cell=found[1])]
    room_type = next((t for t in spec.ROOM_TYPES if f"应有{t}教室" in message), "")
    place, classes = rooms_place(wb, room_type), classes_place(wb)
    where = [f"班级数：{classes.text}"] if classes else []
    if place is not None:
        where.append(f"专用教室：{place.text}")
    if where:
        message += f"（{'；'.join(where)}）"
    note = f"全校班级数 = {classes.text}，用于计算「{INDICATOR_NAMES['G3']}」应有的间数。" if classes else ""
    if place is None:  # no 专用教室 sheet: the finding stays on the classes it is counted from
        return _place_rows(f, classes, None, message, note)
    return _place_rows(f, place, classes, message, note)


def _outlier_rows(wb: Book, ctx: SchoolContext, taken: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """mart.outliers rows as 提醒 on the resource cells, unless a validation 提醒 already names the cell."""
    rows = []
    for o in ctx.outliers:
        code, section = as_text(o["indicator_code"]), as_text(o["section"])
        value, center = num(o.get("value")), num(o.get("center"))
        label = spec.SECTION_LABELS.get(section, "")
        place = resource_place(wb, code, label)
        if value is None or center is None or (place is not None and place.cells[0] in taken):
            continue
        unit = VALUE_UNITS.get(code, "")
        side = "高于" if value > center else "低于"
        where = f"{place.text} 的填报值" if place else "相关填报值"
        message = (
            f"{label}「{INDICATOR_NAMES.get(code, code)}」为 {fmt(value)} {unit}，明显{side}全县同学段"
            f" {fmt(num(o.get('n_ref')) or 0, 0)} 个学校单元的中位数 {fmt(center)} {unit}。"
            f"请核实{where}（如万元与元、面积单位、学生数是否填错）；数据属实的请在报送时说明原因。"
        )
        f = {"rule": "plausibility.outlier", "severity": "warning", "value": f"{fmt(value)} {unit}", "section": section}
        rows += _place_rows(f, place, None, message, "")
    return rows


def advise(wb: Book, findings: pd.DataFrame | Records, ctx: SchoolContext | None = None) -> Records:
    """The findings to mark and list for one file, located on ``wb``'s own sheets (rows of COLUMNS)."""
    ctx = ctx or SchoolContext()
    out: list[dict[str, Any]] = []
    warned: set[tuple[str, str]] = set()  # (sheet, cell) a validation 提醒 already names
    for f in as_records(findings) if isinstance(findings, pd.DataFrame) else findings:
        rule, severity = as_text(f["rule"]), as_text(f["severity"])
        if rule in R_CODES and severity == "violation":
            out += _shortfall(wb, f, ctx)
            continue
        if rule in ("G3", "G9", "G12") and severity == "violation":
            out += _school_rule(wb, f)
            continue
        if rule == "G5" and severity == "violation":
            limit = ctx.class_limits.get(as_text(f.get("section")))
            students = num(f["value"])
            if limit is not None and students is not None and students > limit:
                over = class_over(students, limit)
                f = {**f, "message": f"{as_text(f['message'])}{over}", "value": f"{fmt(students, 0)} 人"}
        elif rule == "G4" and severity == "violation":
            students = num(f["value"])
            message = as_text(f["message"])
            if ctx.school_limit is not None and students is not None and students > ctx.school_limit:
                message += school_over(students, ctx.school_limit)
            place = students_place(wb, "")
            if place is not None:
                message += f"（学生数：{place.text}）"
            if students is not None:
                f = {**f, "value": f"{fmt(students, 0)} 人"}
            out += _place_rows(f, place, None, message, "")
            continue
        title = target_sheet(wb, as_text(f["sheet"])) if as_text(f["sheet"]) else None
        if title is None:
            f = {**f, "sheet": "", "cell": ""}  # never name a sheet the school's workbook does not have
        elif severity == "warning":
            warned.add((title, as_text(f["cell"])))
        out.append(_row(f))
    out += _outlier_rows(wb, ctx, warned)
    return out
