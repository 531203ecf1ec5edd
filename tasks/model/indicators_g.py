"""G3, G4, G5, G9, G11, G12 and the 质量监测 local targets, computed from school returns by the rules in force."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from junheng.policy import Rule

SCHOOL_RULE_COLUMNS = [
    "school_code",
    "section",
    "indicator_code",
    "measure",
    "item",
    "value",
    "threshold",
    "meets",
    "note",
    "file_id",
]


@dataclass(frozen=True)
class Result:
    """One judged value: ``meets`` is None when the input was not reported (never guessed)."""

    school_code: str
    section: str
    indicator_code: str
    measure: str
    item: str
    value: float | None
    threshold: float | None
    meets: bool | None
    note: str = ""
    file_id: str = ""


def rate(part: float | None, whole: float | None) -> float | None:
    """part / whole in percent, multiplied before dividing (3/30 gives exactly 10.0); None when unknown."""
    if part is None or whole is None or _nan(part) or _nan(whole) or whole <= 0:
        return None
    return part * 100.0 / whole


def required_rooms(classes: int, classes_per_room: float) -> int:
    """G3: one room of each type per `classes_per_room` classes, at least one: max(1, ceil(classes/12))."""
    return max(1, math.ceil(classes / classes_per_room))


def judge(rule: Rule, value: float | None) -> bool | None:
    return None if value is None or _nan(value) else rule.passes(value)


def _nan(x: object) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _rules(rules: Iterable[Rule], code: str, measure: str | None = None) -> list[Rule]:
    return [r for r in rules if r.code == code and (measure is None or r.measure == measure)]


def _sum(values: Iterable[object]) -> float | None:
    """Sum of reported values; None when any one is missing (a partial sum would be a guess)."""
    total = 0.0
    for v in values:
        if v is None or _nan(v):
            return None
        total += float(v)  # type: ignore[arg-type]
    return total


# ------------------------------------------------------------------------------- per school


def g3_school(
    school_code: str, classes: int, rooms: Sequence[tuple[str, float | None]], rules: Iterable[Rule], file_id: str = ""
) -> list[Result]:
    """G3 for one school: room count per type against max(1, ceil(classes/12)), then every room's area.

    ``rooms`` is (room_type, area m²) per room. A room with no area reported is not judged; a type
    the school has no room of has no area line.
    """
    out: list[Result] = []
    rules = list(rules)
    for r in _rules(rules, "G3", "rooms"):
        n = sum(1 for t, _ in rooms if t == r.item)
        need = required_rooms(classes, r.value)
        out.append(
            Result(
                school_code,
                "all",
                "G3",
                "rooms",
                r.item,
                float(n),
                float(need),
                n >= need,
                f"{classes} 个班，需 {r.item}教室 {need} 间，有 {n} 间",
                file_id,
            )
        )
    for r in _rules(rules, "G3", "area"):
        areas = [a for t, a in rooms if t == r.item]
        if not areas:
            # No room of the type: its shortfall is the rooms line's; there is no area to judge, and an
            # unknown here would turn the county's area line into 未报告 (a teaching point has no rooms).
            continue
        if any(a is None or _nan(a) for a in areas):
            out.append(
                Result(
                    school_code,
                    "all",
                    "G3",
                    "area",
                    r.item,
                    None,
                    r.value,
                    None,
                    f"有{r.item}教室未填使用面积",
                    file_id,
                )
            )
            continue
        smallest = min(float(a) for a in areas if a is not None)
        small = sum(1 for a in areas if a is not None and not r.passes(float(a)))
        out.append(
            Result(
                school_code,
                "all",
                "G3",
                "area",
                r.item,
                smallest,
                r.value,
                small == 0,
                f"最小{r.item}教室 {smallest:g} 平方米；{small} 间不足 {r.value:g} 平方米",
                file_id,
            )
        )
    return out


def g4_school(
    school_code: str, school_type: str, students: float | None, rules: Iterable[Rule], file_id: str = ""
) -> list[Result]:
    """G4: the whole school's compulsory enrollment against the limit for its school type."""
    out = []
    for r in _rules(rules, "G4", "value"):
        if r.school_types and school_type not in r.school_types:
            continue
        out.append(Result(school_code, "all", "G4", "value", "", students, r.value, judge(r, students), "", file_id))
    return out


def g5_school(
    school_code: str, class_sizes: Mapping[str, Sequence[float]], rules: Iterable[Rule], file_id: str = ""
) -> list[Result]:
    """G5 per section: the largest class against the limit; the note counts classes above it."""
    out = []
    for r in _rules(rules, "G5", "value"):
        sizes = list(class_sizes.get(r.section, ()))
        if not sizes:
            continue
        over = sum(1 for s in sizes if not r.passes(s))
        largest = max(sizes)
        out.append(
            Result(
                school_code,
                r.section,
                "G5",
                "value",
                "",
                largest,
                r.value,
                over == 0,
                f"{len(sizes)} 个班，{over} 个超过 {r.value:g} 人",
                file_id,
            )
        )
    return out


def teacher_rate_school(
    school_code: str, code: str, part: float | None, teachers: float | None, rules: Iterable[Rule], file_id: str = ""
) -> list[Result]:
    """G9 (trained 360 h) and G12 (certified): part / 专任教师 in percent for the whole school."""
    value = rate(part, teachers)
    return [
        Result(
            school_code,
            "all",
            code,
            "rate",
            r.item,
            value,
            r.value,
            judge(r, value),
            "" if value is not None else "专任教师数或分项未报告",
            file_id,
        )
        for r in _rules(rules, code, "rate")
    ]


def school_rules(
    schools: pd.DataFrame, sections: pd.DataFrame, classes: pd.DataFrame, rooms: pd.DataFrame, rules: Sequence[Rule]
) -> pd.DataFrame:
    """Every per-school G rule for the evaluated schools.

    ``schools``: school_code, school_type, file_id; ``sections``: fct_school_section rows;
    ``classes``: fct_class rows (school_code, section, students); ``rooms``: raw.special_room rows.
    """
    # Plain lists per school, built in one pass over each frame: a groupby and small frames per school
    # would cost far more than the few additions they serve.
    out: list[Result] = []
    rules = list(rules)
    sec_cols = ("students", "teachers", "trained_360h_teachers", "certified_teachers")
    by_section: dict[str, dict[str, list[object]]] = {}
    if not sections.empty:
        for code, *vals in zip(sections["school_code"], *(sections[c] for c in sec_cols), strict=True):
            cols = by_section.setdefault(str(code), {c: [] for c in sec_cols})
            for c, v in zip(sec_cols, vals, strict=True):
                cols[c].append(v)
    by_class: dict[str, list[tuple[object, object]]] = {}
    if not classes.empty:
        for code, section, n in zip(classes["school_code"], classes["section"], classes["students"], strict=True):
            by_class.setdefault(str(code), []).append((section, n))
    by_room: dict[str, list[tuple[str, float | None]]] = {}
    if not rooms.empty:
        for code, t, area in zip(rooms["school_code"], rooms["room_type"], rooms["area_m2"], strict=True):
            by_room.setdefault(str(code), []).append((str(t), None if pd.isna(area) else float(area)))
    for rec in schools.to_dict("records"):
        code, fid = str(rec["school_code"]), str(rec.get("file_id") or "")
        sec = by_section.get(code)
        cls = by_class.get(code, [])
        if cls:
            out += g3_school(code, len(cls), by_room.get(code, []), rules, fid)
        students = _sum(sec["students"]) if sec else None
        out += g4_school(code, str(rec.get("school_type") or ""), students, rules, fid)
        sizes: dict[str, list[float]] = {}
        for section, n in cls:
            if not pd.isna(section):  # as groupby("section") did: a class without a section has no size group
                sizes.setdefault(str(section), []).append(float(n))  # type: ignore[arg-type]
        out += g5_school(code, sizes, rules, fid)
        if sec:
            teachers = _sum(sec["teachers"])
            out += teacher_rate_school(code, "G9", _sum(sec["trained_360h_teachers"]), teachers, rules, fid)
            out += teacher_rate_school(code, "G12", _sum(sec["certified_teachers"]), teachers, rules, fid)
    return pd.DataFrame([asdict(r) for r in out], columns=SCHOOL_RULE_COLUMNS)


# ------------------------------------------------------------------------------- county


@dataclass(frozen=True)
class CountyValue:
    """A county figure computed from the school returns, with what it was computed from."""

    indicator_code: str
    measure: str
    item: str
    section: str
    value: float | None
    note: str = ""


def g11_county(sections: pd.DataFrame) -> list[CountyValue]:
    """G11: rotated / eligible and rotated backbone / rotated, county totals in percent."""
    if sections.empty:
        return []
    rotated = _sum(sections["rotated_teachers"])
    eligible = _sum(sections["rotation_eligible_teachers"])
    backbone = _sum(sections["rotated_backbone_teachers"])
    return [
        CountyValue("G11", "rate", "交流轮岗", "all", rate(rotated, eligible), f"{_g(rotated)} / {_g(eligible)}"),
        CountyValue("G11", "rate", "骨干教师", "all", rate(backbone, rotated), f"{_g(backbone)} / {_g(rotated)}"),
    ]


def fitness_county(quality: pd.DataFrame) -> list[CountyValue]:
    """L1 优良率 and L2 及格率 of the schools that reported the 质量监测 sheet (county totals, %)."""
    q = quality.dropna(subset=["fitness_tested"]) if not quality.empty else quality
    if q.empty:
        return [
            CountyValue("L1", "rate", "", "all", None, "无学校报告体质健康测试"),
            CountyValue("L2", "rate", "", "all", None, "无学校报告体质健康测试"),
        ]
    tested = _sum(q["fitness_tested"])
    n = q["school_code"].nunique()
    return [
        CountyValue(
            "L1", "rate", "", "all", rate(_sum(q["fitness_good"]), tested), f"{n} 所学校，测试 {_g(tested)} 人"
        ),
        CountyValue(
            "L2", "rate", "", "all", rate(_sum(q["fitness_passed"]), tested), f"{n} 所学校，测试 {_g(tested)} 人"
        ),
    ]


def myopia_rate(quality: pd.DataFrame) -> float | None:
    """County myopia rate (%) of the schools that reported vision screening."""
    q = quality.dropna(subset=["vision_screened"]) if not quality.empty else quality
    if q.empty:
        return None
    return rate(_sum(q["myopic"]), _sum(q["vision_screened"]))


def myopia_change(now: pd.DataFrame, last_year: pd.DataFrame) -> CountyValue:
    """L3: this period's county myopia rate minus the same period last year, in percentage points."""
    a, b = myopia_rate(now), myopia_rate(last_year)
    if a is None or b is None:
        missing = "本期" if a is None else "上年同期"
        return CountyValue("L3", "change", "", "all", None, f"{missing}没有视力筛查数据")
    return CountyValue("L3", "change", "", "all", a - b, f"近视率 {b:.2f}% → {a:.2f}%")


def _g(x: float | None) -> str:
    return "未报告" if x is None else f"{x:g}"
