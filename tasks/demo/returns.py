"""A deterministic demo county: one plausible JH-2026.1 return per school, written with write_return."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from tasks.demo.county import demo_county_return
from tasks.demo.plans import PRIMARY_GRADES, TOWNSHIPS, SchoolPlan, archetypes, random_plan
from tasks.demo.rows import SECTION_KEY, school_return, thresholds
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


# What findings=True gives a return: a class over the class-size limit (G5) or a shortfall of 高于规定学历
# 教师 (R1), sometimes both; now and then, instead of the second, 仪器设备值 typed with an extra 0 (×10:
# a 提醒 far from its peers). Rare enough that the peers' median stays the honest schools'.
FINDING_KINDS = ("oversized_class", "r1_shortfall", "equipment_slip")
SLIP_SHARE = 0.2
BOTH_SHARE = 0.3


def _findings(
    rets: list[tuple[str, dict[str, Any]]], seed: int, period: str, thr: dict[tuple[str, str], float]
) -> None:
    """Give every return one or two findings of FINDING_KINDS, as real returns carry; each stays valid
    (a violation or a 提醒, never an error), so every school loads and gets a marked feedback workbook.
    The slip needs a return of one section with its own 办学条件 row; a 教学点 always gets the class."""
    rng = random.Random(f"{seed}:{period}:findings")  # noqa: S311 - reproducible demo data
    for _, ret in rets:
        sections = sorted({r["section"] for r in ret["classes"]})
        own = [r for r in ret["facilities"] if r["section"] in sections]
        first = rng.choice(FINDING_KINDS[:2])
        if ret["info"]["is_teaching_point"] == "是":  # its teachers count in its parent school's unit
            first = FINDING_KINDS[0]
        chosen = {first}
        draw = rng.random()
        if draw < SLIP_SHARE and len(sections) == 1 and own:
            chosen.add("equipment_slip")
        elif draw < SLIP_SHARE + BOTH_SHARE:
            chosen.add(FINDING_KINDS[1] if first == FINDING_KINDS[0] else FINDING_KINDS[0])
        if "oversized_class" in chosen:
            section = rng.choice(sections)
            row = rng.choice([r for r in ret["classes"] if r["section"] == section])
            row["students"] = int(thr[("G5", SECTION_KEY[section])]) + rng.randint(1, 8)
        if "equipment_slip" in chosen:
            own[0]["equipment_value_yuan"] = round(own[0]["equipment_value_yuan"] * 10, 2)
        if "r1_shortfall" in chosen:  # after the class change: the shortfall is against the final enrolment
            section = rng.choice(sections)
            students = sum(r["students"] for r in ret["classes"] if r["section"] == section)
            need = thr[("R1", SECTION_KEY[section])] * students / 100
            t = next(t for t in ret["teachers"] if t["section"] == section)
            t["teachers_above_required_degree"] = min(
                t["teachers_above_required_degree"], math.floor(need * rng.uniform(0.85, 0.95))
            )


def make_demo_returns(
    *,
    schools: int = 24,
    period: str = "2026-10",
    seed: int = 7,
    broken: bool = False,
    drift: float = 0.0,
    findings: bool = False,
) -> list[tuple[str, dict[str, Any]]]:
    """(file name, return dict for write_return) per school, deterministic for a seed. findings=True gives
    every school's return one or two findings (FINDING_KINDS); the broken files stay as they are."""
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
    if findings:
        _findings(out, seed, period, thr)
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
    findings: bool = False,
) -> list[Path]:
    """Write the demo county's returns into outdir (one .xlsx per school) and return their paths.

    Always contains a big urban 小学 (above 2000 students, one class of 48), a 初级中学 with a
    class of 54, a 九年一贯制学校 and a 完全中学 with 共用 facility rows, a 民办 十二年一贯制学校 with
    高中在校生数 and a 共用 row, and a 教学点 (fewer than 50 students) under the 九年一贯制学校.
    Most schools meet most R thresholds; some miss one narrowly and a few miss two.
    broken=True adds the files of BROKEN_RULES. drift > 0 (e.g. 0.08) makes the same county (same
    seed) move from period to period, for a multi-period demo of trends and outliers. findings=True
    gives every school's return a finding or two (a province's returns as they really come).
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [
        write_return(outdir / name, ret)
        for name, ret in make_demo_returns(
            schools=schools, period=period, seed=seed, broken=broken, drift=drift, findings=findings
        )
    ]
    if county_return:  # county_return=True also writes the bureau's own 县级指标 workbook
        paths.append(write_county_return(outdir / "县级报表.xlsx", demo_county_return(period)))
    return paths
