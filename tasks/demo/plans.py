"""Demo school plans: what each school looks like (type, name, township, classes, weak indicators)
before its numbers are drawn — the six archetypes every demo county has, and random schools after them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from junheng.policy import R_CODES

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
PRIMARY_GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")
JUNIOR_GRADES = ("七年级", "八年级", "九年级")

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
class SchoolPlan:
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


def archetypes(rng: random.Random) -> list[SchoolPlan]:
    """The six schools every demo county has, whatever its size."""
    both = {"小学": PRIMARY_GRADES, "初中": JUNIOR_GRADES}
    return [
        # Big urban primary school: above 2000 students, one oversized class, cramped playground.
        SchoolPlan(
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
        SchoolPlan(
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
        SchoolPlan(
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
        SchoolPlan(
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
        SchoolPlan(
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
        SchoolPlan(
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


def random_plan(rng: random.Random, parents: list[str], taken: set[str]) -> SchoolPlan:
    """One more school of a type drawn by weight; a 教学点 hangs under one of ``parents``."""
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
        plan = SchoolPlan(
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
        plan = SchoolPlan(
            "小学",
            _ordinal(town, "小学", taken),
            town,
            urban,
            per_grade={"小学": n},
            sizes={"小学": (lo, 45)},
            grades=both,
        )
    elif kind == "初级中学":
        plan = SchoolPlan(
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
        plan = SchoolPlan(
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
        plan = SchoolPlan(
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
        plan = SchoolPlan(
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
