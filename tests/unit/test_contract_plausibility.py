"""Plausibility rules of the template contract (junheng.spec ceilings, row limits, unique rows, ratios):
each rule's broken twin is found on its cell with a Chinese message; the clean school stays silent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from expectations.messages import RULE_NAMES_ZH
from junheng import spec
from junheng.contract import ReceivedFile, ReturnBatch
from tasks.validate.plausibility import check_plausibility

PERIOD = "2026-10"
FID = "f" * 64
CLASS_COLUMNS = {"section": "A", "grade": "B", "class_name": "C", "students": "D"}
TEACHER_COLUMNS = {"section": "A", "teachers": "B"}
FACILITY_COLUMNS = {"section": "A", "teaching_aux_area_m2": "B"}


def school(
    classes: list[tuple[str, str, str, float]] | None = None,
    teachers: float = 10.0,
    area: float = 2000.0,
) -> ReturnBatch:
    """A 小学 with four classes of 40 (160 pupils), 10 teachers (16 per teacher), 2,000 m² (12.5 m²/生)."""
    if classes is None:
        classes = [("小学", "一年级", f"{k}班", 40.0) for k in range(1, 5)]
    class_rows = [
        {"file_id": FID, "sheet": "班级学生", "row": 2 + i, "section": s, "grade": g, "class_name": c, "students": n}
        for i, (s, g, c, n) in enumerate(classes)
    ]
    teacher_rows = [{"file_id": FID, "sheet": "教师", "row": 2, "section": "小学", "teachers": teachers}]
    facility_rows = [{"file_id": FID, "sheet": "办学条件", "row": 2, "section": "小学", "teaching_aux_area_m2": area}]
    return ReturnBatch(
        files=[ReceivedFile(FID, "3708300001_甲小学.xlsx", "", "", datetime(2026, 11, 1), 1)],
        info=pd.DataFrame([{"file_id": FID, "school_code": "3708300001"}]),
        frames={
            "classes": pd.DataFrame(class_rows),
            "teachers": pd.DataFrame(teacher_rows),
            "facilities": pd.DataFrame(facility_rows),
        },
        columns={(FID, "班级学生"): CLASS_COLUMNS, (FID, "教师"): TEACHER_COLUMNS, (FID, "办学条件"): FACILITY_COLUMNS},
    )


def found(batch: ReturnBatch) -> list[tuple[str, str, str, str]]:
    return [(f.rule, f.severity, f.sheet, f.cell) for f in check_plausibility(batch, PERIOD)]


def only(batch: ReturnBatch, rule: str) -> Any:
    hits = [f for f in check_plausibility(batch, PERIOD) if f.rule == rule]
    assert len(hits) == 1, hits
    return hits[0]


def test_the_limits_are_declared_in_the_contract() -> None:
    assert spec.CLASSES.by_code("students").ceiling == 100
    assert spec.CLASSES.max_rows == 500
    assert spec.CLASSES.unique_by == ("section", "grade", "class_name")


def test_clean_school_is_silent() -> None:
    assert found(school()) == []


def test_plausibility_impossible_class_of_101() -> None:
    rows = [("小学", "一年级", "1班", 101.0), ("小学", "一年级", "2班", 100.0)]  # 100 is possible, 101 is not
    f = only(school(rows), "plausibility.impossible")
    assert (f.severity, f.sheet, f.cell, f.value, f.school_code) == ("error", "班级学生", "D2", "101", "3708300001")
    assert "「学生数」为 101，超过实际可能的上限 100" in f.message and "请核对" in f.message
    # 10^12 is number.out_of_range (the GX suite's rule): not repeated here, and no ratio is judged on it.
    assert found(school([("小学", "一年级", "1班", 1e12)])) == []


def test_plausibility_duplicate_row_the_class_rows_pasted_twice() -> None:
    rows = [("小学", "一年级", "1班", 29.0), ("小学", "一年级", "1班", 29.0)]
    f = only(school(rows, teachers=3, area=600), "plausibility.duplicate_row")
    assert (f.severity, f.sheet, f.cell, f.value) == ("error", "班级学生", "C3", "小学 一年级 1班")  # the second row
    assert "本行与第 2 行的「学段」、「年级」、「班级」完全相同" in f.message and "删除重复的行" in f.message
    # The same class name in another grade or section is another class; a grade typed as 7 or "7" is one grade.
    assert found(school([("初中", "7", "1班", 40.0), ("初中", 7.0, "1班", 40.0)], teachers=3, area=900)) == [  # type: ignore[list-item]
        ("plausibility.duplicate_row", "error", "班级学生", "C3")
    ]
    assert found(school([("小学", "一年级", "1班", 29.0), ("小学", "二年级", "1班", 29.0)], teachers=3)) == []


def test_plausibility_too_many_rows_501_classes() -> None:
    rows = [("小学", f"{k // 10}年级", f"{k}班", 1.0) for k in range(501)]  # 501 pupils: ratios stay plausible
    f = only(school(rows, teachers=20, area=5000), "plausibility.too_many_rows")
    assert (f.severity, f.sheet, f.cell) == ("error", "班级学生", "A502")  # header in row 1: the 501st class is row 502
    assert "「班级学生」有 501 行数据，超过一所学校可能有的 500 行" in f.message
    assert found(school(rows[:500], teachers=20, area=5000)) == []


def test_plausibility_students_per_teacher() -> None:
    # 160 pupils: 2 teachers = 80 per teacher (> 60) is a 提醒; 3 teachers = 53.33 is not.
    f = only(school(teachers=2), "plausibility.students_per_teacher")
    assert (f.severity, f.sheet, f.cell, f.section) == ("warning", "教师", "B2", "primary")
    assert "小学「专任教师数」为 2，而「班级学生」中小学学生共 160 人，每名教师 80 名学生，超过 60 名" in f.message
    assert found(school(teachers=3)) == []
    zero = only(school(teachers=0), "plausibility.students_per_teacher")
    assert "有学生却没有专任教师" in zero.message and zero.cell == "B2"


def test_plausibility_area_per_student() -> None:
    # 160 pupils: 32,160 m² = 201 m²/生 (> 200); 79 m² = 0.49 m²/生 (< 0.5); 32,000 and 80 m² are the bounds.
    big = only(school(area=32_160), "plausibility.area_per_student")
    assert (big.severity, big.sheet, big.cell, big.value) == ("warning", "办学条件", "B2", "32,160")
    assert "合计 32,160 平方米，按 160 名学生计生均 201 平方米，超过 200 平方米" in big.message
    small = only(school(area=79), "plausibility.area_per_student")
    assert "生均 0.49 平方米，不足 0.5 平方米" in small.message
    assert found(school(area=32_000)) == found(school(area=80)) == []


def test_every_rule_has_its_chinese_name() -> None:
    for rule in ("impossible", "duplicate_row", "too_many_rows", "students_per_teacher", "area_per_student"):
        name = RULE_NAMES_ZH[f"plausibility.{rule}"]
        assert name and not any("a" <= ch.lower() <= "z" for ch in name), rule
