"""What a school is told to add, checked against hand-computed figures (no warehouse needed)."""

from __future__ import annotations

from typing import Any

from tasks.publish.feedback.amounts import class_over, money, shortfall, smallest_whole
from tasks.publish.feedback.names import rule_name


def row(students: float, resource: float, threshold: float, floor: float, per: float, **need: Any) -> dict[str, Any]:
    return {
        "students": students,
        "resource": resource,
        "value": resource * per / students,
        "threshold": threshold,
        "floor": floor,
        "per_students": per,
        **need,
    }


def test_whole_teachers_are_rounded_up_and_checked_both_ways() -> None:
    # 772 初中 students, no 体育/艺术 teacher, R3 ≥ 0.9 per 100: 0.9 × 772 / 100 = 6.948 → 7.
    # 7 more: 700 / 772 = 0.9067 ≥ 0.9; 6 more: 600 / 772 = 0.7772 < 0.9.
    assert smallest_whole(0, 772, 100, 0.9) == 7
    # The 85 % floor 0.765: 0.765 × 7.72 = 5.9058 → 6; 6 more: 0.7772 ≥ 0.765, 5 more: 0.6477 < 0.765.
    assert smallest_whole(0, 772, 100, 0.765) == 6
    # A wrong starting guess is corrected either way.
    assert smallest_whole(0, 772, 100, 0.9, start=6) == 7
    assert smallest_whole(0, 772, 100, 0.9, start=9) == 7
    # An exact need: 4.2 × 500 / 100 − 20 = 1 (1.0000000000000036 in floating point) is 1, not 2.
    assert smallest_whole(20, 500, 100, 4.2) == 1
    # Already meeting: nothing to add.
    assert smallest_whole(30, 500, 100, 4.2) == 0


def test_the_shortfall_names_the_amount_in_its_own_unit() -> None:
    _, text = shortfall("R3", "初中", row(772, 0, 0.9, 0.765, 100, need_to_threshold_whole=7, need_to_floor_whole=6))
    assert "需增加 7 名体育或艺术（音乐、美术）专任教师可达到标准" in text
    assert "至少增加 6 名可达到标准的 85%（0.765 人/百名学生）" in text
    assert "初中在校生 772 人" in text and "R3" not in text

    # R1 at 4.66 with 536 students, 25 teachers: 5.3 × 5.36 = 28.408 → 4 more (29 / 5.36 = 5.41; 28 / 5.36 = 5.22).
    # 4.66 is above the floor 4.505: no floor amount, said so.
    found, text = shortfall("R1", "初中", row(536, 25, 5.3, 4.505, 100))
    assert found == "4.66 人/百名学生"
    assert "需增加 4 名高于规定学历的专任教师可达到标准" in text and "已达到标准的 85%，即 4.505 人/百名学生" in text

    # R4 3.94 m²/生 at 460 students and 1,814 m²: 4.5 × 460 = 2,070 → 256 平方米 (2,070 / 460 = 4.5).
    _, text = shortfall("R4", "小学", row(460, 1814, 4.5, 3.825, 1))
    assert "需增加 256 平方米教学及辅助用房面积" in text

    # R6 at 772 students and 1,247,600 元: 2,500 × 772 = 1,930,000 → 682,400 元 = 68.24 万元;
    # the floor 2,125 × 772 = 1,640,500 → 392,900 元 = 39.29 万元.
    _, text = shortfall("R6", "初中", row(772, 1247600, 2500, 2125, 1))
    assert "需增加 68.24 万元（682,400 元）教学仪器设备值" in text
    assert "至少增加 39.29 万元（392,900 元）可达到标准的 85%（2,125 元/生）" in text

    # R7 1.27 间 per 100 at 158 students, 2 rooms: 2.3 × 1.58 = 3.634 → 2 more (4 / 1.58 = 2.53; 3 / 1.58 = 1.90).
    _, text = shortfall("R7", "小学", row(158, 2, 2.3, 1.955, 100))
    assert "需增加 2 间网络多媒体教室可达到标准" in text
    # floor: 1.955 × 1.58 = 3.0889 → 2 more (3 / 1.58 = 1.899 < 1.955).
    assert "至少增加 2 间可达到标准的 85%（1.955 间/百名学生）" in text


def test_money_rounds_the_wan_yuan_figure_up() -> None:
    assert money(16901) == "1.7 万元（16,901 元）"  # 1.6901 万元 shown as 1.70: never less than needed
    assert money(682400) == "68.24 万元（682,400 元）"
    assert money(950) == "950 元"


def test_an_oversized_class_says_how_many_over() -> None:
    assert class_over(48, 45).startswith("多 3 人") and "需减少 3 名学生" in class_over(48, 45)


def test_rule_names_are_chinese() -> None:
    # The shared names of expectations.messages (when present) or the local ones: Chinese either way.
    assert rule_name("total.mismatch") in ("合计与分项之和不符", "合计与明细不符")
    assert rule_name("plausibility.unit_slip") == "疑似单位填错"
    assert rule_name("R1") == "R1 每百名学生拥有高于规定学历教师数"
    assert rule_name("sheet.something_new") == "工作表结构"
    assert rule_name("no.such.rule") == "其他问题"
