"""The demo county: required school kinds, plausible and mostly passing values, determinism."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from junheng import spec
from tasks.demo.returns import BROKEN_RULES, make_demo_county, make_demo_returns


def _read(path: Path) -> dict[str, Any]:
    """A written return read back with calamine: info {code: value}, tables [{code: value}]."""
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(spec.INFO.name).to_python()
    by_label = {f.label: f.code for f in spec.INFO.fields}
    out: dict[str, Any] = {"info": {by_label[str(r[0])]: r[1] for r in rows[2:]}}
    for sheet in spec.TABLE_SHEETS:
        rows = wb.get_sheet_by_name(sheet.name).to_python()
        code_of = {f.label: f.code for f in sheet.fields}
        codes = [code_of[str(h)] for h in rows[0]]
        out[spec.FRAME_OF_SHEET[sheet.name]] = [dict(zip(codes, r, strict=True)) for r in rows[1:]]
    return out


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, Any]]]:
    paths = make_demo_county(tmp_path_factory.mktemp("county"))
    return [(p, _read(p)) for p in paths]


def _enrolment(ret: dict[str, Any]) -> Counter[str]:
    c: Counter[str] = Counter()
    for row in ret["classes"]:
        c[row["section"]] += row["students"]
    return c


def _of_type(county: list[tuple[Path, dict[str, Any]]], school_type: str) -> list[dict[str, Any]]:
    return [r for _, r in county if r["info"]["school_type"] == school_type and r["info"]["is_teaching_point"] == "否"]


def test_files_and_codes(county: list[tuple[Path, dict[str, Any]]]) -> None:
    assert len(county) == 24
    codes = [r["info"]["school_code"] for _, r in county]
    assert len(set(codes)) == 24
    for path, ret in county:
        info = ret["info"]
        assert re.fullmatch(r"\d{10}", info["school_code"])
        assert path.name == f"{info['school_code']}_{info['school_name']}.xlsx"
    assert codes[0] == "3708300001"


def test_required_school_kinds(county: list[tuple[Path, dict[str, Any]]]) -> None:
    for t in spec.SCHOOL_TYPES:
        assert _of_type(county, t), t
    assert any(r["info"]["ownership"] == "民办" for _, r in county)
    for t in ("九年一贯制学校", "十二年一贯制学校", "完全中学"):
        assert any(any(f["section"] == "共用" for f in r["facilities"]) for r in _of_type(county, t)), t
    for t in spec.TYPES_WITH_SENIOR:
        for r in _of_type(county, t):
            assert r["info"]["senior_students"] > 0


def test_teaching_point(county: list[tuple[Path, dict[str, Any]]]) -> None:
    codes = {r["info"]["school_code"] for _, r in county}
    points = [r for _, r in county if r["info"]["is_teaching_point"] == "是"]
    assert points
    for r in points:
        assert r["info"]["parent_school_code"] in codes
        assert r["info"]["parent_school_code"] != r["info"]["school_code"]
        assert 0 < sum(_enrolment(r).values()) < 50
    for _, r in county:
        if r["info"]["is_teaching_point"] == "否":
            assert r["info"]["parent_school_code"] == ""


def test_sections_follow_school_type(county: list[tuple[Path, dict[str, Any]]]) -> None:
    for _, r in county:
        allowed = set(spec.TYPE_SECTIONS[r["info"]["school_type"]])
        assert {c["section"] for c in r["classes"]} == allowed
        assert {t["section"] for t in r["teachers"]} == allowed
        assert {f["section"] for f in r["facilities"]} <= allowed | {"共用"}
        assert {q["section"] for q in r["quality"]} <= allowed


def test_oversized_classes_and_big_school(county: list[tuple[Path, dict[str, Any]]]) -> None:
    primary = [c["students"] for _, r in county for c in r["classes"] if c["section"] == "小学"]
    junior = [c["students"] for _, r in county for c in r["classes"] if c["section"] == "初中"]
    assert any(n > 45 for n in primary)
    assert any(n > 50 for n in junior)
    # but only a couple: the rest are 30–50 (teaching points and small village classes are smaller)
    assert sum(n > 45 for n in primary) + sum(n > 50 for n in junior) <= 3
    assert max(sum(_enrolment(r).values()) for _, r in county) > 2000


def test_values_are_consistent(county: list[tuple[Path, dict[str, Any]]]) -> None:
    """Demo data must pass the data checks: counts ≥ 0, every sub-count within its total."""
    for path, r in county:
        for sheet in spec.TABLE_SHEETS:
            for row in r[spec.FRAME_OF_SHEET[sheet.name]]:
                for f in sheet.fields:
                    v = row[f.code]
                    if f.kind in ("int", "number") and v != "":
                        assert isinstance(v, int | float) and v >= 0, (path.name, f.code, v)
                    if f.at_most and v != "" and row[f.at_most] != "":
                        assert v <= row[f.at_most], (path.name, f.code)


def _r_values(r: dict[str, Any], section: str) -> dict[str, float]:
    """R1–R7 of a single-section school, straight from indicators.md (no 共用 row to apportion)."""
    p = _enrolment(r)[section]
    t = next(x for x in r["teachers"] if x["section"] == section)
    f = next(x for x in r["facilities"] if x["section"] == section)
    return {
        "R1": t["teachers_above_required_degree"] / p * 100,
        "R2": t["backbone_teachers"] / p * 100,
        "R3": (t["pe_teachers"] + t["music_teachers"] + t["art_teachers"]) / p * 100,
        "R4": (f["teaching_aux_area_m2"] - f["indoor_sports_area_m2"]) / p,
        "R5": (f["sports_ground_area_m2"] + f["indoor_sports_area_m2"]) / p,
        "R6": f["equipment_value_yuan"] * 10000 / p,
        "R7": f["multimedia_classrooms"] / p * 100,
    }


# 教督〔2017〕6号 thresholds, typed from indicators.md (not from the code under test).
THRESHOLDS = {
    "小学": {"R1": 4.2, "R2": 1.0, "R3": 0.9, "R4": 4.5, "R5": 7.5, "R6": 2000, "R7": 2.3},
    "初中": {"R1": 5.3, "R2": 1.0, "R3": 0.9, "R4": 5.8, "R5": 10.2, "R6": 2500, "R7": 2.4},
}


def test_mostly_passing_with_some_misses(county: list[tuple[Path, dict[str, Any]]]) -> None:
    met = []
    for _, r in county:
        if r["info"]["school_type"] not in ("小学", "初级中学") or r["info"]["is_teaching_point"] == "是":
            continue
        (section,) = spec.TYPE_SECTIONS[r["info"]["school_type"]]
        x = _r_values(r, section)
        met.append(sum(x[k] >= v for k, v in THRESHOLDS[section].items()))
    assert len(met) >= 10
    assert sum(m == 7 for m in met) >= len(met) / 2  # most schools meet every threshold
    assert any(m < 7 for m in met)  # and the report has something to show


def test_big_school_values(county: list[tuple[Path, dict[str, Any]]]) -> None:
    """Spot check of the first school by hand: teachers about one per 15 students, 设备值 in 万元."""
    r = county[0][1]
    p = _enrolment(r)["小学"]
    t = r["teachers"][0]
    assert 2000 < p < 2200
    assert p / 20 < t["teachers"] < p / 12
    f = r["facilities"][0]
    # 设备值 is in 万元: a 2000-student school has a few hundred 万元, not millions.
    assert 300 < f["equipment_value_yuan"] < 2000


def test_period_and_submission_date(tmp_path: Path) -> None:
    paths = make_demo_county(tmp_path, schools=6, period="2027-03", seed=1)
    for p in paths:
        info = _read(p)["info"]
        assert info["period"] == "2027-03"
        assert isinstance(info["submitted_on"], date)
        assert (info["submitted_on"].year, info["submitted_on"].month) == (2027, 3)


def test_minimum_county_has_every_kind(tmp_path: Path) -> None:
    rets = [r for _, r in make_demo_returns(schools=6)]
    assert {r["info"]["school_type"] for r in rets} == set(spec.SCHOOL_TYPES)
    assert any(r["info"]["is_teaching_point"] == "是" for r in rets)
    assert any(r["info"]["ownership"] == "民办" for r in rets)
    with pytest.raises(ValueError, match="至少 6"):
        make_demo_returns(schools=5)


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = make_demo_county(tmp_path / "a", schools=8, seed=3)
    b = make_demo_county(tmp_path / "b", schools=8, seed=3)
    assert [p.name for p in a] == [p.name for p in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    assert make_demo_returns(schools=8, seed=3) != make_demo_returns(schools=8, seed=4)


def test_broken_files(tmp_path: Path) -> None:
    paths = make_demo_county(tmp_path, schools=6, broken=True)
    assert len(paths) == 8
    broken = {r: next(p for p in paths if p.name.endswith(f"_broken_{r}.xlsx")) for r in BROKEN_RULES}
    t = _read(broken["subcount.exceeds_total"])["teachers"][0]
    assert t["teachers_above_required_degree"] > t["teachers"]
    classes = _read(broken["count.negative"])["classes"]
    assert sum(c["students"] < 0 for c in classes) == 1
    # the good files are unchanged by broken=True
    good = make_demo_county(tmp_path / "good", schools=6)
    assert [p.read_bytes() for p in paths[:6]] == [p.read_bytes() for p in good]


def test_findings_give_every_return_a_finding_or_two() -> None:
    """findings=True changes only a class size, 高于规定学历教师 or 仪器设备值 of each return, and each
    return has at least one of: a class over the limit (45 小学, 50 初中), R1 under its standard (4.2 / 5.3
    per 100 pupils; a school drawn weak on R1 may have been under it already), 仪器设备值 ten times what it
    was."""
    clean = make_demo_returns(schools=40, seed=5)
    heavy = make_demo_returns(schools=40, seed=5, findings=True)
    assert [n for n, _ in clean] == [n for n, _ in heavy]
    limit, r1 = {"小学": 45, "初中": 50}, {"小学": 4.2, "初中": 5.3}
    kinds_seen: Counter[str] = Counter()
    for (_, a), (_, b) in zip(clean, heavy, strict=True):
        assert a["info"] == b["info"] and a["rooms"] == b["rooms"] and a["quality"] == b["quality"]
        kinds = set()
        for ca, cb in zip(a["classes"], b["classes"], strict=True):
            if ca != cb:
                assert {k for k in ca if ca[k] != cb[k]} == {"students"}
                assert limit[cb["section"]] < cb["students"] <= limit[cb["section"]] + 8
                kinds.add("oversized_class")
        enrol = _enrolment(b)
        for ta, tb in zip(a["teachers"], b["teachers"], strict=True):
            if ta != tb:
                assert {k for k in ta if ta[k] != tb[k]} == {"teachers_above_required_degree"}
            if tb["teachers_above_required_degree"] * 100 < r1[tb["section"]] * enrol[tb["section"]]:
                kinds.add("r1_shortfall")
        for fa, fb in zip(a["facilities"], b["facilities"], strict=True):
            if fa != fb:
                assert {k for k in fa if fa[k] != fb[k]} == {"equipment_value_yuan"}
                assert fb["equipment_value_yuan"] == pytest.approx(fa["equipment_value_yuan"] * 10)
                kinds.add("equipment_slip")
        assert kinds, b["info"]["school_name"]
        kinds_seen.update(kinds)
    assert set(kinds_seen) == {"oversized_class", "r1_shortfall", "equipment_slip"}
    assert kinds_seen["equipment_slip"] < 10  # rare: the peers' median stays the honest schools'
    assert make_demo_returns(schools=40, seed=5, findings=True) == heavy  # deterministic
