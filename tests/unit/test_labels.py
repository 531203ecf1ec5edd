"""Tolerant label and sheet-name matching (tasks/labels.py, expectations/synonyms.yaml)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from junheng import spec
from tasks.read.labels import (
    LabelIndex,
    load_synonyms,
    match_label,
    match_sheet_name,
    normalise_label,
    split_unit,
    unit_of,
)

ALL_FIELDS = [(s, f) for s in spec.SHEETS for f in s.fields]
BRACKETS = [("（", "）"), ("(", ")"), ("【", "】"), ("[", "]"), ("［", "］")]
AREA_UNITS = ["平方米", "㎡", "m2", "m²", "M2", "平米"]
SPACES = [" ", "\n", "\r\n", "\u3000", "\t"]


@pytest.mark.parametrize(("sheet", "f"), ALL_FIELDS, ids=[f"{s.name}-{f.code}" for s, f in ALL_FIELDS])
def test_every_official_label_matches_its_code(sheet: spec.Sheet, f: spec.Field) -> None:
    m = match_label(sheet, f.label)
    assert m is not None and m.code == f.code


@pytest.mark.parametrize(
    ("sheet", "text", "code", "unit"),
    [
        (spec.FACILITIES, "教学仪器设备值(元)", "equipment_value_yuan", "元"),
        (spec.FACILITIES, "教学仪器设备值（万元）", "equipment_value_yuan", "万元"),
        (spec.FACILITIES, "教学仪器设备值\n（万元）", "equipment_value_yuan", "万元"),
        (spec.FACILITIES, "教学仪器设备值/元", "equipment_value_yuan", "元"),
        (spec.FACILITIES, "教学仪器设备值", "equipment_value_yuan", None),
        (spec.FACILITIES, "其中室内体育用房面积(㎡)", "indoor_sports_area_m2", "平方米"),
        (spec.FACILITIES, "室内体育用房面积（m2）", "indoor_sports_area_m2", "平方米"),
        (spec.FACILITIES, "运动场地面积 (M²)", "sports_ground_area_m2", "平方米"),
        (spec.FACILITIES, "网络多媒体教室数", "multimedia_classrooms", None),
        (spec.INFO, "学校代码", "school_code", None),
        (spec.INFO, "学校名称：", "school_name", None),
        (spec.INFO, "*学校标识码", "school_code", None),
        (spec.INFO, "所在乡镇(街道)", "township", None),
        (spec.TEACHERS, "专任教师", "teachers", None),
        (spec.TEACHERS, "其中：骨干教师数", "rotated_backbone_teachers", None),
        (spec.CLASSES, "学生数（人）", "students", "人"),
        (spec.CLASSES, "其中：随迁子女数", "migrant_students", None),
        (spec.CLASSES, "随迁子女数", "migrant_students", None),
    ],
)
def test_variants_and_synonyms(sheet: spec.Sheet, text: str, code: str, unit: str | None) -> None:
    m = match_label(sheet, text)
    assert m is not None
    assert (m.code, m.unit) == (code, unit)


@pytest.mark.parametrize("text", ["备注", "联系电话", "", "   ", "学校", "小学", "合计"])
def test_unknown_texts_do_not_match(text: str) -> None:
    assert match_label(spec.CLASSES, text) is None
    assert match_label(spec.INFO, text) is None


def test_non_text_cells_never_match() -> None:
    assert match_label(spec.CLASSES, 45.0) is None
    assert match_label(spec.CLASSES, None) is None


def test_labels_of_other_sheets_do_not_leak() -> None:
    assert match_label(spec.CLASSES, "专任教师数") is None
    assert match_label(spec.TEACHERS, "学生数") is None


@st.composite
def mangled_label(draw: st.DrawFn) -> tuple[spec.Sheet, spec.Field, str]:
    sheet, f = draw(st.sampled_from(ALL_FIELDS))
    text = f.label
    left, right = draw(st.sampled_from(BRACKETS))
    text = text.replace("（", left).replace("）", right)
    text = text.replace("平方米", draw(st.sampled_from(AREA_UNITS)))
    text = text.replace("：", draw(st.sampled_from(["：", ":", "： "])))
    chars = list(text)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        pos = draw(st.integers(min_value=0, max_value=len(chars)))
        chars.insert(pos, draw(st.sampled_from(SPACES)))
    return sheet, f, "".join(chars)


@given(mangled_label())
def test_mangled_labels_still_match(case: tuple[spec.Sheet, spec.Field, str]) -> None:
    sheet, f, text = case
    m = match_label(sheet, text)
    assert m is not None, text
    assert m.code == f.code


@given(
    st.sampled_from([f for f in spec.FACILITIES.fields if "（平方米）" in f.label]),
    st.sampled_from(AREA_UNITS),
    st.sampled_from(BRACKETS),
)
def test_area_units_are_read(f: spec.Field, unit: str, brackets: tuple[str, str]) -> None:
    text = f.label.replace("（平方米）", f"{brackets[0]}{unit}{brackets[1]}")
    m = match_label(spec.FACILITIES, text)
    assert m is not None and (m.code, m.unit) == (f.code, "平方米")


def test_normalise_label() -> None:
    assert normalise_label(" 教学及辅助用房\n面积（㎡） ") == "教学及辅助用房面积(平方米)"
    assert normalise_label("其中：室内体育用房面积") == "室内体育用房面积"
    assert normalise_label("学校名称：") == "学校名称"


def test_split_unit() -> None:
    assert split_unit("教学仪器设备值(万元)") == ("教学仪器设备值", "万元")
    assert split_unit("所在乡镇(街道)") == ("所在乡镇(街道)", None)
    assert split_unit("学生数(单位:人)") == ("学生数", "人")


@pytest.mark.parametrize(
    ("text", "unit"),
    [("（人）", "人"), ("平方米", "平方米"), ("(㎡)", "平方米"), ("单位：万元", "万元"), ("元", "元"), ("间", "间")],
)
def test_unit_cells(text: str, unit: str) -> None:
    assert unit_of(text) == unit


@pytest.mark.parametrize("text", ["学段", "45", "", "小学"])
def test_not_unit_cells(text: str) -> None:
    assert unit_of(text) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("班级学生", "班级学生"),
        (" 教师 ", "教师"),
        ("教师情况", "教师"),
        ("基本信息", "基本信息"),
        ("Sheet1", None),
        ("说明", None),
    ],
)
def test_sheet_names(name: str, expected: str | None) -> None:
    assert match_sheet_name(name) == expected


def test_synonyms_file_is_consistent() -> None:
    data = load_synonyms()
    for sheet_name, by_code in data["labels"].items():
        sheet = spec.SHEETS_BY_NAME[sheet_name]  # every sheet named in the file exists
        for code in by_code:
            sheet.by_code(code)  # every code exists in that sheet
        LabelIndex(sheet, by_code)  # no synonym names two codes
    assert set(data["sheets"]) <= set(spec.SHEETS_BY_NAME)


def test_a_synonym_naming_two_codes_is_refused() -> None:
    with pytest.raises(ValueError, match="学生数"):
        LabelIndex(spec.CLASSES, {"migrant_students": ["学生数"]})


@given(st.text(max_size=40))
def test_any_text_matches_nothing_or_one_code_without_raising(text: str) -> None:
    for sheet in spec.SHEETS:
        m = match_label(sheet, text)
        assert m is None or m.code in sheet.codes


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_ascii_text_never_matches_a_chinese_label(text: str) -> None:
    assert all(match_label(sheet, text) is None for sheet in spec.SHEETS)


@given(st.sampled_from(["千元", "亿元", "亩", "公顷", "单位：千元"]), st.sampled_from(BRACKETS))
def test_an_unknown_unit_still_names_the_column(unit: str, brackets: tuple[str, str]) -> None:
    # The reader then says the unit is not understood, rather than "column missing".
    m = match_label(spec.FACILITIES, f"教学仪器设备值{brackets[0]}{unit}{brackets[1]}")
    assert m is not None and m.code == "equipment_value_yuan"
    assert m.unit == unit.removeprefix("单位：")
