"""G3, G4, G5, G9, G11, G12 and the 质量监测 targets against hand-computed values, boundaries included."""

from __future__ import annotations

import pandas as pd
import pytest

from junheng.policy import rules_in_force
from tasks.model.indicators_g import (
    fitness_county,
    g3_school,
    g4_school,
    g5_school,
    g11_county,
    myopia_change,
    rate,
    required_rooms,
    school_rules,
    teacher_rate_school,
)

RULES = rules_in_force("2026-10", overlays=())
LOCAL = rules_in_force("2026-10", overlays=("wenshang-2022",))


@pytest.mark.parametrize(("classes", "rooms"), [(1, 1), (11, 1), (12, 1), (13, 2), (24, 2), (25, 3), (36, 3), (37, 4)])
def test_required_rooms_is_ceil_of_classes_over_12_at_least_one(classes: int, rooms: int) -> None:
    assert required_rooms(classes, 12) == rooms


def _by(results: list, measure: str, item: str):  # type: ignore[no-untyped-def]
    [r] = [r for r in results if r.measure == measure and r.item == item]
    return r


def test_g3_counts_rooms_per_type_and_checks_every_room_area() -> None:
    # 13 classes → 2 rooms of each type. Music: 2 rooms, one of 95.9 m² (below 96). Art: 1 room of exactly 90.
    rooms = [("音乐", 96.0), ("音乐", 95.9), ("美术", 90.0)]
    res = g3_school("s", 13, rooms, RULES)
    music_n, art_n = _by(res, "rooms", "音乐"), _by(res, "rooms", "美术")
    assert (music_n.value, music_n.threshold, music_n.meets) == (2.0, 2.0, True)
    assert (art_n.value, art_n.threshold, art_n.meets) == (1.0, 2.0, False)
    music_a, art_a = _by(res, "area", "音乐"), _by(res, "area", "美术")
    assert (music_a.value, music_a.threshold, music_a.meets) == (95.9, 96.0, False)
    assert (art_a.value, art_a.threshold, art_a.meets) == (90.0, 90.0, True)  # exactly at the threshold


def test_g3_twelve_classes_need_one_room_and_no_room_is_unmet_not_unknown() -> None:
    res = g3_school("s", 12, [("音乐", 120.0)], RULES)
    assert _by(res, "rooms", "音乐").meets is True
    assert (_by(res, "rooms", "美术").value, _by(res, "rooms", "美术").meets) == (0.0, False)
    # No art room: no area line at all (not a guessed 0 m², and not an unknown that would make the
    # county's area line 未报告); the rooms line above carries the shortfall.
    assert [r for r in res if r.measure == "area" and r.item == "美术"] == []


def test_g3_room_without_area_is_not_judged() -> None:
    res = g3_school("s", 5, [("音乐", None), ("美术", 91.0)], RULES)
    assert _by(res, "area", "音乐").meets is None
    assert _by(res, "area", "美术").meets is True


@pytest.mark.parametrize(
    ("school_type", "students", "limit", "meets"),
    [
        ("小学", 2000.0, 2000.0, True),
        ("小学", 2001.0, 2000.0, False),
        ("完全中学", 2000.0, 2000.0, True),
        ("九年一贯制学校", 2500.0, 2500.0, True),
        ("十二年一贯制学校", 2501.0, 2500.0, False),
    ],
)
def test_g4_school_size_by_type(school_type: str, students: float, limit: float, meets: bool) -> None:
    [r] = g4_school("s", school_type, students, RULES)
    assert (r.value, r.threshold, r.meets) == (students, limit, meets)


def test_g5_largest_class_per_section() -> None:
    res = g5_school("s", {"primary": [45.0, 44.0, 30.0], "junior": [50.0, 51.0, 49.0]}, RULES)
    p = next(r for r in res if r.section == "primary")
    j = next(r for r in res if r.section == "junior")
    assert (p.value, p.threshold, p.meets) == (45.0, 45.0, True)  # 45 is allowed
    assert (j.value, j.threshold, j.meets) == (51.0, 50.0, False)
    assert "1 个超过" in j.note


def test_rate_multiplies_before_dividing() -> None:
    assert rate(3, 30) == 10.0  # exactly the G11 threshold, not 9.999…
    assert rate(1, 3) == pytest.approx(33.333333333)
    assert rate(None, 30) is None and rate(3, None) is None and rate(3, 0) is None


@pytest.mark.parametrize(
    ("part", "teachers", "value", "meets"),
    [(40.0, 40.0, 100.0, True), (39.0, 40.0, 97.5, False), (None, 40.0, None, None), (40.0, None, None, None)],
)
def test_g9_and_g12_are_100_percent_rates(part: float | None, teachers: float | None, value, meets) -> None:  # type: ignore[no-untyped-def]
    for code in ("G9", "G12"):
        [r] = teacher_rate_school("s", code, part, teachers, RULES)
        assert (r.value, r.threshold, r.meets) == (value, 100.0, meets)


def _sections(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["school_code", "rotation_eligible_teachers", "rotated_teachers", "rotated_backbone_teachers"]
    )


def test_g11_county_totals_at_the_boundaries() -> None:
    # Eligible 20 + 10 = 30, rotated 2 + 1 = 3 (10 % exactly), backbone 0 + 1 of 3 rotated = 33.3 % (≥ 20 %).
    values = g11_county(_sections([("a", 20, 2, 0), ("b", 10, 1, 1)]))
    rotated = next(v for v in values if v.item == "交流轮岗")
    backbone = next(v for v in values if v.item == "骨干教师")
    assert rotated.value == 10.0
    assert backbone.value == pytest.approx(100 / 3)
    rule = next(r for r in RULES if r.code == "G11" and r.item == "交流轮岗")
    assert rule.passes(rotated.value)


def test_g11_is_not_reported_when_a_school_left_a_count_out() -> None:
    values = g11_county(_sections([("a", 20, 2, 0), ("b", float("nan"), 1, 1)]))
    assert next(v for v in values if v.item == "交流轮岗").value is None


def _quality(rows: list[tuple[str, float, float, float, float, float]]) -> pd.DataFrame:
    cols = ["school_code", "fitness_tested", "fitness_passed", "fitness_good", "vision_screened", "myopic"]
    return pd.DataFrame(rows, columns=cols)


def test_fitness_rates_exactly_at_the_local_targets() -> None:
    # 120 + 80 = 200 tested; good 66 + 44 = 110 → 55 %; passed 118 + 78 = 196 → 98 %.
    q = _quality([("a", 120, 118, 66, 100, 40), ("b", 80, 78, 44, 100, 41)])
    l1, l2 = fitness_county(q)
    assert (l1.value, l2.value) == (55.0, 98.0)
    rules = {r.code: r for r in LOCAL}
    assert rules["L1"].passes(l1.value) and rules["L2"].passes(l2.value)
    l1b, l2b = fitness_county(_quality([("a", 200, 195, 109, 0, 0)]))
    assert (l1b.value, l2b.value) == (54.5, 97.5)
    assert not rules["L1"].passes(l1b.value) and not rules["L2"].passes(l2b.value)


def test_myopia_change_against_the_same_period_last_year() -> None:
    rule = next(r for r in LOCAL if r.code == "L3")
    last = _quality([("a", 0, 0, 0, 600, 250), ("b", 0, 0, 0, 400, 160)])  # 410 / 1000 = 41.0 %
    exactly = myopia_change(_quality([("a", 0, 0, 0, 1000, 405)]), last)  # 40.5 %: down 0.5 point
    assert exactly.value == -0.5 and rule.passes(exactly.value)
    short = myopia_change(_quality([("a", 0, 0, 0, 1000, 406)]), last)  # 40.6 %: down only 0.4
    assert short.value == pytest.approx(-0.4) and not rule.passes(short.value)
    missing = myopia_change(_quality([("a", 0, 0, 0, 1000, 406)]), _quality([]))
    assert missing.value is None and "上年同期" in missing.note


def test_school_rules_frame_for_a_nine_year_school() -> None:
    schools = pd.DataFrame([{"school_code": "s", "school_type": "九年一贯制学校", "file_id": "f"}])
    sections = pd.DataFrame(
        [
            {
                "school_code": "s",
                "section": "primary",
                "students": 1300.0,
                "teachers": 60.0,
                "trained_360h_teachers": 60.0,
                "certified_teachers": 60.0,
            },
            {
                "school_code": "s",
                "section": "junior",
                "students": 1200.0,
                "teachers": 40.0,
                "trained_360h_teachers": 38.0,
                "certified_teachers": 40.0,
            },
        ]
    )
    classes = pd.DataFrame(
        [{"school_code": "s", "section": "primary", "students": 43.0}] * 30
        + [{"school_code": "s", "section": "junior", "students": 50.0}] * 24
    )
    rooms = pd.DataFrame(
        [{"school_code": "s", "room_type": "音乐", "area_m2": 100.0}] * 5
        + [{"school_code": "s", "room_type": "美术", "area_m2": 90.0}] * 4
    )
    out = school_rules(schools, sections, classes, rooms, RULES)
    got = {(r.indicator_code, r.measure, r.item, r.section): (r.value, r.threshold, r.meets) for r in out.itertuples()}
    # 54 classes → ceil(54/12) = 5 rooms of each type: 5 music (met), 4 art (unmet).
    assert got[("G3", "rooms", "音乐", "all")] == (5.0, 5.0, True)
    assert got[("G3", "rooms", "美术", "all")] == (4.0, 5.0, False)
    # 1300 + 1200 = 2500 students: exactly the 一贯制 limit.
    assert got[("G4", "value", "", "all")] == (2500.0, 2500.0, True)
    assert got[("G5", "value", "", "primary")] == (43.0, 45.0, True)
    assert got[("G5", "value", "", "junior")] == (50.0, 50.0, True)
    # 98 of 100 teachers trained → 98 %; 100 of 100 certified → 100 %.
    assert got[("G9", "rate", "", "all")] == (98.0, 100.0, False)
    assert got[("G12", "rate", "", "all")] == (100.0, 100.0, True)
