"""Generated GX suites: one broken twin per data rule, policy thresholds at and across the line."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest

from expectations import gx_suite
from junheng import spec
from junheng.contract import Finding, ReceivedFile, ReturnBatch
from junheng.policy import Rule, rules_in_force

PERIOD = "2026-10"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# --------------------------------------------------------------------------- building batches

CLEAN: dict[str, Any] = {
    "info": {
        "school_code": "3701000001",
        "school_name": "城关一小",
        "school_type": "小学",
        "township": "城关镇",
        "urban_rural": "城区",
        "is_boarding": "否",
        "ownership": "公办",
        "is_teaching_point": "否",
        "parent_school_code": None,
        "founded_year": 1950,
        "senior_students": None,
        "period": PERIOD,
        "reporter": "张三",
        "submitted_on": "2026-10-08",
    },
    "classes": [
        {
            "section": "小学",
            "grade": "一年级",
            "class_name": "1班",
            "students": 40,
            "migrant_students": 2,
            "disabled_students": 0,
            "备注": "extra column",
        },
        {
            "section": "小学",
            "grade": "二年级",
            "class_name": "1班",
            "students": 42,
            "migrant_students": 0,
            "disabled_students": 1,
            "备注": None,
        },
    ],
    "teachers": [
        {
            "section": "小学",
            "teachers": 10,
            "teachers_above_required_degree": 8,
            "backbone_teachers": 2,
            "pe_teachers": 1,
            "music_teachers": 1,
            "art_teachers": 1,
            "certified_teachers": 10,
            "rotation_eligible_teachers": 3,
            "rotated_teachers": 1,
            "rotated_backbone_teachers": 0,
            "trained_360h_teachers": 9,
        },
    ],
    "facilities": [
        {
            "section": "小学",
            "teaching_aux_area_m2": 2000.5,
            "indoor_sports_area_m2": 300.0,
            "sports_ground_area_m2": 5000.0,
            "equipment_value_yuan": 800000.0,
            "multimedia_classrooms": 10,
        },
    ],
    "rooms": [{"section": "小学", "room_type": "音乐", "room_name": "音乐教室", "area_m2": 80.5}],
    "quality": [
        {
            "section": "小学",
            "fitness_tested": 80,
            "fitness_passed": 75,
            "fitness_good": 40,
            "vision_screened": 80,
            "myopic": 20,
        },
    ],
}


def school(**changes: Any) -> dict[str, Any]:
    """A copy of the clean school; info keys change info, frame names replace whole frames."""
    s = copy.deepcopy(CLEAN)
    for key, value in changes.items():
        if key in s or key.startswith("_"):
            s[key] = value
        else:
            s["info"][key] = value
    return s


def make_batch(schools: dict[str, dict[str, Any]]) -> ReturnBatch:
    """Rows from Excel row 2 (header in row 1); columns A, B, ... in spec order; info in B3, B4, ...

    A school may carry "_absent": {sheet: [codes]} (headers its sheet lacks, as the reader maps
    them) and "_reported": [sheet] (sheets the reader already has a finding on).
    """
    files, info_rows, columns, info_cells = [], [], {}, {}
    reader_findings: list[Finding] = []
    frames: dict[str, list[dict[str, Any]]] = {spec.FRAME_OF_SHEET[s.name]: [] for s in spec.TABLE_SHEETS}
    for fid, s in schools.items():
        received = datetime(2026, 10, 9)
        files.append(ReceivedFile(fid, f"{fid}.xlsx", f"/in/{fid}.xlsx", f"/arc/{fid}", received, 1))
        info_rows.append({"file_id": fid, **s["info"]})
        info_cells[fid] = {f.code: f"B{3 + i}" for i, f in enumerate(spec.INFO.fields)}
        for sheet in spec.TABLE_SHEETS:
            name = spec.FRAME_OF_SHEET[sheet.name]
            absent = s.get("_absent", {}).get(sheet.name, [])
            columns[(fid, sheet.name)] = {c: LETTERS[i] for i, c in enumerate(sheet.codes) if c not in absent}
            for n, row in enumerate(s[name]):
                kept = {k: v for k, v in row.items() if k not in absent}
                frames[name].append({"file_id": fid, "sheet": sheet.name, "row": n + 2, **kept})
        for sheet_name in s.get("_reported", []):
            reader_findings.append(
                Finding(fid, f"{fid}.xlsx", sheet_name, "", "sheet.missing", "error", "", "缺少工作表")
            )
    return ReturnBatch(
        files=files,
        info=pd.DataFrame(info_rows),
        frames={k: pd.DataFrame(v) for k, v in frames.items()},
        columns=columns,
        info_cells=info_cells,
        findings=reader_findings,
    )


def junior(frame: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "section": "初中"} for r in frame]


def as_junior_school(**changes: Any) -> dict[str, Any]:
    return school(**{name: junior(CLEAN[name]) for name in spec.FRAME_OF_SHEET.values() if name != "info"}, **changes)


classes_with_raw = copy.deepcopy(CLEAN["classes"])
classes_with_raw[0].update(students=None, students__raw="四十人左右")
classes_bad_grade = copy.deepcopy(CLEAN["classes"])
classes_bad_grade[1]["grade"] = "  "  # a blank cell that reached us as spaces
classes_half = copy.deepcopy(CLEAN["classes"])
classes_half[0]["students"] = 40.5
teachers_negative = copy.deepcopy(CLEAN["teachers"])
teachers_negative[0]["pe_teachers"] = -1
teachers_over = copy.deepcopy(CLEAN["teachers"])
teachers_over[0]["teachers_above_required_degree"] = 12
facilities_junior_row = [*CLEAN["facilities"], {**CLEAN["facilities"][0], "section": "初中"}]
classes_both = [*CLEAN["classes"], {**CLEAN["classes"][0], "section": "初中", "grade": "七年级"}]

# twin name -> (school, expected (rule, sheet, cell, value)); hand-placed cells, see make_batch.
TWINS: dict[str, tuple[dict[str, Any], tuple[str, str, str, str] | None]] = {
    "required": (school(classes=classes_bad_grade), ("required", "班级学生", "B3", "")),
    "required_info": (school(school_name=None), ("required", "基本信息", "B4", "")),
    "raw_not_double_reported": (school(classes=classes_with_raw), None),
    "absent_column_not_double_reported": (school(_absent={"专用教室": ["room_name"]}), None),
    "missing_sheet_not_double_reported": (school(classes=[], _reported=["班级学生"]), None),
    "count.negative": (school(teachers=teachers_negative), ("count.negative", "教师", "E2", "-1")),
    "count.not_integer": (school(classes=classes_half), ("count.not_integer", "班级学生", "D2", "40.5")),
    "subcount.exceeds_total": (school(teachers=teachers_over), ("subcount.exceeds_total", "教师", "C2", "12")),
    "enum.unknown": (school(urban_rural="城市"), ("enum.unknown", "基本信息", "B7", "城市")),
    "school_code.format": (school(school_code="370100001"), ("school_code.format", "基本信息", "B3", "370100001")),
    "period.mismatch": (school(period="2026-09"), ("period.mismatch", "基本信息", "B14", "2026-09")),
    "teaching_point.parent_missing": (
        school(is_teaching_point="是"),
        ("teaching_point.parent_missing", "基本信息", "B11", ""),
    ),
    "senior.missing": (as_junior_school(school_type="完全中学"), ("senior.missing", "基本信息", "B13", "")),
    "section.not_allowed": (
        school(facilities=facilities_junior_row),
        ("section.not_allowed", "办学条件", "A3", "初中"),
    ),
    "classes.missing": (school(classes=[]), ("classes.missing", "班级学生", "", "")),
    "teachers.missing": (
        school(school_type="九年一贯制学校", classes=classes_both),
        ("teachers.missing", "教师", "", ""),
    ),
}


@pytest.fixture(scope="module")
def twin_findings() -> dict[str, list[Finding]]:
    """All twins and one clean school in one batch: one GX validation per sheet kind for all."""
    batch = make_batch({"clean": school(), **{name: s for name, (s, _) in TWINS.items()}})
    by_file: dict[str, list[Finding]] = {fid: [] for fid in ["clean", *TWINS]}
    for f in gx_suite.validate_returns(batch, PERIOD):
        by_file[f.file_id].append(f)
    return by_file


# --------------------------------------------------------------------------- data errors


def test_empty_batch_gives_nothing() -> None:
    empty = ReturnBatch(files=[], info=pd.DataFrame(columns=["file_id"]), frames={})
    assert gx_suite.validate_returns(empty, PERIOD) == []


def test_clean_school_alone_gives_nothing() -> None:
    assert gx_suite.validate_returns(make_batch({"clean": school()}), PERIOD) == []


def test_clean_school_among_twins_gives_nothing(twin_findings: dict[str, list[Finding]]) -> None:
    assert twin_findings["clean"] == []


@pytest.mark.parametrize("twin", list(TWINS))
def test_broken_twin_gives_exactly_its_finding(twin: str, twin_findings: dict[str, list[Finding]]) -> None:
    expected = TWINS[twin][1]
    got = [(f.rule, f.sheet, f.cell, f.value) for f in twin_findings[twin]]
    assert got == ([expected] if expected else [])
    for f in twin_findings[twin]:
        assert f.severity == "error"
        assert f.file_name == f"{twin}.xlsx"
        assert f.message.endswith("。")


def test_messages_name_label_value_expectation_and_fix(twin_findings: dict[str, list[Finding]]) -> None:
    [over] = twin_findings["subcount.exceeds_total"]
    assert over.message == ("「高于规定学历教师数」为 12，大于「专任教师数」10。子项不能大于总数，请核对后重新填写。")
    assert over.school_code == "3701000001" and over.section == "primary"
    [enum] = twin_findings["enum.unknown"]
    assert "「城乡分类」为“城市”" in enum.message and "城区、镇区、乡村" in enum.message
    [code] = twin_findings["school_code.format"]
    assert code.school_code == "370100001" and "10 位数字" in code.message
    [period] = twin_findings["period.mismatch"]
    assert "2026-09" in period.message and "2026-10" in period.message
    [section] = twin_findings["section.not_allowed"]
    assert "“小学”的学校只能填报 小学、共用" in section.message
    [teachers] = twin_findings["teachers.missing"]
    assert teachers.section == "junior" and "初中" in teachers.message
    [senior] = twin_findings["senior.missing"]
    assert "完全中学" in senior.message and "「高中在校生数」" in senior.message


# --------------------------------------------------------------------------- policy violations


def _units(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "file_id": f,
                "file_name": f"{f}.xlsx",
                "school_code": "3701000001",
                "section": s,
                "indicator_code": c,
                "value": v,
            }
            for f, s, c, v in rows
        ]
    )


def _classes(rows: list[tuple[str, str, int, int, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "file_id": f,
                "sheet": "班级学生",
                "row": r,
                "section": s,
                "grade": "三年级",
                "class_name": "2班",
                "students": n,
                "cell": c,
            }
            for f, s, r, n, c in rows
        ]
    )


def _schools(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"file_id": f, "file_name": f"{f}.xlsx", "school_code": "3701000009", "school_type": t, "students": n}
            for f, t, n in rows
        ]
    )


def test_policy_thresholds_at_and_across_the_line() -> None:
    units = _units(
        [
            ("at", "primary", "R1", 4.2),  # exactly the threshold: 达到 passes
            ("below", "primary", "R1", 3.81),
            ("hair", "primary", "R1", 4.199),  # would show as 4.20 with two decimals
            ("junior_at", "junior", "R1", 5.3),
            ("r6", "junior", "R6", 2499.5),
            ("r6ok", "primary", "R6", 2000.0),
            ("none", "primary", "R2", float("nan")),  # a unit without students is not judged
        ]
    )
    classes = _classes(
        [
            ("c", "小学", 2, 46, "D2"),  # over 45
            ("c", "初中", 3, 46, "D3"),  # within 50
            ("c", "小学", 4, 45, "D4"),  # exactly 45
            ("c", "初中", 5, 51, "D5"),
        ]
    )
    schools = _schools([("s1", "小学", 2001), ("s2", "九年一贯制学校", 2001), ("s3", "小学", 2000)])
    found = gx_suite.check_policy(PERIOD, rules_in_force(PERIOD), units, classes, schools)
    got = sorted((f.file_id, f.rule, f.section or "", f.sheet, f.cell, f.value) for f in found)
    assert got == sorted(
        [
            ("below", "R1", "primary", "指标", "", "3.81"),
            ("hair", "R1", "primary", "指标", "", "4.199"),
            ("r6", "R6", "junior", "指标", "", "2499.5"),
            ("c", "G5", "primary", "班级学生", "D2", "46"),
            ("c", "G5", "junior", "班级学生", "D5", "51"),
            ("s1", "G4", "", "指标", "", "2001"),
        ]
    )
    assert all(f.severity == "violation" for f in found)
    msgs = {(f.file_id, f.cell): f.message for f in found}
    assert msgs[("below", "")] == "小学「每百名学生拥有高于规定学历教师数」为 3.81，低于标准 4.2。"
    assert msgs[("r6", "")] == "初中「生均教学仪器设备值」为 2499.5，低于标准 2500。"
    assert msgs[("c", "D2")] == "小学班级「三年级2班」学生数为 46 人，超过标准班额 45 人。"
    # Thousands separators, as the feedback's own sentence writes the limit ("2,000").
    assert msgs[("s1", "")] == "学校规模（义务教育在校生数）为 2,001 人，超过小学的标准规模 2,000 人。"
    by_file = {f.file_id: f for f in found}
    assert by_file["s1"].file_name == "s1.xlsx" and by_file["s1"].school_code == "3701000009"
    assert by_file["below"].file_name == "below.xlsx"


def test_rule_valid_later_does_not_judge_an_earlier_period() -> None:
    # As the warehouse query gives them: no grade or class name, so the row names the class.
    classes = _classes([("c", "小学", 2, 42, "D2")]).drop(columns=["grade", "class_name"])
    stricter = Rule(
        code="G5",
        measure="value",
        scope="class",
        section="primary",
        comparator="le",
        value=40,
        unit="人/班",
        valid_from=date(2027, 1, 1),
    )
    empty = pd.DataFrame()
    assert gx_suite.check_policy(PERIOD, [stricter], empty, classes, empty) == []
    [f] = gx_suite.check_policy("2027-03", [stricter], empty, classes, empty)
    assert (f.rule, f.cell, f.value) == ("G5", "D2", "42")
    assert f.message == "小学第 2 行的班级学生数为 42 人，超过标准班额 40 人。"


# --------------------------------------------------------------------------- suites as data


def test_suite_json_is_generated_and_deterministic() -> None:
    first = gx_suite.suite_json(PERIOD)
    gx_suite._data_suites.cache_clear()  # generate again from scratch, not from the cache
    gx_suite._policy_suites.cache_clear()
    again = gx_suite.suite_json(PERIOD)
    assert json.dumps(first, ensure_ascii=False) == json.dumps(again, ensure_ascii=False)
    assert set(first) == {f"junheng_data_{n}_{PERIOD}" for n in spec.FRAME_OF_SHEET.values()} | {
        "junheng_policy_units",
        "junheng_policy_classes",
        "junheng_policy_schools",
    }
    metas = [e["meta"] for s in first.values() for e in s["expectations"]]
    assert all({"rule", "sheet", "column"} <= set(m) for m in metas)
    teachers = first[f"junheng_data_teachers_{PERIOD}"]["expectations"]
    required = {e["meta"]["column"] for e in teachers if e["meta"]["rule"] == "required"}
    assert required == {f.code for f in spec.TEACHERS.fields if f.required}
    units = first["junheng_policy_units"]["expectations"]
    assert len(units) == 14  # R1–R7 × primary/junior
    r1 = [e for e in units if e["meta"]["rule"] == "R1" and e["meta"]["section"] == "primary"]
    assert r1[0]["kwargs"]["min_value"] == 4.2


def test_text_column_converts_only_filled_cells() -> None:
    """Raw text as the user typed it; blanks and missing values are empty (None/NaN), in place."""
    from expectations.gx_suite import _text_column

    s = pd.Series([None, float("nan"), 1234567890.0, "  ", "abc", pd.NA, 3.5, ""], index=range(10, 18))
    out = _text_column(s)
    assert str(out.dtype) == "str"
    assert list(out.index) == list(range(10, 18))
    assert [None if pd.isna(v) else v for v in out] == [None, None, "1234567890", None, "abc", None, "3.5", None]
    assert _text_column(pd.Series([None, None], dtype="object")).isna().all()
