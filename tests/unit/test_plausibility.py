"""Plausibility 提醒: a unit slip of 教学仪器设备值 and values far off the run's median, each with its
clean twin that must stay silent."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from junheng.contract import ReceivedFile, ReturnBatch
from tasks.validate.plausibility import check_plausibility

PERIOD = "2026-10"
COLUMNS = {
    "section": "A",
    "teaching_aux_area_m2": "B",
    "indoor_sports_area_m2": "C",
    "sports_ground_area_m2": "D",
    "equipment_value_yuan": "E",
    "multimedia_classrooms": "F",
}


def batch(equipment: list[float], students: int = 200) -> ReturnBatch:
    """One 小学 per value: ``students`` pupils in five classes, 5 m² and 10 m² per pupil, 5 rooms; equipment in 元."""
    ids = [f"{i:064d}" for i in range(len(equipment))]
    files = [ReceivedFile(f, f"学校{i}.xlsx", "", "", datetime(2026, 11, 1), 1) for i, f in enumerate(ids)]
    # Five classes of a fifth each: a class of 200 would be impossible (plausibility.impossible).
    classes = pd.DataFrame(
        [
            {"file_id": f, "sheet": "班级学生", "row": 2 + k, "section": "小学", "students": students / 5}
            for f in ids
            for k in range(5)
        ]
    )
    facilities = pd.DataFrame(
        [
            {
                "file_id": f,
                "sheet": "办学条件",
                "row": 2,
                "section": "小学",
                "teaching_aux_area_m2": 5.0 * students,
                "indoor_sports_area_m2": 0.0,
                "sports_ground_area_m2": 10.0 * students,
                "equipment_value_yuan": e,
                "multimedia_classrooms": 5.0,
            }
            for f, e in zip(ids, equipment, strict=True)
        ]
    )
    info = pd.DataFrame([{"file_id": f, "school_code": f"37083000{i:02d}"} for i, f in enumerate(ids)])
    return ReturnBatch(
        files=files,
        info=info,
        frames={"classes": classes, "facilities": facilities},
        columns={(f, "办学条件"): COLUMNS for f in ids},
    )


def test_equipment_unit_slips_are_warnings_on_the_cell() -> None:
    # 200 pupils, R6 standard 2,000 元/生. 5,000,000,000 元 = 25,000,000 元/生 = 12,500 × the standard:
    # 元 typed into the 万元 column. 50 元 = 0.25 元/生 = 0.000125 × the standard: 万元 typed into 元.
    found = check_plausibility(batch([500_000, 500_000, 5_000_000_000, 50]), PERIOD)
    slips = [f for f in found if f.rule == "plausibility.unit_slip"]
    assert [(f.school_code, f.sheet, f.cell, f.severity, f.section) for f in slips] == [
        ("3708300002", "办学条件", "E2", "warning", "primary"),
        ("3708300003", "办学条件", "E2", "warning", "primary"),
    ]
    assert "元”为单位的金额填进了以“万元" in slips[0].message and "12,500 倍" in slips[0].message
    assert slips[0].value == "折合 5,000,000,000 元"  # in 元 whatever the header's unit said
    assert "万元”为单位的金额填进了以“元" in slips[1].message and "请核实" in slips[1].message


def test_clean_twin_has_no_warning() -> None:
    assert check_plausibility(batch([500_000, 400_000, 600_000, 450_000, 550_000, 500_000]), PERIOD) == []


def test_a_value_far_off_the_median_of_the_section() -> None:
    # Six schools at 2,500 元/生 and one with an extra 0: 25,000 元/生 = 10 × the median 2,500.
    values = [500_000.0] * 6 + [5_000_000.0]
    found = check_plausibility(batch(values), PERIOD)
    assert [(f.rule, f.school_code, f.cell) for f in found] == [("plausibility.outlier", "3708300006", "E2")]
    assert "是中位数的 10 倍" in found[0].message and "7 个小学学校的中位数为 2,500 元" in found[0].message
    # 4.9 × the median stays silent; with fewer than five schools there is no median to judge by.
    assert check_plausibility(batch([500_000.0] * 6 + [2_450_000.0]), PERIOD) == []
    assert check_plausibility(batch([500_000.0] * 3 + [5_000_000.0]), PERIOD) == []


def test_no_per_student_warning_for_an_impossible_class_size() -> None:
    # A class of 10^12 (number.out_of_range) would make 500,000 元 look like 万元 typed into 元.
    assert check_plausibility(batch([500_000.0] * 6, students=5 * 10**12), PERIOD) == []
