"""Plausibility 提醒 (warnings, never rejections): a school's own values that look like a slip. The
contract's own plausibility rules (impossible values, duplicated rows, ratios) are in contract_plausibility.

- Unit slip of 教学仪器设备值: per student, 1,000 times the R6 standard or more (元 typed into the 万元
  column: ×10,000) or a thousandth of it or less (万元 typed into a 元 column).
- Far off the run's median for the same section: a facility value per student 5 times the median of
  the schools of that section in the run or more, or a fifth or less (an extra 0, a wrong unit). Needs at
  least MIN_PEERS comparable schools; schools with both sections are compared within neither, since their
  shared (共用) rows cannot be split before the load.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from junheng import spec
from junheng.contract import Finding, ReturnBatch
from junheng.errors import JunhengError
from junheng.policy import INDICATOR_NAMES, rules_in_force
from tasks.validate.contract_plausibility import check_contract_plausibility

SLIP_FACTOR = 1000.0
OUTLIER_FACTOR = 5.0
MIN_PEERS = 5
DEFAULT_R6 = {"primary": 2000.0, "junior": 2500.0}  # used only when no R6 rule is in force
# Facility values compared per student: column → (indicator, unit of the value, per how many students).
COMPARED = {
    "teaching_aux_area_m2": ("R4", "平方米", 1.0),
    "sports_ground_area_m2": ("R5", "平方米", 1.0),
    "equipment_value_yuan": ("R6", "元", 1.0),
    "multimedia_classrooms": ("R7", "间", 100.0),
}


def _fmt(x: float) -> str:
    s = f"{x:,.2f}"
    return s.rstrip("0").rstrip(".")


def _r6_standards(period: str) -> dict[str, float]:
    try:
        rules = rules_in_force(period)
    except (JunhengError, ValueError, OSError):
        return dict(DEFAULT_R6)
    found: dict[str, float] = {str(r.section): float(r.value) for r in rules if r.code == "R6" and r.measure == "value"}
    return {**DEFAULT_R6, **found}


def _units(batch: ReturnBatch) -> pd.DataFrame:
    """One row per file and facility row with the students it serves: the section's classes for a 小学/初中
    row, every class for a 共用 row; ``single`` when the file reports one section only."""
    classes, facilities = batch.frames.get("classes"), batch.frames.get("facilities")
    if classes is None or facilities is None or classes.empty or facilities.empty:
        return pd.DataFrame()
    students = pd.to_numeric(classes["students"], errors="coerce")
    by_section = students.groupby([classes["file_id"], classes["section"]]).sum(min_count=1)
    total = students.groupby(classes["file_id"]).sum(min_count=1)
    n_sections = classes.groupby("file_id")["section"].nunique()
    # A file with an impossible class size is an error already: per-student figures of it would mislead.
    ceiling = spec.CLASSES.by_code("students").ceiling
    impossible = set(classes["file_id"][students > ceiling].astype(str)) if ceiling is not None else set()
    rows = []
    for rec in facilities.to_dict("records"):
        fid, label = str(rec["file_id"]), str(rec["section"])
        if fid in impossible:
            continue
        p = total.get(fid) if label == "共用" else by_section.get((fid, label))
        if p is None or not p or pd.isna(p):
            continue
        rows.append({**rec, "students": float(p), "single": int(n_sections.get(fid, 0)) == 1})
    return pd.DataFrame(rows)


def _finding(
    batch: ReturnBatch, info: Mapping[str, str], rec: Mapping[str, object], code: str, rule: str, msg: str
) -> Finding:
    fid, sheet, row = str(rec["file_id"]), str(rec["sheet"]), int(rec["row"])  # type: ignore[call-overload]
    section = spec.SECTION_CODES.get(str(rec["section"]))
    amount = pd.to_numeric(rec[code], errors="coerce")
    # Money as read, in 元 whatever the header's unit: say so, the school may have typed 万元.
    shown = ("折合 " if code == "equipment_value_yuan" else "") + f"{_fmt(float(amount))} {COMPARED[code][1]}"
    return Finding(
        file_id=fid,
        file_name=batch.file_name(fid),
        sheet=sheet,
        cell=batch.cell(fid, sheet, code, row),
        rule=rule,
        severity="warning",
        value=shown,
        message=msg,
        school_code=info.get(fid),
        section=section if section in ("primary", "junior") else None,
    )


def check_plausibility(batch: ReturnBatch, period: str) -> list[Finding]:
    """The run's plausibility findings, located on the cell of the value: the contract's rules
    (tasks.validate.contract_plausibility), then the unit slips and outliers of this module."""
    contract = check_contract_plausibility(batch)
    units = _units(batch)
    if units.empty:
        return contract
    info = {}
    if not batch.info.empty and "school_code" in batch.info.columns:
        info = {str(f): str(c) for f, c in zip(batch.info["file_id"], batch.info["school_code"], strict=True) if c}
    standards = _r6_standards(period)
    out: list[Finding] = contract
    slipped: set[tuple[str, int]] = set()
    for rec in units.to_dict("records"):
        value = pd.to_numeric(rec.get("equipment_value_yuan"), errors="coerce")
        if pd.isna(value) or value <= 0:
            continue
        section = spec.SECTION_CODES.get(str(rec["section"]), "")
        standard = standards.get(section, min(standards.values()))
        per = float(value) / rec["students"]
        ratio = per / standard
        if ratio >= SLIP_FACTOR:
            what = "疑似把以“元”为单位的金额填进了以“万元”为单位的列（大了约 10000 倍）"
        elif ratio <= 1 / SLIP_FACTOR:
            what = "疑似把以“万元”为单位的金额填进了以“元”为单位的列（小了约 10000 倍）"
        else:
            continue
        slipped.add((str(rec["file_id"]), int(rec["row"])))
        msg = (
            f"「教学仪器设备值」折合 {_fmt(float(value))} 元，按 {_fmt(rec['students'])} 名学生计生均"
            f" {_fmt(per)} 元，是标准 {_fmt(standard)} 元/生的 {_fmt(ratio)} 倍，{what}。"
            "请核实本单元格的数值和表头的单位（万元或元）；数据属实的请在报送时说明。"
        )
        out.append(_finding(batch, info, rec, "equipment_value_yuan", "plausibility.unit_slip", msg))
    out += _far_from_median(batch, info, units[units["single"] & units["section"].isin(["小学", "初中"])], slipped)
    return out


def _far_from_median(
    batch: ReturnBatch, info: Mapping[str, str], units: pd.DataFrame, skip: set[tuple[str, int]]
) -> list[Finding]:
    out: list[Finding] = []
    for label, group in units.groupby("section"):
        for code, (indicator, unit, per_n) in COMPARED.items():
            if code not in group.columns:
                continue
            values = pd.to_numeric(group[code], errors="coerce") * per_n / group["students"]
            values = values[values > 0]
            if len(values) < MIN_PEERS:
                continue
            median = float(values.median())
            for i, v in values.items():
                rec = group.loc[i].to_dict()
                if code == "equipment_value_yuan" and (str(rec["file_id"]), int(rec["row"])) in skip:
                    continue
                ratio = float(v) / median
                if 1 / OUTLIER_FACTOR < ratio < OUTLIER_FACTOR or not math.isfinite(ratio):
                    continue
                side = f"是中位数的 {_fmt(ratio)} 倍" if ratio > 1 else f"只有中位数的 {_fmt(ratio * 100)}%"
                shown = "每百名学生" if per_n == 100 else "生均"
                msg = (
                    f"{label}「{INDICATOR_NAMES[indicator]}」按本单元格计算，{shown} {_fmt(float(v))} {unit}，"
                    f"本次报送的 {len(values)} 个{label}学校的中位数为 {_fmt(median)} {unit}，{side}。"
                    "请核实本单元格的数值和单位（如万元与元、多写或少写一个 0）；数据属实的请在报送时说明。"
                )
                out.append(_finding(batch, info, rec, code, "plausibility.outlier", msg))
    return out
