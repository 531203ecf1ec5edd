"""School-level G3, G9 and G12 failures reach the school: a 未达标 row in its 问题清单 on the cells the figure
comes from, saying what to do in whole rooms, square metres and people, counted in 报送情况 (issue #12).

Figures by hand (policy national-2017: G3 one room of each type per 12 classes, at least 1, music rooms
≥ 96 m², art rooms ≥ 90 m²; G9 and G12 100 %).

- A (3708300001, 九年一贯制): 13 classes (小学 7 × 40, 初中 6 × 45) → ceil(13 / 12) = 2 rooms of each type.
  It has 1 music room (96.5 m², 专用教室 row 2) → 需增加 1 间音乐教室; 2 art rooms, 美术教室1 90 m² (row 3) and
  美术教室2 85 m² (row 4) → the second is 90 − 85 = 5 m² short. Teachers all trained and certified.
- B (3708300002): 小学 13 + 初中 15 = 28 teachers; 初中 certifies 13 of 15 → 26 of 28 (92.86 %) →
  还有 2 名专任教师未取得教师资格证.
- C (3708300003): 小学 14 + 初中 16 = 30 teachers, 13 + 15 = 28 trained (93.33 %) → 还需 2 名教师完成.
- D (3708300009): a teaching point of A with 2 classes and 20 pupils (under 50: out of R1–R7, in the G
  checks), no special room → 需增加 1 间音乐教室 and 1 间美术教室; 2 of 3 teachers certified (66.67 %) →
  还有 1 名.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook

from expectations.gx_suite import school_rule_violations, smallest_whole_to_rate
from junheng.policy import rules_in_force
from tasks.publish.feedback import ISSUES_SHEET, write_feedback
from tests.fixtures import messy
from tests.unit.test_feedback import PERIOD, run, touch

A, B, C, D = "3708300001", "3708300002", "3708300003", "3708300009"
G3 = "G3 音乐、美术专用教室"
G9 = "G9 教师5年360学时培训完成率"
G12 = "G12 专任教师持有教师资格证上岗率"


def _all_trained_and_certified(ret: dict[str, Any]) -> None:
    for t in ret["teachers"]:
        t.update(trained_360h_teachers=t["teachers"], certified_teachers=t["teachers"])


def school_a() -> dict[str, Any]:
    ret = messy.clean_return(A, 0)
    grades = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "六年级"]
    ret["classes"] = [
        {"section": "小学", "grade": g, "class_name": f"{1 + (i == 6)}班", "students": 40} for i, g in enumerate(grades)
    ] + [
        {"section": "初中", "grade": g, "class_name": f"{n}班", "students": 45}
        for g in ("七年级", "八年级", "九年级")
        for n in (1, 2)
    ]
    for t in ret["teachers"]:  # enough teachers for 280 / 270 students: R1–R3 met
        t.update(teachers=20, teachers_above_required_degree=17, backbone_teachers=4)
    _all_trained_and_certified(ret)
    ret["facilities"][1]["equipment_value_yuan"] = 70  # 万元: R6 met for 初中
    ret["rooms"] = [
        {"section": "共用", "room_type": "音乐", "room_name": "音乐教室1", "area_m2": 96.5},
        {"section": "共用", "room_type": "美术", "room_name": "美术教室1", "area_m2": 90},
        {"section": "共用", "room_type": "美术", "room_name": "美术教室2", "area_m2": 85},
    ]
    return ret


def school_b() -> dict[str, Any]:
    ret = messy.clean_return(B, 1)
    _all_trained_and_certified(ret)
    junior = ret["teachers"][1]
    assert junior["section"] == "初中" and junior["teachers"] == 15 and ret["teachers"][0]["teachers"] == 13
    junior["certified_teachers"] = 13
    return ret


def school_c() -> dict[str, Any]:
    ret = messy.clean_return(C, 2)
    assert [(t["teachers"], t["trained_360h_teachers"]) for t in ret["teachers"]] == [(14, 13), (16, 15)]
    return ret


def teaching_point() -> dict[str, Any]:
    ret = messy.clean_return(D, 4)
    ret["info"].update(
        school_name="城关第一学校王庄教学点", school_type="小学", is_teaching_point="是", parent_school_code=A
    )
    ret["classes"] = [
        {"section": "小学", "grade": "一年级", "class_name": "1班", "students": 12},
        {"section": "小学", "grade": "二年级", "class_name": "1班", "students": 8},
    ]
    ret["teachers"] = [{**ret["teachers"][0], "teachers": 3, "teachers_above_required_degree": 2}]
    ret["teachers"][0].update(
        backbone_teachers=0,
        pe_teachers=1,
        music_teachers=0,
        art_teachers=0,
        rotation_eligible_teachers=2,
        rotated_teachers=1,
        rotated_backbone_teachers=0,
        trained_360h_teachers=3,
    )
    ret["teachers"][0]["certified_teachers"] = 2
    ret["facilities"] = [ret["facilities"][0]]
    ret["rooms"] = []
    ret["quality"] = [q for q in ret["quality"] if q["section"] == "小学"]
    return ret


def _issues(path: Path) -> list[tuple[Any, ...]]:
    return [r for r in load_workbook(path)[ISSUES_SHEET].iter_rows(min_row=5, values_only=True) if r[3]]


def test_g3_g9_g12_failures_reach_the_school(warehouse_url: str, tmp_path: Path) -> None:
    data, out, box = tmp_path / "data", tmp_path / "out", tmp_path / "inbox"
    when = datetime(2026, 11, 2, 9)
    files = [
        touch(messy.write_clean(box / f"{name}.xlsx", build()), when)
        for name, build in (("A", school_a), ("B", school_b), ("C", school_c), ("D", teaching_point))
    ]
    run(warehouse_url, data, files)
    paths = write_feedback(warehouse_url, PERIOD, out, data)
    folder = out / PERIOD / "feedback"

    # A: the music room it lacks, on its 专用教室 row, and the art room too small, on its 使用面积 cell.
    rows = _issues(folder / f"{A}-反馈.xlsx")
    unmet = [r for r in rows if r[3] == "未达标"]
    assert [r[4] for r in unmet] == [G3, G3], unmet  # nothing else: R1–R7, G4, G5 met
    rooms = next(r for r in unmet if r[5] == "1 间")
    assert (rooms[1], rooms[2]) == ("专用教室", "B2")
    assert "全校共 13 个班" in rooms[6] and "应有音乐教室 2 间，现有 1 间" in rooms[6]
    assert "需增加 1 间音乐教室" in rooms[6] and "不小于 96 平方米" in rooms[6]
    assert "「班级学生」表第 2–14 行的班级行数" in rooms[6]
    small = next(r for r in unmet if r[5] == "85 平方米")
    assert (small[1], small[2]) == ("专用教室", "D4")
    assert "美术教室「美术教室2」使用面积为 85 平方米，小于标准 90 平方米" in small[6]
    assert "使用面积需增加 5 平方米" in small[6]
    wb = load_workbook(folder / f"{A}-反馈.xlsx")
    rooms_ws, classes_ws = wb["专用教室"], wb["班级学生"]
    assert rooms_ws["B2"].fill.fgColor.rgb == "FFFFEB9C" and "需增加 1 间音乐教室" in rooms_ws["B2"].comment.text
    assert "使用面积需增加 5 平方米" in rooms_ws["D4"].comment.text and rooms_ws["D4"].value == 85
    assert rooms_ws["B3"].comment is None  # the art room of 90 m² meets the standard
    assert "全校班级数" in classes_ws["C1"].comment.text  # the class rows counted (班级 header)

    # B: 2 uncertified teachers, on the 教师 columns of both 学段 rows (专任教师数 B, 持证 H).
    unmet = [r for r in _issues(folder / f"{B}-反馈.xlsx") if r[3] == "未达标"]
    g12 = [r for r in unmet if r[4] == G12]
    assert len(g12) == 1 and (g12[0][1], g12[0][2], g12[0][5]) == ("教师", "B2、H2、B3、H3", "92.86%")
    assert "全校专任教师 28 人，持有教师资格证的 26 人" in g12[0][6]
    assert "还有 2 名专任教师未取得教师资格证。" in g12[0][6]
    teachers_ws = load_workbook(folder / f"{B}-反馈.xlsx")["教师"]
    assert "还有 2 名" in teachers_ws["H3"].comment.text and teachers_ws["H3"].value == 13

    # C: training incomplete for 2 of 30 (专任教师数 B, 五年360学时 L).
    unmet = [r for r in _issues(folder / f"{C}-反馈.xlsx") if r[3] == "未达标"]
    g9 = [r for r in unmet if r[4] == G9]
    assert len(g9) == 1 and (g9[0][1], g9[0][2], g9[0][5]) == ("教师", "B2、L2、B3、L3", "93.33%")
    assert "全校专任教师 30 人，完成 5 年 360 学时培训的 28 人" in g9[0][6]
    assert "还需 2 名教师完成 5 年 360 学时培训" in g9[0][6]

    # D: a teaching point under 50 pupils is judged on G3 and G12 (not on R1–R7).
    unmet = [r for r in _issues(folder / f"{D}-反馈.xlsx") if r[3] == "未达标"]
    assert sorted((r[4], r[5]) for r in unmet) == [(G12, "66.67%"), (G3, "0 间"), (G3, "0 间")]
    for item in ("音乐", "美术"):
        row = next(r for r in unmet if f"需增加 1 间{item}教室" in r[6])
        assert (row[1], row[2]) == ("专用教室", "B1")  # no room of the type: the 教室类型 header
        assert "全校共 2 个班" in row[6] and f"应有{item}教室 1 间，现有 0 间" in row[6]
    assert "还有 1 名专任教师未取得教师资格证" in next(r for r in unmet if r[4] == G12)[6]

    # 报送情况 counts them: A 2, B and C at least their row, D 3 — as many as each 问题清单 lists.
    status = {r[1]: r for r in load_workbook(paths["overview"])["报送情况"].iter_rows(min_row=2, values_only=True)}
    for code in (A, B, C, D):
        listed = sum(1 for r in _issues(folder / f"{code}-反馈.xlsx") if r[3] == "未达标")
        assert status[code][4] == listed, code
    assert status[A][4] == 2 and status[D][4] == 3


def test_the_amounts_are_whole_and_checked_both_ways() -> None:
    # 26 of 28 → 28 × 100 / 100 − 26 = 2; 1 more would leave 27 / 28 = 96.4 % < 100.
    assert smallest_whole_to_rate(26, 28, 100) == 2
    # A local standard of 95 %: 28 × 0.95 = 26.6 → 27 (27 / 28 = 96.4 %, 26 / 28 = 92.9 %), so 1 more.
    assert smallest_whole_to_rate(26, 28, 95) == 1
    assert smallest_whole_to_rate(28, 28, 100) == 0

    rules = rules_in_force(PERIOD)
    failing = pd.DataFrame(
        [
            # 25 classes → ceil(25 / 12) = 3 music rooms needed, 1 present → 2 more.
            {"indicator_code": "G3", "measure": "rooms", "item": "音乐", "value": 1.0, "threshold": 3.0, "classes": 25},
            # 95 % local figure on a national 100 % line: 1,204 teachers, 1,190 certified → 14 missing.
            {
                "indicator_code": "G12",
                "measure": "rate",
                "item": "",
                "value": 1190 * 100 / 1204,
                "threshold": 100.0,
                "teachers": 1204,
                "certified_teachers": 1190,
            },
        ]
    ).assign(file_id="f" * 64, file_name="甲.xlsx", school_code=A)
    small = pd.DataFrame(
        [{"room_type": "音乐", "room_name": "琴房", "area_m2": 80.4, "threshold": 96.0, "sheet": "专用教室", "row": 7}]
    ).assign(file_id="f" * 64, file_name="甲.xlsx", school_code=A)
    found = {f.value: f for f in school_rule_violations(rules, failing, small)}
    assert "需增加 2 间音乐教室" in found["1 间"].message and "全校共 25 个班" in found["1 间"].message
    g12 = found["98.84%"]  # 1,190 / 1,204 = 98.837 %
    assert "全校专任教师 1,204 人，持有教师资格证的 1,190 人" in g12.message
    assert "还有 14 名专任教师未取得教师资格证。" in g12.message
    room = found["80.4 平方米"]  # 96 − 80.4 = 15.6 m², the template's 使用面积 column D on row 7
    assert room.cell == "D7" and "使用面积需增加 15.6 平方米" in room.message and "「琴房」" in room.message
    assert {f.severity for f in found.values()} == {"violation"} and {f.rule for f in found.values()} == {"G3", "G12"}
