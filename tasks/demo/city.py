"""A small demo city: three counties of the 玉溪 plan over three months — one reached, one on track, one behind.

澄江市 (target 2023) sends returns of schools that meet every rule and a complete county return: 已达到.
华宁县 (target 2026) starts like the demo county and fixes more each month: 按期推进.
通海县 (target 2025) stays as the demo county is: its target year is over, so 滞后.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from junheng import spec
from junheng.policy import R_CODES, rules_in_force
from tasks.demo.county import demo_county_return
from tasks.demo.returns import COUNTY_CODE as DEMO_PREFIX
from tasks.demo.returns import make_demo_returns
from tasks.publish.county_template import write_county_return
from tasks.publish.template import write_return

PLAN = "yuxi-2023"
REACHED, ON_TRACK, BEHIND = "530481", "530424", "530423"  # 澄江市, 华宁县, 通海县
SEEDS = {REACHED: 31, ON_TRACK: 32, BEHIND: 33}
SECTION_KEY = {"小学": "primary", "初中": "junior"}
CLASS_SIZE = 40  # within G5 and keeps the big school under the G4 size limit


def _limits(period: str) -> dict[tuple[str, str], float]:
    return {
        (r.code, r.section): r.value
        for r in rules_in_force(period)
        if r.measure == "value" and r.scope == "school_unit" and r.code in R_CODES
    }


def fix_return(ret: dict[str, Any], period: str) -> None:
    """Make a demo school meet every school rule: classes within limits, teachers, rooms and facilities in
    proportion to its students (so the county's CVs are small), every teacher certified and trained."""
    limits = _limits(period)
    for c in ret["classes"]:
        c["students"] = min(int(c["students"]), CLASS_SIZE)
        c["migrant_students"] = min(int(c["migrant_students"] or 0), c["students"])
    enrol = {s: sum(c["students"] for c in ret["classes"] if c["section"] == s) for s in spec.SECTIONS}
    n_classes = {s: sum(1 for c in ret["classes"] if c["section"] == s) for s in spec.SECTIONS}

    def need(code: str, section: str, per: float) -> int:
        return math.ceil(limits[(code, SECTION_KEY[section])] * 1.25 * enrol[section] / per)

    for t in ret["teachers"]:
        s = t["section"]
        degree, backbone, arts = need("R1", s, 100), need("R2", s, 100), need("R3", s, 100)
        t["teachers"] = max(int(t["teachers"]), degree, backbone + arts)
        t["teachers_above_required_degree"], t["backbone_teachers"] = degree, backbone
        t["pe_teachers"] = math.ceil(arts * 0.4)
        t["music_teachers"] = math.ceil((arts - t["pe_teachers"]) / 2)
        t["art_teachers"] = arts - t["pe_teachers"] - t["music_teachers"]
        t["certified_teachers"] = t["trained_360h_teachers"] = t["teachers"]
        t["rotation_eligible_teachers"] = max(10, int(t["rotation_eligible_teachers"]))
        t["rotated_teachers"] = math.ceil(t["rotation_eligible_teachers"] * 0.2)
        t["rotated_backbone_teachers"] = min(backbone, t["rotated_teachers"])
    ret["facilities"] = [
        {
            "section": s,
            "teaching_aux_area_m2": need("R4", s, 1),
            "indoor_sports_area_m2": 0,
            "sports_ground_area_m2": need("R5", s, 1),
            "equipment_value_yuan": round(need("R6", s, 1) / 10000 + 0.01, 2),  # 万元
            "multimedia_classrooms": need("R7", s, 100),
        }
        for s in spec.SECTIONS
        if enrol[s]
    ]
    if ret["info"].get("is_teaching_point") != "是":
        ret["rooms"] = [
            {"section": s, "room_type": kind, "room_name": f"{s}{kind}教室{k}", "area_m2": area}
            for s in spec.SECTIONS
            if n_classes[s]
            for kind, area in (("音乐", 110.0), ("美术", 100.0))
            for k in range(1, max(1, math.ceil(n_classes[s] / 12)) + 1)
        ]


def county_return(period: str, complete: bool) -> dict[str, Any]:
    """The demo county return; ``complete``: every item met (G14 raised, Q5 reviewed)."""
    values = demo_county_return(period)
    if complete:
        values["g14_quota"] = 55.0
        values["q5_review"] = "是"
        values["reviews"]["q5_review"] = dict(values["reviews"]["q7_review"])
    return values


def write_county_inbox(
    data_dir: Path, code: str, period: str, schools: int, fixed: float, complete: bool | None
) -> Path:
    """The county's returns in <data_dir>/inbox/<code>/<period>/: ``fixed`` = share of schools made compliant;
    ``complete`` = county return complete (True), as the demo's (False) or not sent (None)."""
    inbox = data_dir / "inbox" / code / period
    inbox.mkdir(parents=True, exist_ok=True)
    rets = make_demo_returns(schools=schools, period=period, seed=SEEDS.get(code, 7))
    n_fixed = round(len(rets) * fixed)
    for i, (name, ret) in enumerate(rets):
        info = ret["info"]
        info["school_code"] = code + str(info["school_code"])[6:]
        if info.get("parent_school_code"):
            info["parent_school_code"] = code + str(info["parent_school_code"])[6:]
        if i < n_fixed:
            fix_return(ret, period)
        write_return(inbox / name.replace(DEMO_PREFIX, code, 1), ret)
    if complete is not None:
        write_county_return(inbox / f"{code}_县级报表.xlsx", county_return(period, complete))
    return inbox


def make_demo_city(data_dir: Path, periods: list[str], schools: int = 6) -> dict[str, list[Path]]:
    """The three counties' inboxes for each period (month k of n: 华宁县 fixes k/n of its schools)."""
    out: dict[str, list[Path]] = {}
    for k, period in enumerate(periods, start=1):
        share = k / len(periods)
        out[period] = [
            write_county_inbox(data_dir, REACHED, period, schools, 1.0, True),
            write_county_inbox(data_dir, ON_TRACK, period, schools, share, None if k == 1 else False),
            write_county_inbox(data_dir, BEHIND, period, schools, 0.0, False),
        ]
    return out


if __name__ == "__main__":  # make demo: python -m tasks.demo.city <data_dir> <period> …
    import sys

    make_demo_city(Path(sys.argv[1]), sys.argv[2:])
