"""Apportioning 共用 rows and unit scope, against hand-computed shares."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from junheng.settings import PolicyChoices
from tasks.model.units import build_units, shared_shares
from tasks.read.file_result import COLUMN_ABSENT
from tasks.read.file_result import COLUMN_ABSENT as READER_COLUMN_ABSENT


def test_nine_year_school_shares() -> None:
    # 九年一贯制, A = 600 primary, B = 300 junior: primary 600/(600+330) = 0.64516…, junior 330/930.
    s = shared_shares(600, 300, 0)
    assert s["primary"] == pytest.approx(600 / 930, rel=1e-12)
    assert s["junior"] == pytest.approx(330 / 930, rel=1e-12)


def test_twelve_year_school_shares() -> None:
    # 十二年一贯制, A = 500, B = 400, C = 300: denominator 500 + 440 + 396 = 1336.
    s = shared_shares(500, 400, 300)
    assert s["primary"] == pytest.approx(500 / 1336, rel=1e-12)
    assert s["junior"] == pytest.approx(440 / 1336, rel=1e-12)


def test_complete_middle_school_share_is_b_over_b_plus_1_2c() -> None:
    # 完全中学, B = 600 junior, C = 500 senior: junior share 600/(600+600) = 0.5 (1.32/1.1 = 1.2).
    s = shared_shares(0, 600, 500)
    assert s["junior"] == pytest.approx(0.5, rel=1e-12)
    assert s["primary"] == 0


def _frames(
    school_type: str,
    classes: list[tuple[str, float]],
    facilities: list[dict[str, object]],
    senior: float | None = None,
    **info: object,
) -> tuple[pd.DataFrame, ...]:
    fid = "f" * 64
    info_df = pd.DataFrame(
        [
            {
                "file_id": fid,
                "school_code": "3708300001",
                "school_type": school_type,
                "ownership": "公办",
                "is_teaching_point": "否",
                "parent_school_code": None,
                "senior_students": senior,
                **info,
            }
        ]
    )
    cls = pd.DataFrame(
        [
            {"file_id": fid, "sheet": "班级学生", "row": i + 2, "section": sec, "students": n}
            for i, (sec, n) in enumerate(classes)
        ]
    )
    teachers = pd.DataFrame(
        [
            {
                "file_id": fid,
                "sheet": "教师",
                "row": 2,
                "section": "小学",
                "teachers": 40.0,
                "teachers_above_required_degree": 30.0,
            }
        ]
    )
    fac = pd.DataFrame([{"file_id": fid, "sheet": "办学条件", "row": i + 2, **f} for i, f in enumerate(facilities)])
    return info_df, cls, teachers, fac


def test_nine_year_school_units_add_own_row_to_share() -> None:
    info, cls, teachers, fac = _frames(
        "九年一贯制学校",
        [("小学", 300.0), ("小学", 300.0), ("初中", 300.0)],
        [
            {"section": "小学", "teaching_aux_area_m2": 1000.0, "indoor_sports_area_m2": 0.0},
            {"section": "共用", "teaching_aux_area_m2": 930.0, "indoor_sports_area_m2": 93.0},
        ],
    )
    units = build_units("2026-10", info, cls, teachers, fac, PolicyChoices()).set_index("section")
    # primary: own 1000 + 930 × 600/930 = 1600; junior: 930 × 330/930 = 330.
    assert units.loc["primary", "teaching_aux_area_m2"] == pytest.approx(1600.0)
    assert units.loc["junior", "teaching_aux_area_m2"] == pytest.approx(330.0)
    assert units.loc["junior", "indoor_sports_area_m2"] == pytest.approx(33.0)
    assert units.loc["primary", "students"] == 600 and units.loc["primary", "classes"] == 2
    # Teachers are reported per section and never apportioned; junior reported none.
    assert units.loc["primary", "teachers"] == 40.0
    assert math.isnan(units.loc["junior", "teachers"])


def test_section_without_students_is_dropped() -> None:
    info, cls, teachers, fac = _frames(
        "九年一贯制学校", [("小学", 300.0), ("初中", 0.0)], [{"section": "共用", "teaching_aux_area_m2": 930.0}]
    )
    units = build_units("2026-10", info, cls, teachers, fac, PolicyChoices())
    assert list(units["section"]) == ["primary"]
    assert units.iloc[0]["teaching_aux_area_m2"] == pytest.approx(930.0)


def test_small_teaching_point_is_not_a_unit_and_large_one_is() -> None:
    for n, expected in ((49.0, False), (50.0, True)):
        info, cls, teachers, fac = _frames(
            "小学", [("小学", n)], [], is_teaching_point="是", parent_school_code="3708300002"
        )
        units = build_units("2026-10", info, cls, teachers, fac, PolicyChoices())
        assert bool(units.iloc[0]["is_unit"]) is expected
        assert bool(units.iloc[0]["in_cv"]) is expected


def test_private_school_is_unit_but_not_in_cv_unless_configured() -> None:
    info, cls, teachers, fac = _frames("小学", [("小学", 400.0)], [], ownership="民办")
    units = build_units("2026-10", info, cls, teachers, fac, PolicyChoices())
    assert bool(units.iloc[0]["is_unit"]) and not bool(units.iloc[0]["in_cv"])
    units = build_units("2026-10", info, cls, teachers, fac, PolicyChoices(private_in_cv=True))
    assert bool(units.iloc[0]["in_cv"])


def test_merge_policy_adds_teaching_point_to_parent() -> None:
    parent = _frames("小学", [("小学", 400.0)], [{"section": "小学", "teaching_aux_area_m2": 2000.0}])
    tp = _frames(
        "小学",
        [("小学", 30.0)],
        [{"section": "小学", "teaching_aux_area_m2": 150.0}],
        is_teaching_point="是",
        parent_school_code="3708300001",
    )
    tp[0].loc[0, "school_code"] = "3708300009"
    for f in tp:
        f["file_id"] = "e" * 64
    frames = [pd.concat([a, b], ignore_index=True) for a, b in zip(parent, tp, strict=True)]
    units = build_units("2026-10", *frames, PolicyChoices(teaching_point_policy="merge")).set_index("school_code")
    assert units.loc["3708300001", "students"] == 430
    assert units.loc["3708300001", "teaching_aux_area_m2"] == pytest.approx(2150.0)
    assert not bool(units.loc["3708300009", "is_unit"])


def test_merge_keeps_a_missing_value_missing() -> None:
    # Parent: 教师 40, 高于规定学历 30, 教辅用房 2000 m², 设备值 not reported.
    # 教学点: 教师 3, 高于规定学历 not reported, 教辅用房 150 m², 设备值 5 (万元 → 50000 元 at read).
    parent = _frames("小学", [("小学", 400.0)], [{"section": "小学", "teaching_aux_area_m2": 2000.0}])
    tp = _frames(
        "小学",
        [("小学", 30.0)],
        [{"section": "小学", "teaching_aux_area_m2": 150.0, "equipment_value_yuan": 50000.0}],
        is_teaching_point="是",
        parent_school_code="3708300001",
    )
    tp[0].loc[0, "school_code"] = "3708300009"
    tp[2].loc[0, ["teachers", "teachers_above_required_degree"]] = [3.0, math.nan]
    for f in tp:
        f["file_id"] = "e" * 64
    frames = [pd.concat([a, b], ignore_index=True) for a, b in zip(parent, tp, strict=True)]
    merged = build_units("2026-10", *frames, PolicyChoices(teaching_point_policy="merge")).set_index("school_code")
    parent_unit = merged.loc["3708300001"]
    assert (parent_unit["students"], parent_unit["teachers"], parent_unit["teaching_aux_area_m2"]) == (430, 43, 2150)
    # Missing on one side: the merged value is not reported (R1 and R6 not reported), never 30 or 50000.
    assert math.isnan(parent_unit["teachers_above_required_degree"])
    assert math.isnan(parent_unit["equipment_value_yuan"])


def _r3_frames(**teacher: object) -> tuple[pd.DataFrame, ...]:
    info, cls, teachers, fac = _frames("小学", [("小学", 60.0), ("小学", 40.0)], [])
    return info, cls, teachers.assign(**teacher), fac


@pytest.mark.parametrize(("choice", "r3"), [("music_art", 3.0), ("all_art", 5.0)])
def test_r3_teachers_follow_the_art_choice(choice: str, r3: float) -> None:
    # 体育 1 + 音乐 1 + 美术 1 (+ 其他艺术 2 under all_art); P = 100, so R3 = count / 100 × 100.
    frames = _r3_frames(pe_teachers=1.0, music_teachers=1.0, art_teachers=1.0, other_art_teachers=2.0)
    unit = build_units("2026-10", *frames, PolicyChoices(r3_art_teachers=choice)).iloc[0]  # type: ignore[arg-type]
    assert unit["students"] == 100.0
    assert unit["r3_teachers"] == r3
    assert unit["r3_teachers"] / unit["students"] * 100 == r3
    assert unit["other_art_teachers"] == 2.0  # stored as reported, whatever the choice


def test_r3_other_art_column_absent_counts_zero_but_a_blank_cell_is_not_reported() -> None:
    base = {"pe_teachers": 1.0, "music_teachers": 1.0, "art_teachers": 1.0}
    all_art = PolicyChoices(r3_art_teachers="all_art")
    # An older return without the column (the reader's marker): its school reported music and art only.
    absent = _r3_frames(**base, other_art_teachers=math.nan, other_art_teachers__raw="(列缺失)")
    assert build_units("2026-10", *absent, all_art).iloc[0]["r3_teachers"] == 3.0
    # The column is there but the cell is blank: never guessed, so R3 is not reported under all_art.
    blank = _r3_frames(**base, other_art_teachers=math.nan, other_art_teachers__raw=None)
    assert math.isnan(build_units("2026-10", *blank, all_art).iloc[0]["r3_teachers"])
    assert build_units("2026-10", *blank, PolicyChoices()).iloc[0]["r3_teachers"] == 3.0


def test_r3_teachers_missing_when_a_base_count_is_missing() -> None:
    frames = _r3_frames(pe_teachers=1.0, music_teachers=math.nan, art_teachers=1.0)
    assert math.isnan(build_units("2026-10", *frames, PolicyChoices()).iloc[0]["r3_teachers"])


def test_column_absent_marker_matches_the_reader() -> None:
    assert COLUMN_ABSENT == READER_COLUMN_ABSENT
