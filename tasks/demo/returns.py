"""A deterministic demo county: one plausible JH-2026.1 return per school, written with write_return."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from tasks.demo.county import demo_county_return
from tasks.demo.plans import PRIMARY_GRADES, TOWNSHIPS, SchoolPlan, archetypes, random_plan
from tasks.demo.rows import school_return, thresholds
from tasks.publish.county_template import write_county_return
from tasks.publish.template import write_return

COUNTY_CODE = "370830"  # school codes are COUNTY_CODE + a 4-digit serial: 3708300001, ...
MIN_SCHOOLS = 6  # the fixed archetypes (tasks/demo/plans.py)
MAX_SCHOOLS = 9999

# broken=True adds one file per rule (the validation rule ids), named <code>_broken_<rule>.xlsx.
BROKEN_RULES = {
    "subcount.exceeds_total": "教师表中高于规定学历教师数大于专任教师数",
    "count.negative": "班级学生表中有一个班的学生数为负数",
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
    thr = thresholds(period)
    rng = random.Random(seed)  # noqa: S311 - demo data must be reproducible, not secret
    plans = archetypes(rng)
    taken = {p.name for p in plans}
    parents = [school_code(1), school_code(3)]  # public schools with primary sections
    plans[5].parent_code = school_code(3)
    for serial in range(len(plans) + 1, schools + 1):
        plan = random_plan(rng, parents, taken)
        if plan.school_type in ("小学", "九年一贯制学校") and not plan.teaching_point and plan.ownership == "公办":
            parents.append(school_code(serial))
        plans.append(plan)
    out: list[tuple[str, dict[str, Any]]] = []
    for serial, plan in enumerate(plans, start=1):
        code = school_code(serial)
        out.append((f"{code}_{plan.name}.xlsx", school_return(rng, plan, code, period, thr)))
    if drift > 0:
        _drift(out, seed, period, drift)
    if broken:
        for offset, rule in enumerate(BROKEN_RULES, start=1):
            code = school_code(schools + offset)
            plan = SchoolPlan(
                "小学",
                f"{TOWNSHIPS[offset]}错误样例小学",
                TOWNSHIPS[offset],
                "镇区",
                per_grade={"小学": 2},
                sizes={"小学": (30, 42)},
                grades={"小学": PRIMARY_GRADES},
            )
            ret = school_return(rng, plan, code, period, thr)
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
