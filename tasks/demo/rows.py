"""Demo return rows drawn for one school plan: classes, teachers, facilities (with 共用 rows), rooms,
quality, and the school's info, each aimed to meet or narrowly miss the thresholds in force."""

from __future__ import annotations

import math
import random
from datetime import date
from typing import Any

from junheng import spec
from junheng.policy import R_CODES, load_rules, period_start, rules_in_force
from tasks.demo.plans import SchoolPlan

REPORTERS = ("张敏", "李静", "王磊", "刘洋", "陈晨", "杨帆", "赵丽", "孙伟")
SECTION_KEY = {"小学": "primary", "初中": "junior"}
# Weighted enrollment (return-template.md): a junior student weighs 1.1, a senior 1.32 primary students.
WEIGHT = {"小学": 1.0, "初中": 1.1}
SENIOR_WEIGHT = 1.32


def thresholds(period: str) -> dict[tuple[str, str], float]:
    """R1–R7 and G5 limits per section from the policy in force (latest rules if none is)."""
    rules = rules_in_force(period) or list(load_rules())
    out: dict[tuple[str, str], float] = {}
    for r in sorted(rules, key=lambda r: r.valid_from):
        if r.measure == "value" and r.scope in ("school_unit", "class") and r.section != "all":
            out[(r.code, r.section)] = r.value
    missing = [(c, s) for c in (*R_CODES, "G5") for s in ("primary", "junior") if (c, s) not in out]
    if missing:
        raise ValueError(f"政策文件缺少演示数据所需的阈值：{missing}")
    return out


def _q(x: float, step: float, up: bool) -> float:
    """Round to a step, up for values that must meet a threshold, down for ones that must miss it."""
    n = x / step
    k = math.ceil(n - 1e-9) if up else math.floor(n + 1e-9)
    return round(max(k, 0) * step, 6)


def _classes(rng: random.Random, plan: SchoolPlan, g5: dict[str, float]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for section, per_grade in plan.per_grade.items():
        lo, hi = plan.sizes[section]
        hi = min(hi, int(g5[section]))
        for grade in plan.grades[section]:
            for k in range(1, per_grade + 1):
                n = rng.randint(lo, hi)
                rows.append(
                    {
                        "section": section,
                        "grade": grade,
                        "class_name": f"{k}班",
                        "students": n,
                        "migrant_students": round(n * rng.uniform(0.0, 0.2)),
                        "disabled_students": 1 if rng.random() < 0.08 else 0,
                    }
                )
        if section in plan.oversized:
            last = max(i for i, r in enumerate(rows) if r["section"] == section)
            rows[last]["students"] = plan.oversized[section]
            rows[last]["migrant_students"] = min(rows[last]["migrant_students"], plan.oversized[section])
    return rows


def _target(
    rng: random.Random, plan: SchoolPlan, thr: dict[tuple[str, str], float], code: str, section: str
) -> tuple[float, bool]:
    """A value of indicator code for a section, and whether it is meant to meet the threshold."""
    base = thr[(code, SECTION_KEY[section])]
    if (code, section) in plan.weak:
        lo, hi = plan.weak[(code, section)]
        return base * rng.uniform(lo, hi), False
    return base * rng.uniform(1.05, 1.45), True


def _teachers(
    rng: random.Random, plan: SchoolPlan, section: str, p: int, thr: dict[tuple[str, str], float]
) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for code, key in (("R1", "teachers_above_required_degree"), ("R2", "backbone_teachers"), ("R3", "arts")):
        x, ok = _target(rng, plan, thr, code, section)
        counts[key] = int(_q(x * p / 100, 1, ok))
    ratio = rng.uniform(13, 17) if section == "小学" else rng.uniform(10.5, 13.5)
    teachers = max(
        round(p / ratio),
        math.ceil(counts["teachers_above_required_degree"] / 0.97),
        counts["arts"] + counts["backbone_teachers"],
        2,
    )
    arts = counts["arts"]
    pe = math.ceil(arts * 0.4)
    music = math.ceil((arts - pe) / 2)
    eligible = round(teachers * rng.uniform(0.15, 0.35))
    rotated = round(eligible * rng.uniform(0.10, 0.25))
    return {
        "section": section,
        "teachers": teachers,
        "teachers_above_required_degree": counts["teachers_above_required_degree"],
        "backbone_teachers": counts["backbone_teachers"],
        "pe_teachers": pe,
        "music_teachers": music,
        "art_teachers": arts - pe - music,
        "certified_teachers": teachers if rng.random() < 0.9 else teachers - 1,
        "rotation_eligible_teachers": eligible,
        "rotated_teachers": rotated,
        "rotated_backbone_teachers": min(rotated, counts["backbone_teachers"], round(rotated * rng.uniform(0.2, 0.5))),
        "trained_360h_teachers": teachers if rng.random() < 0.85 else max(teachers - rng.randint(1, 3), 0),
    }


def _facilities(
    rng: random.Random, plan: SchoolPlan, enrol: dict[str, int], thr: dict[tuple[str, str], float]
) -> list[dict[str, Any]]:
    """Facility rows whose R4–R7, after apportioning any 共用 row, hit the drawn targets.

    A 共用 row holds share f of what the school needs per weighted student; each section's own
    row holds the rest of its target, so apportioning gives back the target (up to rounding,
    which goes up for values meant to pass and down for values meant to miss).
    """
    sections = list(enrol)
    shared = plan.school_type in ("九年一贯制学校", "十二年一贯制学校", "完全中学")
    # totals per section: net teaching area (R4), sports area (R5), equipment 元 (R6), rooms (R7)
    targets = {s: {c: _target(rng, plan, thr, c, s) for c in ("R4", "R5", "R6", "R7")} for s in sections}
    total = {s: {c: targets[s][c][0] * enrol[s] * (0.01 if c == "R7" else 1.0) for c in targets[s]} for s in sections}
    steps = {"R4": 1.0, "R5": 1.0, "R6": 100.0, "R7": 1.0}
    own = {s: dict(total[s]) for s in sections}
    common_row: list[dict[str, Any]] = []
    if shared:
        weighted = sum(WEIGHT[s] * enrol[s] for s in sections) + SENIOR_WEIGHT * plan.senior
        fractions = {
            "R4": rng.uniform(0.15, 0.3),
            "R5": rng.uniform(0.7, 1.0),
            "R6": rng.uniform(0.2, 0.4),
            "R7": rng.uniform(0.05, 0.15),
        }
        common: dict[str, float] = {}
        for c, f in fractions.items():
            per_weighted = f * min(total[s][c] / (WEIGHT[s] * enrol[s]) for s in sections)
            common[c] = _q(per_weighted * weighted, steps[c], False)
            for s in sections:
                own[s][c] -= common[c] * WEIGHT[s] * enrol[s] / weighted
        indoor = _q(common["R5"] * rng.uniform(0.03, 0.08), 1, False)
        common_row.append(
            _facility_row("共用", common["R4"] + indoor, indoor, common["R5"] - indoor, common["R6"], common["R7"])
        )
    rows: list[dict[str, Any]] = []
    for s in sections:
        ok = {c: targets[s][c][1] for c in targets[s]}
        net = _q(own[s]["R4"], 1, ok["R4"])
        sports = _q(own[s]["R5"], 1, ok["R5"])
        indoor = 0.0 if shared or enrol[s] < 300 else _q(sports * rng.uniform(0.03, 0.08), 1, False)
        rows.append(
            _facility_row(
                s, net + indoor, indoor, sports - indoor, _q(own[s]["R6"], 100, ok["R6"]), _q(own[s]["R7"], 1, ok["R7"])
            )
        )
    return rows + common_row


def _facility_row(
    section: str, teaching: float, indoor: float, ground: float, yuan: float, rooms: float
) -> dict[str, Any]:
    return {
        "section": section,
        "teaching_aux_area_m2": int(teaching),
        "indoor_sports_area_m2": int(indoor),
        "sports_ground_area_m2": int(ground),
        "equipment_value_yuan": round(yuan / 10000, 2),  # the template's unit is 万元
        "multimedia_classrooms": int(rooms),
    }


def _rooms(rng: random.Random, plan: SchoolPlan, n_classes: dict[str, int]) -> list[dict[str, Any]]:
    """Music and art rooms: one of each per 12 classes (G3), big enough, unless rooms_short.

    A short school lacks one room where it needs several, else has one music room under 96 m².
    """
    if plan.teaching_point:
        return []
    rows: list[dict[str, Any]] = []
    short = plan.rooms_short
    for section, c in n_classes.items():
        prefix = section if len(n_classes) > 1 else ""
        for room_type, min_area in (("音乐", 96), ("美术", 90)):
            count = max(1, math.ceil(c / 12))
            small = False
            if short:
                count, small, short = (count - 1, False, False) if count > 1 else (count, True, False)
            for k in range(1, count + 1):
                lo, hi = (min_area - 20, min_area - 3) if small else (min_area, min_area + 35)
                area = rng.uniform(lo, hi)
                rows.append(
                    {
                        "section": section,
                        "room_type": room_type,
                        "room_name": f"{prefix}{room_type}教室{k}",
                        "area_m2": round(area, 1),
                    }
                )
    return rows


def _quality(rng: random.Random, enrol: dict[str, int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for section, p in enrol.items():
        tested = p - round(p * rng.uniform(0, 0.03))
        passed = round(tested * rng.uniform(0.93, 0.995))
        myopia = rng.uniform(0.25, 0.45) if section == "小学" else rng.uniform(0.55, 0.75)
        rows.append(
            {
                "section": section,
                "fitness_tested": tested,
                "fitness_passed": passed,
                "fitness_good": round(passed * rng.uniform(0.45, 0.7)),
                "vision_screened": p,
                "myopic": round(p * myopia),
            }
        )
    return rows


def school_return(
    rng: random.Random, plan: SchoolPlan, code: str, period: str, thr: dict[tuple[str, str], float]
) -> dict[str, Any]:
    """The whole return (info and the five row sheets) of one school, for write_return."""
    g5 = {s: thr[("G5", SECTION_KEY[s])] for s in spec.SECTIONS}
    classes = _classes(rng, plan, g5)
    enrol = {s: sum(r["students"] for r in classes if r["section"] == s) for s in plan.per_grade}
    n_classes = {s: sum(1 for r in classes if r["section"] == s) for s in plan.per_grade}
    start = period_start(period)
    info: dict[str, Any] = {
        "school_code": code,
        "school_name": plan.name,
        "school_type": plan.school_type,
        "township": plan.township,
        "urban_rural": plan.urban_rural,
        "is_boarding": plan.boarding,
        "ownership": plan.ownership,
        "is_teaching_point": "是" if plan.teaching_point else "否",
        "parent_school_code": plan.parent_code,
        "founded_year": rng.randint(1952, 2015),
        "senior_students": plan.senior if plan.school_type in spec.TYPES_WITH_SENIOR else None,
        "period": period,
        "reporter": REPORTERS[rng.randrange(len(REPORTERS))],
        "submitted_on": date(start.year, start.month, rng.randint(1, 10)),
    }
    return {
        "info": info,
        "classes": classes,
        "teachers": [_teachers(rng, plan, s, enrol[s], thr) for s in plan.per_grade],
        "facilities": _facilities(rng, plan, enrol, thr),
        "rooms": _rooms(rng, plan, n_classes),
        "quality": _quality(rng, enrol) if rng.random() < 0.9 else [],
    }
