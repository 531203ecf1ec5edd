"""School units: per school and section, sum the return's rows, apportion 共用 rows, set scope.

A school unit is a school's primary part or junior part. Shared (共用) physical resources are
split by weighted enrollment, as in national practice: a junior student weighs 1.1 primary
students, a senior student 1.32 (= 1.2 junior students), so 九年一贯制 gives the primary part
A/(A+1.1B), 十二年一贯制 A/(A+1.1B+1.32C), and 完全中学 its junior part B/(B+1.2C).
"""

from __future__ import annotations

import math

import pandas as pd

from junheng.settings import PolicyChoices
from junheng.spec import FACILITIES, SECTION_CODES, TEACHERS
from tasks.read.file_result import COLUMN_ABSENT

# Primary-student equivalents of one student of each part (indicators.md, "Apportioning").
WEIGHT = {"primary": 1.0, "junior": 1.1, "senior": 1.32}

TEACHER_CODES = [c for c in TEACHERS.codes if c != "section"]
R3_BASE_CODES = ("pe_teachers", "music_teachers", "art_teachers")
OTHER_ART = "other_art_teachers"
_R3_OTHER = "_r3_other_art"  # the other-art count R3 adds under "all_art" (see _r3_other_art)
FACILITY_CODES = [c for c in FACILITIES.codes if c != "section"]
# scope_note of a teaching point merged into its parent (policy merge): the G checks read it
# (tasks/model/scorecard.py) to count the teaching point once, as part of its parent.
MERGED_NOTE_PREFIX = "教学点：并入所属学校"

UNIT_COLUMNS = [
    "period",
    "school_code",
    "section",
    "students",
    "classes",
    *TEACHER_CODES,
    "r3_teachers",
    *FACILITY_CODES,
    "shared_share",
    "senior_students",
    "is_unit",
    "in_cv",
    "scope_note",
    "file_id",
    "source_sheet",
    "source_row",
]


def shared_shares(primary: float, junior: float, senior: float) -> dict[str, float]:
    """The share of a 共用 row that goes to the primary and junior parts.

    >>> shared_shares(100, 100, 0)["primary"] == 100 / 210
    True
    """
    weights = {
        "primary": WEIGHT["primary"] * primary,
        "junior": WEIGHT["junior"] * junior,
        "senior": WEIGHT["senior"] * senior,
    }
    total = sum(weights.values())
    if total <= 0:
        return {"primary": 0.0, "junior": 0.0}
    return {"primary": weights["primary"] / total, "junior": weights["junior"] / total}


def _num(x: object) -> float:
    """A missing count is 0 only where the template says so (optional senior count absent)."""
    if x is None:
        return 0.0
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(v) else v


def _sum_by_section(frame: pd.DataFrame, codes: list[str]) -> dict[tuple[str, str], dict[str, float]]:
    """{(file_id, section_code): {code: sum}}; NaN stays NaN only when every row is NaN."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    if frame.empty:
        return out
    # Frames always carry every spec column from the reader; reindex keeps hand-built ones working.
    f = frame.reindex(columns=["file_id", "section", *codes]).astype({c: "float64" for c in codes})
    f = f.assign(_sec=f["section"].map(SECTION_CODES))
    grouped = f.groupby(["file_id", "_sec"], sort=False)[codes].sum(min_count=1)
    # Plain dicts: iterrows/.loc per school would cost a per-file overhead that grows with the county.
    for key, values in zip(grouped.index, grouped.to_numpy(dtype="float64").tolist(), strict=True):
        out[key] = dict(zip(codes, values, strict=True))
    return out


def _r3_other_art(teachers: pd.DataFrame) -> pd.DataFrame:
    """The teachers frame plus the other-art count R3 adds under "all_art".

    A return made before the column existed (the sheet lacks it) counts 0: its school reported
    music and art only. A blank cell in a sheet that has the column stays missing, so R3 is then
    not reported rather than guessed.
    """
    if OTHER_ART not in teachers.columns:
        return teachers.assign(**{_R3_OTHER: 0.0})
    value = pd.to_numeric(teachers[OTHER_ART], errors="coerce").astype("float64")
    raw = teachers.get(f"{OTHER_ART}__raw")
    if raw is not None:
        value = value.mask(raw.isin([COLUMN_ABSENT]), 0.0)
    return teachers.assign(**{_R3_OTHER: value})


def _r3_teachers(t: dict[str, float], choices: PolicyChoices) -> float:
    """R3's numerator: 体育 + 音乐 + 美术 (+ other art under "all_art"); any missing part leaves it missing."""
    parts = [t.get(c, math.nan) for c in R3_BASE_CODES]
    if choices.r3_art_teachers == "all_art":
        parts.append(t.get(_R3_OTHER, math.nan))
    return math.fsum(parts) if not any(math.isnan(v) for v in parts) else math.nan


def build_units(
    period: str,
    info: pd.DataFrame,
    classes: pd.DataFrame,
    teachers: pd.DataFrame,
    facilities: pd.DataFrame,
    choices: PolicyChoices,
) -> pd.DataFrame:
    """One row per (school, section) with students > 0: measures, apportioned shares and scope.

    ``info`` has one row per loaded file (school_code, school_type, ownership, is_teaching_point,
    parent_school_code, senior_students, file_id); the table frames are the reader's frames of
    the same files (Chinese 学段 labels).
    """
    students = (
        classes.assign(_sec=classes["section"].map(SECTION_CODES))
        .groupby(["file_id", "_sec"])["students"]
        .agg(["sum", "count"])
        if not classes.empty
        else pd.DataFrame(columns=["sum", "count"])
    )
    teach = _sum_by_section(_r3_other_art(teachers), [*TEACHER_CODES, _R3_OTHER])
    fac = _sum_by_section(facilities, FACILITY_CODES)

    sums = dict(zip(students.index, students["sum"].astype("float64"), strict=True))
    counts = dict(zip(students.index, students["count"], strict=True))
    rows: list[dict[str, object]] = []
    for rec in info.to_dict("records"):
        fid = str(rec["file_id"])
        n = {s: float(sums[(fid, s)]) if (fid, s) in sums else 0.0 for s in ("primary", "junior")}
        n_classes = {s: int(counts[(fid, s)]) if (fid, s) in counts else 0 for s in ("primary", "junior")}
        senior = _num(rec.get("senior_students"))
        shares = shared_shares(n["primary"], n["junior"], senior)
        shared = fac.get((fid, "shared"), {})
        total_students = n["primary"] + n["junior"]
        is_tp = rec.get("is_teaching_point") == "是"
        private = rec.get("ownership") == "民办"
        for section in ("primary", "junior"):
            if n[section] <= 0:  # a section with no students is dropped, never a value of 0
                continue
            own = fac.get((fid, section), {})
            measures: dict[str, object] = {}
            for code in FACILITY_CODES:
                a, b = own.get(code, math.nan), shared.get(code, math.nan)
                parts = [v for v in (a, b * shares[section]) if not math.isnan(v)]
                measures[code] = sum(parts) if parts else math.nan
            t = teach.get((fid, section), {})
            for code in TEACHER_CODES:
                measures[code] = t.get(code, math.nan)
            measures["r3_teachers"] = _r3_teachers(t, choices)
            note = ""
            is_unit = True
            if (
                is_tp
                and choices.teaching_point_policy == "exclude_under_50"
                and total_students < choices.teaching_point_min_students
            ):
                is_unit = False
                note = (
                    f"教学点在校生 {total_students:g} 人，少于 {choices.teaching_point_min_students} 人，"
                    "不参与指标和差异系数"
                )
            in_cv = is_unit and (not private or choices.private_in_cv)
            if is_unit and private and not choices.private_in_cv:
                note = "民办学校：按学校达标规则评价，不计入差异系数"
            rows.append(
                {
                    "period": period,
                    "school_code": rec["school_code"],
                    "section": section,
                    "students": n[section],
                    "classes": n_classes[section],
                    **measures,
                    "shared_share": shares[section] if shared else 0.0,
                    "senior_students": senior if senior else math.nan,
                    "is_unit": is_unit,
                    "in_cv": in_cv,
                    "scope_note": note,
                    "file_id": fid,
                    "source_sheet": "班级学生/教师/办学条件",
                    "source_row": None,
                    "_parent": rec.get("parent_school_code") if is_tp else None,
                }
            )
    units = pd.DataFrame(rows, columns=[*UNIT_COLUMNS, "_parent"])
    if choices.teaching_point_policy == "merge":
        units = _merge_teaching_points(units)
    return units.drop(columns="_parent").reset_index(drop=True)


def _merge_teaching_points(units: pd.DataFrame) -> pd.DataFrame:
    """Policy 'merge': a teaching point's students and resources are added to its parent (a value
    missing on either side leaves the sum missing)."""
    add_codes = ["students", "classes", *TEACHER_CODES, "r3_teachers", *FACILITY_CODES]
    tps = units[units["_parent"].notna()]
    for idx, tp in tps.iterrows():
        parent = units.index[(units["school_code"] == tp["_parent"]) & (units["section"] == tp["section"])]
        if len(parent) == 0:
            units.loc[idx, "scope_note"] = "教学点：本期未找到所属学校的报表，单独计算"
            continue
        p = parent[0]
        for code in add_codes:
            # A missing value on either side stays missing (indicators.md): the sum of a reported
            # count and an unreported one is not known.
            a, b = units.loc[p, code], tp[code]
            units.loc[p, code] = math.nan if pd.isna(a) or pd.isna(b) else a + b
        units.loc[idx, ["is_unit", "in_cv"]] = False
        units.loc[idx, "scope_note"] = f"{MERGED_NOTE_PREFIX} {tp['_parent']} 计算"
    return units
