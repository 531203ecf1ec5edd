"""Reading returns into a located ReturnBatch (tasks/read.py), on tiny workbooks written here."""

from __future__ import annotations

import copy
import hashlib
import math
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.styles import Border, Side

import tasks.read.returns as read_mod
from junheng import spec
from junheng.contract import Finding, ReceivedFile, ReturnBatch
from tasks.read.returns import read_returns

Grid = list[list[Any]]

INFO: Grid = [
    ["XX县义务教育学校优质均衡发展监测报表"],
    ["模板版本：JH-2026.1"],
    ["学校标识码", "3708300001"],
    ["学校名称", "城关第一小学"],
    ["办学类型", "九年一贯制学校"],
    ["所在乡镇（街道）", "城关镇"],
    ["城乡分类", "城区"],
    ["是否寄宿制学校", "否"],
    ["办学性质", "公办"],
    ["是否教学点", "否"],
    ["建校年份", 1956],
    ["报表期", "2026-10"],
    ["填报人", "张三"],
    ["填报日期", date(2026, 11, 3)],
]
CLASSES: Grid = [
    ["学段", "年级", "班级", "学生数", "其中随迁子女数", "其中残疾学生数"],
    ["小学", "一年级", "1班", 45, 3, 0],
    ["小学", "一年级", "2班", 44, 2, 1],
    ["初中", "七年级", "1班", 50, 5, 0],
]
TEACHERS: Grid = [
    [f.label for f in spec.TEACHERS.fields],
    ["小学", 30, 25, 3, 2, 2, 2, 30, 10, 2, 1, 28],
    ["初中", 20, 18, 2, 2, 1, 1, 20, 8, 1, 0, 19],
]
FACILITIES: Grid = [
    [f.label for f in spec.FACILITIES.fields],
    ["小学", 4000, 500, 8000, 120.5, 10],
    ["初中", 3000, 400, 6000, 80, 8],
    ["共用", 1000, 0, 2000, 10, 2],
]


def base_sheets() -> dict[str, Grid]:
    return copy.deepcopy({"基本信息": INFO, "班级学生": CLASSES, "教师": TEACHERS, "办学条件": FACILITIES})


def write_xlsx(
    path: Path,
    sheets: dict[str, Grid],
    *,
    merges: dict[str, list[str]] | None = None,
    hidden: tuple[str, ...] = (),
    bordered: dict[str, list[str]] | None = None,
) -> Path:
    """A workbook with literal values; None leaves a cell empty."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, grid in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(grid, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(r, c, v)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
        thin = Side(style="thin")
        for ref in (bordered or {}).get(name, []):
            ws[ref].border = Border(left=thin, right=thin, top=thin, bottom=thin)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def received(path: Path) -> ReceivedFile:
    data = path.read_bytes()
    return ReceivedFile(
        file_id=hashlib.sha256(data + path.name.encode()).hexdigest(),
        file_name=path.name,
        source_path=str(path),
        archive_path=str(path),
        received_at=datetime(2026, 11, 5, 8, 0),
        size_bytes=len(data),
    )


def read_one(path: Path) -> tuple[ReturnBatch, str]:
    rf = received(path)
    return read_returns([rf]), rf.file_id


def rules(batch: ReturnBatch, severity: str | None = None) -> list[str]:
    return [f.rule for f in batch.findings if severity is None or f.severity == severity]


def only(batch: ReturnBatch, rule: str) -> Finding:
    found = [f for f in batch.findings if f.rule == rule]
    assert len(found) == 1, batch.findings
    return found[0]


# --- clean file -------------------------------------------------------------------------------


def test_clean_file(tmp_path: Path) -> None:
    batch, fid = read_one(write_xlsx(tmp_path / "clean.xlsx", base_sheets()))
    assert batch.findings == []

    info = batch.info
    assert len(info) == 1
    row = info.iloc[0]
    assert row["file_id"] == fid
    assert row["school_code"] == "3708300001"
    assert row["school_name"] == "城关第一小学"
    assert row["school_type"] == "九年一贯制学校"
    assert row["period"] == "2026-10"
    assert row["founded_year"] == 1956
    assert row["submitted_on"] == date(2026, 11, 3)
    assert pd.isna(row["senior_students"])
    assert batch.info_cells[fid]["school_code"] == "B3"
    assert batch.info_cells[fid]["period"] == "B12"

    classes = batch.frames["classes"]
    assert list(classes.columns[:9]) == [
        "file_id",
        "sheet",
        "row",
        "section",
        "grade",
        "class_name",
        "students",
        "migrant_students",
        "disabled_students",
    ]
    assert classes["row"].tolist() == [2, 3, 4]
    assert classes["students"].tolist() == [45.0, 44.0, 50.0]
    assert classes["section"].tolist() == ["小学", "小学", "初中"]
    assert classes["sheet"].tolist() == ["班级学生"] * 3
    assert classes["students"].dtype == "float64"
    assert classes["grade"].dtype == "str"
    assert classes["row"].dtype == "int64"
    assert batch.columns[(fid, "班级学生")]["students"] == "D"
    assert batch.cell(fid, "班级学生", "students", 3) == "D3"

    teachers = batch.frames["teachers"]
    assert teachers["teachers"].tolist() == [30.0, 20.0]
    assert teachers["trained_360h_teachers"].tolist() == [28.0, 19.0]

    fac = batch.frames["facilities"]
    # Template header says 万元: 120.5 万元 = 1 205 000 元.
    assert fac["equipment_value_yuan"].tolist() == [1205000.0, 800000.0, 100000.0]
    assert fac["section"].tolist() == ["小学", "初中", "共用"]
    # Optional sheets absent: empty frames that still have their columns.
    assert batch.frames["rooms"].empty and "area_m2" in batch.frames["rooms"].columns
    assert batch.frames["quality"].empty


def test_empty_batch_has_all_frames() -> None:
    batch = read_returns([])
    assert batch.info.empty and "school_code" in batch.info.columns
    assert set(batch.frames) == {"classes", "teachers", "facilities", "rooms", "quality"}
    assert all(df.empty for df in batch.frames.values())


# --- layout variants --------------------------------------------------------------------------


def test_merged_title_and_unit_row(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [
        ["城关第一小学班级学生情况"],
        CLASSES[0],
        [None, None, None, "（人）", "（人）", "（人）"],
        *CLASSES[1:],
    ]
    batch, _fid = read_one(write_xlsx(tmp_path / "t.xlsx", sheets, merges={"班级学生": ["A1:F1"]}))
    assert rules(batch, "error") == []
    classes = batch.frames["classes"]
    assert classes["row"].tolist() == [4, 5, 6]
    assert classes["students"].tolist() == [45.0, 44.0, 50.0]


def test_columns_reordered_and_extra_column(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [
        ["学生数", "备注", "班级", "学段", "其中残疾学生数", "年级", "其中随迁子女数"],
        [45, "新班", "1班", "小学", 0, "一年级", 3],
        [50, None, "1班", "初中", 1, "七年级", 5],
    ]
    batch, fid = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert rules(batch, "error") == []
    f = only(batch, "sheet.extra_column")
    assert f.severity == "info"
    assert "备注" in f.message and "B列" in f.message
    classes = batch.frames["classes"]
    assert classes["students"].tolist() == [45.0, 50.0]
    assert classes["section"].tolist() == ["小学", "初中"]
    assert classes["migrant_students"].tolist() == [3.0, 5.0]
    assert classes["disabled_students"].tolist() == [0.0, 1.0]
    assert "备注" not in classes.columns
    cols = batch.columns[(fid, "班级学生")]
    assert cols["students"] == "A" and cols["section"] == "D" and cols["migrant_students"] == "G"


def test_labels_with_other_brackets_units_and_line_breaks(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["办学条件"] = [
        [
            "学 段",
            "教学及辅助用房面积(㎡)",
            "其中：室内体育用房面积\n(m2)",
            "运动场地面积（平方米）",
            "教学仪器设备值(元)",
            "网络多媒体\n教室数（间）",
        ],
        ["小学", 4000, 500, 8000, 1205000, 10],
    ]
    batch, _fid = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert rules(batch) == []
    fac = batch.frames["facilities"].iloc[0]
    assert fac["teaching_aux_area_m2"] == 4000.0
    assert fac["indoor_sports_area_m2"] == 500.0
    assert fac["sports_ground_area_m2"] == 8000.0
    assert fac["equipment_value_yuan"] == 1205000.0  # header in 元: × 1
    assert fac["multimedia_classrooms"] == 10.0


def test_money_unit_from_unit_row_and_assumed_when_absent(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["办学条件"] = [
        ["学段", "教学及辅助用房面积", "其中：室内体育用房面积", "运动场地面积", "教学仪器设备值", "网络多媒体教室数"],
        [None, "平方米", "平方米", "平方米", "元", "间"],
        ["小学", 4000, 500, 8000, 3000, 10],
    ]
    batch, _ = read_one(write_xlsx(tmp_path / "unitrow.xlsx", sheets))
    assert rules(batch) == []
    assert batch.frames["facilities"]["equipment_value_yuan"].tolist() == [3000.0]

    sheets["办学条件"] = [sheets["办学条件"][0], sheets["办学条件"][2]]
    batch, _ = read_one(write_xlsx(tmp_path / "nounit.xlsx", sheets))
    f = only(batch, "header.unit_assumed")
    assert f.severity == "warning" and f.cell == "E1"
    assert batch.frames["facilities"]["equipment_value_yuan"].tolist() == [30_000_000.0]  # 3000 万元


def test_numbers_typed_as_text(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [
        CLASSES[0],
        ["小学", "一年级", "1班", "1,234", "—", None],
        ["小学", "一年级", "2班", "１２３", "-", "/"],
        ["小学", "二年级", "1班", " 45 ", "3人", "－"],
        ["初中", "七年级", "1班", "45人", 0, "0"],
        ["初中", "七年级", "2班", "3.5万", 2, 1],
    ]
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert rules(batch) == []
    classes = batch.frames["classes"]
    assert classes["students"].tolist() == [1234.0, 123.0, 45.0, 45.0, 35000.0]
    migrant = classes["migrant_students"].tolist()
    assert math.isnan(migrant[0]) and math.isnan(migrant[1])
    assert migrant[2:] == [3.0, 0.0, 2.0]
    assert classes["disabled_students"].isna().tolist() == [True, True, True, False, False]


@pytest.mark.parametrize("code_cell", [3708300001, 3708300001.0, "'3708300001", " 3708300001 ", "3708300001.0"])
def test_school_code_as_number_or_with_apostrophe(tmp_path: Path, code_cell: object) -> None:
    sheets = base_sheets()
    sheets["基本信息"][2][1] = code_cell
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert batch.info["school_code"].tolist() == ["3708300001"]


def test_info_period_variants_and_label_in_other_column(tmp_path: Path) -> None:
    sheets = base_sheets()
    # Labels in column B, values in C (someone inserted a column in front).
    sheets["基本信息"] = [row[:1] if i < 2 else [None, *row] for i, row in enumerate(INFO)]
    sheets["基本信息"][11][2] = "2026年10月"
    batch, fid = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert rules(batch) == []
    assert batch.info["period"].tolist() == ["2026-10"]
    assert batch.info["school_code"].tolist() == ["3708300001"]
    assert batch.info_cells[fid]["period"] == "C12"


def test_bad_info_values_keep_raw_text(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["基本信息"][10][1] = "五十年代"  # 建校年份
    sheets["基本信息"][11][1] = "下个月"  # 报表期
    sheets["基本信息"][13][1] = "昨天"  # 填报日期
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    by_rule = {f.rule: f for f in batch.findings}
    assert set(by_rule) == {"value.not_a_number", "value.bad_period", "value.bad_date"}
    assert by_rule["value.not_a_number"].cell == "B11"
    assert by_rule["value.bad_period"].cell == "B12"
    assert by_rule["value.bad_date"].cell == "B14"
    assert all(f.severity == "error" and f.school_code == "3708300001" for f in batch.findings)
    info = batch.info.iloc[0]
    assert pd.isna(info["period"]) and info["period__raw"] == "下个月"
    assert pd.isna(info["founded_year"]) and info["founded_year__raw"] == "五十年代"
    assert info["submitted_on"] is None and info["submitted_on__raw"] == "昨天"


# --- rows: totals, notes, empty rows ------------------------------------------------------------


def test_total_row_matching_is_not_a_class(tmp_path: Path) -> None:
    sheets = base_sheets()
    # 45 + 44 + 50 = 139; 3 + 2 + 5 = 10; 0 + 1 + 0 = 1.
    sheets["班级学生"].append(["合计", None, None, 139, 10, 1])
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert rules(batch) == []
    assert len(batch.frames["classes"]) == 3


def test_total_row_mismatch(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"].append([None, "合 计", None, 140, 10, None])
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "total.mismatch")
    assert f.severity == "error"
    assert f.cell == "D5" and f.sheet == "班级学生"
    assert "是 140，" in f.message and "之和是 139" in f.message
    assert f.school_code == "3708300001"
    assert len(batch.frames["classes"]) == 3


def test_subtotal_rows_check_their_own_block(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [
        CLASSES[0],
        CLASSES[1],
        CLASSES[2],
        ["小计", None, None, 89, 5, 1],  # 45 + 44
        CLASSES[3],
        ["小计", None, None, 51, 5, 0],  # should be 50
        ["总计", None, None, 139, 10, 1],
    ]
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "total.mismatch")
    assert f.cell == "D6" and "是 51，" in f.message and "之和是 50" in f.message
    assert batch.frames["classes"]["students"].tolist() == [45.0, 44.0, 50.0]


def test_section_totals_named_in_a_later_column(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [
        CLASSES[0],
        CLASSES[1],
        CLASSES[2],
        ["小学", None, "小学合计", 89, 5, 1],  # 45 + 44, 3 + 2, 0 + 1: right
        CLASSES[3],
        ["初中", None, "初中合计", 50, 6, 0],  # migrants 5, not 6
    ]
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "total.mismatch")
    assert f.cell == "E6" and "是 6，" in f.message and "之和是 5" in f.message
    assert len(batch.frames["classes"]) == 3


def test_notes_below_the_table_and_empty_bordered_rows(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [
        *CLASSES[:3],
        [None] * 6,  # row 4: borders only
        CLASSES[3],
        [None] * 6,
        ["注：学生数按学籍系统统计"],
        ["说明：随迁子女指进城务工人员随迁子女", None, None, None, None, None],
        ["小学", "三年级", "1班", 99, 0, 0],  # below the notes: not read
    ]
    bordered = {"班级学生": [f"{c}{r}" for r in (4, 6) for c in "ABCDEF"]}
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets, bordered=bordered))
    assert rules(batch) == []
    assert batch.frames["classes"]["row"].tolist() == [2, 3, 5]


def test_yixia_kongbai_ends_the_table(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] += [[None, None, "以下空白"], ["小学", "三年级", "1班", 99, 0, 0]]
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert rules(batch) == []
    assert batch.frames["classes"]["row"].tolist() == [2, 3, 4]


def test_vertically_merged_section_cell(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"][2][0] = None
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets, merges={"班级学生": ["A2:A3"]}))
    assert batch.frames["classes"]["section"].tolist() == ["小学", "小学", "初中"]


# --- value errors ---------------------------------------------------------------------------


def test_excel_error_value(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"][2][3] = "#REF!"  # openpyxl stores it as an error cell, like Excel does
    batch, _fid = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "value.excel_error")
    assert (f.sheet, f.cell, f.value, f.severity) == ("班级学生", "D3", "#REF!", "error")
    assert "#REF!" in f.message
    classes = batch.frames["classes"]
    assert math.isnan(classes["students"].iloc[1])
    assert classes["students__raw"].iloc[1] == "#REF!"


def test_excel_error_in_a_text_column(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"][1][0] = "#N/A"
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "value.excel_error")
    assert f.cell == "A2" and "学段" in f.message
    assert pd.isna(batch.frames["classes"]["section"].iloc[0])


def test_two_header_rows_under_a_merged_qizhong(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [
        ["学段", "年级", "班级", "学生数", "其中", None],
        [None, None, None, None, "随迁子女数", "残疾学生数"],
        *CLASSES[1:],
    ]
    merges = {"班级学生": ["E1:F1", "A1:A2", "B1:B2", "C1:C2", "D1:D2"]}
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets, merges=merges))
    assert rules(batch) == []
    classes = batch.frames["classes"]
    assert classes["row"].tolist() == [3, 4, 5]
    assert classes["migrant_students"].tolist() == [3.0, 2.0, 5.0]
    assert classes["disabled_students"].tolist() == [0.0, 1.0, 0.0]


def test_period_stored_as_ambiguous_number(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["基本信息"][11][1] = 2026.1  # "2026.10" typed into a General cell
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "value.bad_period")
    assert f.cell == "B12" and "10 月" in f.message and "2026-10" in f.message


def test_not_a_number_is_located(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["教师"][1][1] = "三十"
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "value.not_a_number")
    assert (f.sheet, f.cell, f.value) == ("教师", "B2", "三十")
    assert "专任教师数" in f.message and "请填写数字" in f.message and "t.xlsx" in f.message
    assert batch.frames["teachers"]["teachers__raw"].tolist()[0] == "三十"


# --- structural findings ------------------------------------------------------------------------


def test_missing_required_sheet(tmp_path: Path) -> None:
    sheets = base_sheets()
    del sheets["教师"]
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "sheet.missing")
    assert (f.sheet, f.severity) == ("教师", "error")
    assert "教师" in f.message
    assert len(batch.frames["classes"]) == 3  # the rest is still read


def test_missing_required_column(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["班级学生"] = [[row[i] for i in (0, 1, 2, 4, 5)] for row in CLASSES]  # no 学生数
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "sheet.missing_column")
    assert f.severity == "error" and "学生数" in f.message and f.sheet == "班级学生"
    classes = batch.frames["classes"]
    assert classes["students"].isna().all()
    assert classes["students__raw"].tolist() == ["(列缺失)"] * 3
    assert classes["migrant_students"].tolist() == [3.0, 2.0, 5.0]


def test_missing_info_key(tmp_path: Path) -> None:
    sheets = base_sheets()
    del sheets["基本信息"][3]  # 学校名称
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "sheet.missing_column")
    assert f.sheet == "基本信息" and "学校名称" in f.message


def test_wrong_template_version(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["基本信息"][1] = ["模板版本：JH-2025.2"]
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "template.version")
    assert (f.severity, f.cell, f.value) == ("error", "A2", "JH-2025.2")
    assert spec.TEMPLATE_VERSION in f.message


def test_version_row_absent_is_a_warning(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["基本信息"][1] = [None]
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "template.version")
    assert f.severity == "warning"
    assert len(batch.info) == 1


def test_hidden_sheet_is_read(tmp_path: Path) -> None:
    batch, _ = read_one(write_xlsx(tmp_path / "t.xlsx", base_sheets(), hidden=("教师",)))
    assert rules(batch) == []
    assert len(batch.frames["teachers"]) == 2


def test_renamed_tab_found_by_content(tmp_path: Path) -> None:
    sheets = base_sheets()
    sheets["Sheet1"] = sheets.pop("班级学生")
    batch, fid = read_one(write_xlsx(tmp_path / "t.xlsx", sheets))
    f = only(batch, "sheet.renamed")
    assert f.severity == "info" and "班级学生" in f.message
    classes = batch.frames["classes"]
    assert len(classes) == 3 and classes["sheet"].tolist() == ["Sheet1"] * 3
    # Validation may locate cells by the spec sheet name as well.
    assert batch.cell(fid, "班级学生", "students", 2) == "D2"


# --- unreadable files ------------------------------------------------------------------------


def _unreadable(batch: ReturnBatch) -> Finding:
    f = only(batch, "file.unreadable")
    assert f.severity == "error" and f.cell == "" and f.school_code is None
    assert batch.info.empty
    assert all(df.empty for df in batch.frames.values())
    return f


def test_random_bytes(tmp_path: Path) -> None:
    p = tmp_path / "random.xlsx"
    p.write_bytes(os.urandom(4096).replace(b"PK", b"QQ"))
    f = _unreadable(read_one(p)[0])
    assert "不是 Excel" in f.message and "random.xlsx" in f.message


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    assert "空" in _unreadable(read_one(p)[0]).message


def test_truncated_zip(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", base_sheets()).read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(good[: len(good) // 2])
    assert "不完整" in _unreadable(read_one(p)[0]).message


def test_encrypted_ole_container(tmp_path: Path) -> None:
    # Password-protected .xlsx files are OLE2 containers with an EncryptionInfo stream. No
    # encryption library is installed, so this is a stand-in with the same signature and name.
    p = tmp_path / "locked.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 1024)
    assert "密码" in _unreadable(read_one(p)[0]).message


def test_word_document_named_xlsx(tmp_path: Path) -> None:
    import zipfile

    p = tmp_path / "report.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    assert "Word" in _unreadable(read_one(p)[0]).message


def test_unexpected_exception_becomes_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("kaputt")

    monkeypatch.setattr(read_mod, "_read_workbook", boom)
    f = _unreadable(read_one(write_xlsx(tmp_path / "t.xlsx", base_sheets()))[0])
    assert "kaputt" in f.message


def test_one_bad_file_does_not_stop_the_batch(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook at all")
    good = write_xlsx(tmp_path / "good.xlsx", base_sheets())
    rb, rg = received(bad), received(good)
    batch = read_returns([rb, rg])
    assert [f.file_id for f in batch.findings] == [rb.file_id]
    assert batch.info["file_id"].tolist() == [rg.file_id]
    assert set(batch.frames["classes"]["file_id"]) == {rg.file_id}
    assert batch.file_name(rb.file_id) == "bad.xlsx"


# --- HTML saved as .xls -------------------------------------------------------------------------

HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>
<h3>基本信息</h3>
<table border="1">
<tr><td colspan="2">XX县义务教育学校优质均衡发展监测报表</td></tr>
<tr><td colspan="2">模板版本：JH-2026.1</td></tr>
<tr><td>学校标识码</td><td>3708300002</td></tr><tr><td>学校名称</td><td>城关第二小学&nbsp;</td></tr>
<tr><td>办学类型</td><td>小学</td></tr><tr><td>所在乡镇（街道）</td><td>城关镇</td></tr>
<tr><td>城乡分类</td><td>城区</td></tr><tr><td>是否寄宿制学校</td><td>否</td></tr>
<tr><td>办学性质</td><td>公办</td></tr><tr><td>报表期</td><td>2026年10月</td></tr>
</table>
<table><caption>班级学生</caption>
<tr><th>学段</th><th>年级</th><th>班级</th><th>学生数<br>（人）</th><th>其中随迁子女数</th><th>其中残疾学生数</th></tr>
<tr><td rowspan="2">小学</td><td>一年级</td><td>1班</td><td>1,045</td><td>1</td><td>0</td></tr>
<tr><td>一年级</td><td>2班</td><td>40</td><td>2</td><td>-</td></tr>
<tr><td>合计</td><td></td><td></td><td>1085</td><td>3</td><td>0</td></tr>
</table>
<TABLE><TR><TH>学段</TH><TH>专任教师数</TH><TH>体育专任教师数</TH></TR><TR><TD>小学</TD><TD>30</TD><TD>2</TD></TR>
</TABLE></body></html>"""


def test_html_table_saved_as_xls(tmp_path: Path) -> None:
    p = tmp_path / "export.xls"
    p.write_bytes(HTML.encode("gb18030"))
    batch, _fid = read_one(p)
    info = batch.info.iloc[0]
    assert info["school_code"] == "3708300002"
    assert info["school_name"] == "城关第二小学"
    assert info["period"] == "2026-10"
    classes = batch.frames["classes"]
    assert classes["students"].tolist() == [1045.0, 40.0]
    assert classes["section"].tolist() == ["小学", "小学"]  # rowspan carries the section down
    assert classes["row"].tolist() == [2, 3]
    teachers = batch.frames["teachers"]
    assert teachers["teachers"].tolist() == [30.0]  # unnamed table recognised by its header
    got = set(rules(batch))
    assert "total.mismatch" not in got and "template.version" not in got and "file.unreadable" not in got
    assert "sheet.missing" in got  # 办学条件 is not in the export


# --- speed -----------------------------------------------------------------------------------


def test_clean_return_reads_fast(tmp_path: Path) -> None:
    import time

    rf = received(write_xlsx(tmp_path / "t.xlsx", base_sheets()))
    read_returns([rf])  # warm up caches
    start = time.perf_counter()
    batch = read_returns([rf] * 50)
    per_file = (time.perf_counter() - start) / 50
    assert len(batch.info) == 50
    assert per_file < 0.02, per_file  # a few ms in practice; generous for slow CI machines
