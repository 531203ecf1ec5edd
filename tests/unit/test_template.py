"""The blank JH-2026.1 template and write_return: layout, validations, protection, round trip."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from junheng import spec
from tasks.publish.template import return_bytes, write_return, write_template


def _rows(path: Path, sheet: str) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / "template.xlsx")


@pytest.fixture(scope="module")
def blank_wb(blank: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(blank)


def _validation_at(ws: Any, cell: str) -> Any:
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) <= 1, f"{ws.title}!{cell} has {len(found)} validations"
    return found[0] if found else None


def test_sheets_and_order(blank: Path) -> None:
    names = CalamineWorkbook.from_path(str(blank)).sheet_names
    assert names == ["说明", "基本信息", "班级学生", "教师", "办学条件", "专用教室", "质量监测"]
    assert names[1:] == [s.name for s in spec.SHEETS]


def test_info_layout(blank: Path, blank_wb: openpyxl.Workbook) -> None:
    rows = _rows(blank, "基本信息")
    assert rows[0][0] == "XX县义务教育学校优质均衡发展监测报表"
    assert rows[1][0] == "模板版本：JH-2026.1"
    assert [r[0] for r in rows[2:]] == [f.label for f in spec.INFO.fields]
    assert all(r[1] == "" for r in rows[2:])  # blank value column
    assert "A1:C1" in {str(m) for m in blank_wb["基本信息"].merged_cells.ranges}


def test_table_headers(blank: Path) -> None:
    for sheet in spec.TABLE_SHEETS:
        rows = _rows(blank, sheet.name)
        assert rows == [[f.label for f in sheet.fields]], sheet.name


def test_info_validations(blank_wb: openpyxl.Workbook) -> None:
    ws = blank_wb["基本信息"]
    for i, f in enumerate(spec.INFO.fields):
        cell = f"B{3 + i}"
        dv = _validation_at(ws, cell)
        if f.kind in ("enum", "yesno"):
            assert dv.type == "list"
            assert dv.formula1 == '"' + ",".join(f.choices) + '"'
        elif f.kind == "int":
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        elif f.kind == "code10":
            assert (dv.type, dv.formula1) == ("textLength", "10")
        else:
            assert dv is None, f.code
    # The dropdowns hold exactly the spec's choices, e.g. 办学类型 the five school types.
    assert _validation_at(ws, "B5").formula1 == '"小学,初级中学,九年一贯制学校,十二年一贯制学校,完全中学"'
    assert _validation_at(ws, "B8").formula1 == '"是,否"'


def test_table_validations(blank_wb: openpyxl.Workbook) -> None:
    for sheet in spec.TABLE_SHEETS:
        ws = blank_wb[sheet.name]
        for j, f in enumerate(sheet.fields, start=1):
            col = openpyxl.utils.get_column_letter(j)
            dv = _validation_at(ws, f"{col}2")
            assert _validation_at(ws, f"{col}1") is None  # never on the header
            if f.kind == "enum":
                assert dv.type == "list"
                assert dv.formula1 == '"' + ",".join(f.choices) + '"'
            elif f.kind == "int":
                assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
            elif f.kind == "number":
                assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
            else:
                assert dv is None
                continue
            assert f"{col}500" in dv.sqref
    assert _validation_at(blank_wb["办学条件"], "A2").formula1 == '"小学,初中,共用"'
    assert _validation_at(blank_wb["专用教室"], "B3").formula1 == '"音乐,美术"'


def _column(ws: Any, j: int) -> Any:
    """The column dimension covering column j (a writer may give neighbouring columns one <col> range)."""
    found = [d for d in ws.column_dimensions.values() if d.min is not None and d.min <= j <= d.max]
    assert len(found) == 1, f"{ws.title} column {j}"
    return found[0]


def test_protection(blank_wb: openpyxl.Workbook) -> None:
    for ws in blank_wb.worksheets:
        assert ws.protection.sheet is True, ws.title
        assert not ws.protection.password
    info = blank_wb["基本信息"]
    for i in range(len(spec.INFO.fields)):
        assert info[f"A{3 + i}"].protection.locked is True
        assert info[f"B{3 + i}"].protection.locked is False
    for sheet in spec.TABLE_SHEETS:
        ws = blank_wb[sheet.name]
        for j in range(1, len(sheet.fields) + 1):
            col = openpyxl.utils.get_column_letter(j)
            assert ws[f"{col}1"].protection.locked is True
            # Empty data cells take the column's style: unlocked.
            assert _column(ws, j).protection.locked is False
            assert _column(ws, j).width >= 10


def test_text_formats(blank_wb: openpyxl.Workbook) -> None:
    info = blank_wb["基本信息"]
    row = {f.code: 3 + i for i, f in enumerate(spec.INFO.fields)}
    assert info[f"B{row['school_code']}"].number_format == "@"
    assert info[f"B{row['parent_school_code']}"].number_format == "@"
    assert info[f"B{row['period']}"].number_format == "@"


def test_readme_explains_the_rules(blank: Path) -> None:
    text = "\n".join(str(c) for r in _rows(blank, "说明") for c in r)
    for needle in (
        "班级学生",
        "每个班级一行",
        "共用",
        "万元",
        "学段",
        "教学点",
        "所属学校标识码",
        "报表期",
        "2026-10",
        "数字",
        "高中在校生数",
    ):
        assert needle in text, needle
    # issue 12: 高于规定学历 is defined per section (《教师法》第十一条; indicators.md)
    assert "小学填专科及以上学历" in text and "初中填本科及以上学历" in text
    # Every label of the contract is listed with its sheet.
    for sheet in spec.SHEETS:
        for f in sheet.fields:
            assert f.label in text


def test_period_prefilled(tmp_path: Path) -> None:
    p = write_template(tmp_path / "t.xlsx", period="2026-10")
    rows = _rows(p, "基本信息")
    values = {r[0]: r[1] for r in rows[2:]}
    assert values["报表期"] == "2026-10"
    assert values["学校标识码"] == ""


def _sample() -> dict[str, Any]:
    return {
        "info": {
            "school_code": "0370830001",
            "school_name": "测试小学",
            "school_type": "小学",
            "township": "城关街道",
            "urban_rural": "城区",
            "is_boarding": "否",
            "ownership": "公办",
            "is_teaching_point": "否",
            "founded_year": 1987,
            "period": "2026-10",
            "reporter": "张敏",
            "submitted_on": date(2026, 10, 9),
        },
        "classes": [
            {
                "section": "小学",
                "grade": "一年级",
                "class_name": "1班",
                "students": 45,
                "migrant_students": 3,
                "disabled_students": 0,
            },
            {"section": "小学", "grade": "一年级", "class_name": "(2)班", "students": "44人"},
        ],
        "teachers": [{"section": "小学", "teachers": 6, "teachers_above_required_degree": 5}],
        "facilities": [
            {"section": "小学", "teaching_aux_area_m2": 512.5, "equipment_value_yuan": 35.6, "multimedia_classrooms": 3}
        ],
        "rooms": [{"section": "小学", "room_type": "音乐", "room_name": "音乐教室<1> & 舞蹈", "area_m2": 96}],
        "quality": [{"section": "小学", "fitness_tested": 89, "vision_screened": " 89 "}],
    }


def test_write_return_round_trip(tmp_path: Path) -> None:
    p = write_return(tmp_path / "r.xlsx", _sample())
    info = {r[0]: r[1] for r in _rows(p, "基本信息")[2:]}
    assert info["学校标识码"] == "0370830001"  # text keeps its leading zero
    assert info["学校名称"] == "测试小学"
    assert info["建校年份"] == 1987
    assert info["报表期"] == "2026-10"
    assert info["填报日期"] == date(2026, 10, 9)
    assert info["高中在校生数"] == ""  # not given, left blank
    classes = _rows(p, "班级学生")
    assert classes[1] == ["小学", "一年级", "1班", 45, 3, 0]
    assert classes[2] == ["小学", "一年级", "(2)班", "44人", "", ""]  # literal text kept
    assert len(classes) == 3
    assert _rows(p, "教师")[1][:3] == ["小学", 6, 5]
    assert _rows(p, "办学条件")[1] == ["小学", 512.5, "", "", 35.6, 3]
    assert _rows(p, "专用教室")[1] == ["小学", "音乐", "音乐教室<1> & 舞蹈", 96]
    assert _rows(p, "质量监测")[1] == ["小学", 89, "", "", " 89 ", ""]


def test_filled_return_keeps_template(tmp_path: Path) -> None:
    p = write_return(tmp_path / "r.xlsx", _sample())
    wb = openpyxl.load_workbook(p)
    ws = wb["班级学生"]
    assert ws.protection.sheet is True
    assert ws["D2"].protection.locked is False
    assert ws["D1"].protection.locked is True
    assert _validation_at(ws, "A3").formula1 == '"小学,初中"'
    assert wb["基本信息"]["B3"].protection.locked is False


def test_school_code_as_number_is_written_as_number(tmp_path: Path) -> None:
    # Fixtures for "Excel stored the code as a number" must be possible.
    p = write_return(tmp_path / "r.xlsx", {"info": {"school_code": 3708300001}})
    assert _rows(p, "基本信息")[2][1] == 3708300001


def test_dates_outside_date_fields_stay_dates(tmp_path: Path) -> None:
    ret: dict[str, Any] = {
        "info": {"period": date(2026, 10, 1)},  # 报表期 may be an Excel date
        "classes": [{"section": "小学", "grade": date(2026, 9, 1), "class_name": "=1班", "students": 40}],
    }
    p = write_return(tmp_path / "d.xlsx", ret)
    rows = _rows(p, "班级学生")
    assert rows[1] == ["小学", date(2026, 9, 1), "=1班", 40, "", ""]  # "=..." stays text
    assert {r[0]: r[1] for r in _rows(p, "基本信息")[2:]}["报表期"] == date(2026, 10, 1)


def test_many_rows_extend_the_validation(tmp_path: Path) -> None:
    n = 600
    ret = {
        "classes": [
            {"section": "初中", "grade": "七年级", "class_name": f"{k}班", "students": 40} for k in range(1, n + 1)
        ]
    }
    p = write_return(tmp_path / "big.xlsx", ret)
    rows = _rows(p, "班级学生")
    assert len(rows) == n + 1
    assert rows[-1] == ["初中", "七年级", f"{n}班", 40, "", ""]
    ws = openpyxl.load_workbook(p)["班级学生"]
    assert f"A{n + 1}" in _validation_at(ws, "A2").sqref


def test_text_like_a_formula_stays_text(tmp_path: Path) -> None:
    ret = {"classes": [{"section": "小学", "class_name": "=A1+1", "students": 40}]}
    assert _rows(write_return(tmp_path / "f.xlsx", ret), "班级学生")[1][2] == "=A1+1"


def test_same_return_same_bytes() -> None:
    assert return_bytes(_sample()) == return_bytes(_sample())


def test_unknown_codes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"班级学生.*studnets"):
        write_return(tmp_path / "x.xlsx", {"classes": [{"section": "小学", "studnets": 3}]})
    with pytest.raises(ValueError, match="基本信息"):
        write_return(tmp_path / "x.xlsx", {"info": {"code": "1"}})
    with pytest.raises(ValueError, match="未知的键"):
        write_return(tmp_path / "x.xlsx", {"class": []})
    with pytest.raises(ValueError, match="非有限"):
        write_return(tmp_path / "x.xlsx", {"classes": [{"students": float("nan")}]})


def test_no_formulas_written(tmp_path: Path) -> None:
    p = write_return(tmp_path / "r.xlsx", _sample())

    with zipfile.ZipFile(p) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(name)), name
