"""A deterministic demo county: one plausible JH-2026.1 return per school, written with write_return."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from junheng import spec
from junheng.policy import R_CODES, load_rules, period_start, rules_in_force
from tasks.demo.county import demo_county_return
from tasks.publish.county_template import write_county_return
from tasks.publish.template import write_return

COUNTY_CODE = "370830"  # school codes are COUNTY_CODE + a 4-digit serial: 3708300001, ...
MIN_SCHOOLS = 6  # the fixed archetypes below
MAX_SCHOOLS = 9999

TOWNSHIPS = (
    "城关街道",
    "东城街道",
    "北关镇",
    "南湖镇",
    "西岭镇",
    "东坡镇",
    "柳河镇",
    "青石镇",
    "马庄镇",
    "桥头镇",
    "杏林乡",
    "白沙乡",
)
VILLAGES = ("王庄", "李家洼", "后营", "石桥", "小河沿", "东刘", "西杨", "北孙", "前屯", "大柳树")
REPORTERS = ("张敏", "李静", "王磊", "刘洋", "陈晨", "杨帆", "赵丽", "孙伟")
PRIMARY_GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")
JUNIOR_GRADES = ("七年级", "八年级", "九年级")
SECTION_KEY = {"小学": "primary", "初中": "junior"}
# Weighted enrollment (return-template.md): a junior student weighs 1.1, a senior 1.32 primary students.
WEIGHT = {"小学": 1.0, "初中": 1.1}
SENIOR_WEIGHT = 1.32

# broken=True adds one file per rule (the validation rule ids), named <code>_broken_<rule>.xlsx.
BROKEN_RULES = {
    "subcount.exceeds_total": "教师表中高于规定学历教师数大于专任教师数",
    "count.negative": "班级学生表中有一个班的学生数为负数",
}

_CN = "零一二三四五六七八九"


def _cn(n: int) -> str:
    """1..99 in Chinese numerals (第一, 第十二), digits beyond."""
    if n < 10:
        return _CN[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")
    return str(n)


@dataclass
class _Plan:
    """What a school looks like before its numbers are drawn."""

    school_type: str
    name: str
    township: str
    urban_rural: str
    ownership: str = "公办"
    boarding: str = "否"
    teaching_point: bool = False
    parent_code: str | None = None
    # Classes per grade and class size range per section.
    per_grade: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    grades: dict[str, tuple[str, ...]] = field(default_factory=dict)
    senior: int = 0
    # Indicators below threshold: code -> factor range of the threshold (e.g. (0.87, 0.97)).
    weak: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    oversized: dict[str, int] = field(default_factory=dict)  # section -> size of one oversized class
    rooms_short: bool = False


def _thresholds(period: str) -> dict[tuple[str, str], float]:
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


def _archetypes(rng: random.Random) -> list[_Plan]:
    """The six schools every demo county has, whatever its size."""
    both = {"小学": PRIMARY_GRADES, "初中": JUNIOR_GRADES}
    return [
        # Big urban primary school: above 2000 students, one oversized class, cramped playground.
        _Plan(
            "小学",
            "城关街道第一实验小学",
            "城关街道",
            "城区",
            per_grade={"小学": 8},
            sizes={"小学": (42, 45)},
            grades=both,
            weak={("R5", "小学"): (0.88, 0.95)},
            oversized={"小学": 48},
        ),
        _Plan(
            "初级中学",
            "北关镇中学",
            "北关镇",
            "镇区",
            boarding="是",
            per_grade={"初中": 6},
            sizes={"初中": (40, 50)},
            grades=both,
            oversized={"初中": 54},
        ),
        # Nine-year school with a shared (共用) facilities row; parent of the teaching point.
        _Plan(
            "九年一贯制学校",
            "西岭镇中心学校",
            "西岭镇",
            "乡村",
            boarding="是",
            per_grade={"小学": 2, "初中": 2},
            sizes={"小学": (30, 42), "初中": (35, 48)},
            grades=both,
        ),
        # Twelve-year private school: 共用 row shared with its senior part.
        _Plan(
            "十二年一贯制学校",
            "东城外国语学校",
            "东城街道",
            "城区",
            ownership="民办",
            boarding="是",
            per_grade={"小学": 3, "初中": 3},
            sizes={"小学": (35, 45), "初中": (40, 50)},
            grades=both,
            senior=rng.randint(600, 900),
        ),
        _Plan(
            "完全中学",
            "南湖镇第二中学",
            "南湖镇",
            "镇区",
            boarding="是",
            per_grade={"初中": 5},
            sizes={"初中": (42, 50)},
            grades=both,
            senior=rng.randint(900, 1400),
            weak={("R1", "初中"): (0.88, 0.96)},
        ),
        _Plan(
            "小学",
            "西岭镇王庄教学点",
            "西岭镇",
            "乡村",
            teaching_point=True,
            per_grade={"小学": 1},
            sizes={"小学": (5, 11)},
            grades={"小学": PRIMARY_GRADES[:4]},
        ),
    ]


def _ordinal(town: str, suffix: str, taken: set[str]) -> str:
    """The first free ordinal name in a township: 南湖镇第一小学, 南湖镇第二小学, ..."""
    k = 1
    while f"{town}第{_cn(k)}{suffix}" in taken:
        k += 1
    taken.add(name := f"{town}第{_cn(k)}{suffix}")
    return name


def _unique(name: str, taken: set[str]) -> str:
    """name, or name（二）, name（三）... when it is taken."""
    k, out = 1, name
    while out in taken:
        k += 1
        out = f"{name}（{_cn(k)}）"
    taken.add(out)
    return out


def _random_plan(rng: random.Random, parents: list[str], taken: set[str]) -> _Plan:
    both = {"小学": PRIMARY_GRADES, "初中": JUNIOR_GRADES}
    town = TOWNSHIPS[rng.randrange(len(TOWNSHIPS))]
    urban = "城区" if town.endswith("街道") else rng.choice(("镇区", "乡村", "乡村"))
    kind = rng.choices(
        ("小学", "初级中学", "九年一贯制学校", "教学点", "完全中学", "十二年一贯制学校"),
        weights=(55, 20, 15, 6, 3, 1),
    )[0]
    big = urban == "城区"
    if kind == "教学点":
        village = VILLAGES[rng.randrange(len(VILLAGES))]
        plan = _Plan(
            "小学",
            _unique(f"{town}{village}教学点", taken),
            town,
            "乡村",
            teaching_point=True,
            parent_code=parents[rng.randrange(len(parents))],
            per_grade={"小学": 1},
            sizes={"小学": (4, 12)},
            grades={"小学": PRIMARY_GRADES[: rng.randint(2, 4)]},
        )
    elif kind == "小学":
        n = rng.randint(3, 6) if big else rng.randint(1, 3)
        lo = 30 if n > 1 else 20
        plan = _Plan(
            "小学",
            _ordinal(town, "小学", taken),
            town,
            urban,
            per_grade={"小学": n},
            sizes={"小学": (lo, 45)},
            grades=both,
        )
    elif kind == "初级中学":
        plan = _Plan(
            "初级中学",
            _ordinal(town, "中学", taken),
            town,
            urban,
            boarding="否" if big else "是",
            per_grade={"初中": rng.randint(3, 8)},
            sizes={"初中": (35, 50)},
            grades=both,
        )
    elif kind == "九年一贯制学校":
        plan = _Plan(
            "九年一贯制学校",
            _ordinal(town, "学校", taken),
            town,
            urban,
            boarding=rng.choice(("是", "否")),
            per_grade={"小学": rng.randint(1, 3), "初中": rng.randint(1, 3)},
            sizes={"小学": (28, 45), "初中": (32, 50)},
            grades=both,
        )
    elif kind == "完全中学":
        plan = _Plan(
            "完全中学",
            _ordinal(town, "完全中学", taken),
            town,
            urban,
            boarding="是",
            per_grade={"初中": rng.randint(4, 8)},
            sizes={"初中": (40, 50)},
            grades=both,
            senior=rng.randint(600, 1500),
        )
    else:
        plan = _Plan(
            "十二年一贯制学校",
            _ordinal(town, "实验学校", taken),
            town,
            urban,
            boarding="是",
            per_grade={"小学": rng.randint(2, 4), "初中": rng.randint(2, 4)},
            sizes={"小学": (35, 45), "初中": (40, 50)},
            grades=both,
            senior=rng.randint(500, 1000),
        )
    if not plan.teaching_point and rng.random() < 0.03:
        plan.ownership = "民办"
    # Most schools meet every threshold; some miss one narrowly (still pass the 6-of-7 rule), a few
    # miss two clearly, so the report has something to say.
    draw = rng.random()
    sections = list(plan.per_grade)
    if draw < 0.20:
        plan.weak[(rng.choice(R_CODES), rng.choice(sections))] = (0.87, 0.97)
    elif draw < 0.28:
        sec = rng.choice(sections)
        for code in rng.sample(R_CODES, 2):
            plan.weak[(code, sec)] = (0.6, 0.82)
    plan.rooms_short = rng.random() < 0.12
    return plan


def _q(x: float, step: float, up: bool) -> float:
    """Round to a step, up for values that must meet a threshold, down for ones that must miss it."""
    n = x / step
    k = math.ceil(n - 1e-9) if up else math.floor(n + 1e-9)
    return round(max(k, 0) * step, 6)


def _classes(rng: random.Random, plan: _Plan, g5: dict[str, float]) -> list[dict[str, Any]]:
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
    rng: random.Random, plan: _Plan, thr: dict[tuple[str, str], float], code: str, section: str
) -> tuple[float, bool]:
    """A value of indicator code for a section, and whether it is meant to meet the threshold."""
    base = thr[(code, SECTION_KEY[section])]
    if (code, section) in plan.weak:
        lo, hi = plan.weak[(code, section)]
        return base * rng.uniform(lo, hi), False
    return base * rng.uniform(1.05, 1.45), True


def _teachers(
    rng: random.Random, plan: _Plan, section: str, p: int, thr: dict[tuple[str, str], float]
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
    rng: random.Random, plan: _Plan, enrol: dict[str, int], thr: dict[tuple[str, str], float]
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


def _rooms(rng: random.Random, plan: _Plan, n_classes: dict[str, int]) -> list[dict[str, Any]]:
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


def _return(
    rng: random.Random, plan: _Plan, code: str, period: str, thr: dict[tuple[str, str], float]
) -> dict[str, Any]:
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


def school_code(serial: int) -> str:
    """The 10-digit demo school code of serial 1, 2, ... (3708300001, ...)."""
    return f"{COUNTY_CODE}{serial:04d}"


def _drift(rets: list[tuple[str, dict[str, Any]]], seed: int, period: str, drift: float) -> None:
    """Month-to-month change for a multi-period demo: every school's facilities move by up to
    ±drift (seeded by seed and period, so each period differs), and one school's 仪器设备值 is
    typed with an extra 0 (×10) — the slip the outlier and period-change checks should catch.
    Rural (乡村) schools keep only 0–30 % of their 音体美 teachers, the gap real counties have,
    so the R3 差异系数 exceeds its limit and the report has a plan to show."""
    rng = random.Random(f"{seed}:{period}")  # noqa: S311 - reproducible demo data
    for _, ret in rets:
        if ret["info"]["urban_rural"] == "乡村":
            keep = rng.uniform(0.0, 0.3)
            for t in ret["teachers"]:
                for key in ("pe_teachers", "music_teachers", "art_teachers"):
                    t[key] = int(t[key] * keep)
        f = rng.uniform(1 - drift, 1 + drift)
        for row in ret["facilities"]:
            for key in ("teaching_aux_area_m2", "indoor_sports_area_m2", "sports_ground_area_m2"):
                row[key] = int(row[key] * f)
            row["equipment_value_yuan"] = round(row["equipment_value_yuan"] * f, 2)
            row["multimedia_classrooms"] = max(0, round(row["multimedia_classrooms"] * f))
    schools = [ret for _, ret in rets[1:] if ret["info"]["is_teaching_point"] == "否"]
    slip = schools[rng.randrange(len(schools))]["facilities"][0]
    slip["equipment_value_yuan"] = round(slip["equipment_value_yuan"] * 10, 2)


def make_demo_returns(
    *, schools: int = 24, period: str = "2026-10", seed: int = 7, broken: bool = False, drift: float = 0.0
) -> list[tuple[str, dict[str, Any]]]:
    """(file name, return dict for write_return) per school, deterministic for a seed."""
    if not MIN_SCHOOLS <= schools <= MAX_SCHOOLS - (2 if broken else 0):
        raise ValueError(f"学校数 {schools} 超出范围：演示县至少 {MIN_SCHOOLS} 所、至多 {MAX_SCHOOLS} 所学校")
    thr = _thresholds(period)
    rng = random.Random(seed)  # noqa: S311 - demo data must be reproducible, not secret
    plans = _archetypes(rng)
    taken = {p.name for p in plans}
    parents = [school_code(1), school_code(3)]  # public schools with primary sections
    plans[5].parent_code = school_code(3)
    for serial in range(len(plans) + 1, schools + 1):
        plan = _random_plan(rng, parents, taken)
        if plan.school_type in ("小学", "九年一贯制学校") and not plan.teaching_point and plan.ownership == "公办":
            parents.append(school_code(serial))
        plans.append(plan)
    out: list[tuple[str, dict[str, Any]]] = []
    for serial, plan in enumerate(plans, start=1):
        code = school_code(serial)
        out.append((f"{code}_{plan.name}.xlsx", _return(rng, plan, code, period, thr)))
    if drift > 0:
        _drift(out, seed, period, drift)
    if broken:
        for offset, rule in enumerate(BROKEN_RULES, start=1):
            code = school_code(schools + offset)
            plan = _Plan(
                "小学",
                f"{TOWNSHIPS[offset]}错误样例小学",
                TOWNSHIPS[offset],
                "镇区",
                per_grade={"小学": 2},
                sizes={"小学": (30, 42)},
                grades={"小学": PRIMARY_GRADES},
            )
            ret = _return(rng, plan, code, period, thr)
            if rule == "subcount.exceeds_total":
                t = ret["teachers"][0]
                t["teachers_above_required_degree"] = t["teachers"] + 3
            else:
                # The (optional) sub-counts are left blank so that the file breaks this one rule only.
                ret["classes"][0].update(
                    students=-ret["classes"][0]["students"], migrant_students=None, disabled_students=None
                )
            out.append((f"{code}_broken_{rule}.xlsx", ret))
    return out


def make_demo_county(
    outdir: Path,
    *,
    schools: int = 24,
    period: str = "2026-10",
    seed: int = 7,
    broken: bool = False,
    drift: float = 0.0,
    county_return: bool = False,
) -> list[Path]:
    """Write the demo county's returns into outdir (one .xlsx per school) and return their paths.

    Always contains a big urban 小学 (above 2000 students, one class of 48), a 初级中学 with a
    class of 54, a 九年一贯制学校 and a 完全中学 with 共用 facility rows, a 民办 十二年一贯制学校 with
    高中在校生数 and a 共用 row, and a 教学点 (fewer than 50 students) under the 九年一贯制学校.
    Most schools meet most R thresholds; some miss one narrowly and a few miss two.
    broken=True adds the files of BROKEN_RULES. drift > 0 (e.g. 0.08) makes the same county (same
    seed) move from period to period, for a multi-period demo of trends and outliers.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [
        write_return(outdir / name, ret)
        for name, ret in make_demo_returns(schools=schools, period=period, seed=seed, broken=broken, drift=drift)
    ]
    if county_return:  # county_return=True also writes the bureau's own 县级指标 workbook
        paths.append(write_county_return(outdir / "县级报表.xlsx", demo_county_return(period)))
    return paths
