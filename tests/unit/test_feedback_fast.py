"""The zip-level feedback workbook (school's .xlsx unchanged + 问题清单) against the openpyxl path."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from python_calamine import CalamineWorkbook

from tasks.demo.returns import make_demo_returns
from tasks.publish.feedback import (
    ISSUE_HEADERS,
    ISSUES_SHEET,
    _fast_issues_copy,
    _issues_sheet,
    _mark_cells,
    _open_copy,
    _save,
    school_feedback,
)
from tasks.publish.template import write_return
from tests.fixtures import messy

EDITED = {"[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/workbook.xml", "xl/styles.xml"}
R1_MSG = "小学每百名学生拥有高于规定学历教师数 3.9 人，低于标准 4.2 人，请补充教师"
G4_MSG = "学校规模 52 个班，超过 45 个班"


def finding(sheet: Any, cell: Any, rule: str, value: str, message: str, severity: str = "violation") -> dict[str, Any]:
    return {"sheet": sheet, "cell": cell, "rule": rule, "severity": severity, "value": value, "message": message}


# As mart.validation_issues gives them: indicator violations name a sheet but no cell (or NULL).
VIOLATIONS = pd.DataFrame(
    [
        finding("班级学生", "", "R1", "3.9", R1_MSG),
        finding(None, None, "G4", "52", G4_MSG),
    ]
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    name, ret = make_demo_returns(schools=6)[0]
    return write_return(tmp_path_factory.mktemp("demo") / name, ret)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def grid(path: Path, sheet: str) -> list[list[Any]]:
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]


def openpyxl_path(src: Path, name: str, findings: pd.DataFrame, out: Path) -> Path:
    """What school_feedback wrote for every file before the fast path."""
    wb = _open_copy(src)
    assert wb is not None
    _mark_cells(wb, findings)
    _issues_sheet(wb, name, "loaded", findings)
    _save(wb, out)
    return out


def fast(src: Path, findings: pd.DataFrame, out: Path, name: str = "school.xlsx") -> Path:
    assert _fast_issues_copy(src, out, name, "loaded", findings)
    return out


def test_fast_copy_keeps_every_part_and_cell_and_adds_the_list_first(demo: Path, tmp_path: Path) -> None:
    out = fast(demo, VIOLATIONS, tmp_path / "fb.xlsx", demo.name)
    before, after = parts(demo), parts(out)
    for name, data in before.items():
        if name not in EDITED:
            assert after[name] == data, name
    new = set(after) - set(before)
    assert len(new) == 1 and re.fullmatch(r"xl/worksheets/sheet\d+\.xml", new.pop())

    wb_before, wb_after = load_workbook(demo), load_workbook(out)
    assert wb_after.sheetnames == [ISSUES_SHEET, *wb_before.sheetnames]
    assert wb_after.active is not None and wb_after.active.title == ISSUES_SHEET
    for ws in wb_before.worksheets:
        assert grid(out, ws.title) == grid(demo, ws.title), ws.title
    ca, cb = CalamineWorkbook.from_path(str(out)), CalamineWorkbook.from_path(str(demo))
    assert ca.sheet_names == [ISSUES_SHEET, *cb.sheet_names]
    for name in cb.sheet_names:
        assert ca.get_sheet_by_name(name).to_python() == cb.get_sheet_by_name(name).to_python(), name

    # The list, by hand: G4 (no sheet) sorts before R1 (班级学生) within the same severity.
    rows = grid(out, ISSUES_SHEET)
    assert demo.name in rows[0][0] and "已入库" in rows[0][0]
    assert rows[3] == list(ISSUE_HEADERS)
    assert rows[4] == [1, None, None, "未达标", "G4", "52", G4_MSG]
    assert rows[5] == [2, "班级学生", None, "未达标", "R1", "3.9", R1_MSG]
    assert len(rows) == 6
    ws = wb_after[ISSUES_SHEET]
    assert ws["A1"].font.b and ws["A1"].font.sz == 13 and ws["A4"].font.b and ws["G4"].font.b
    assert ws["G6"].alignment.wrap_text and ws["G6"].alignment.vertical == "top" and not ws["G6"].font.b
    assert ws.freeze_panes == "A5" and ws.column_dimensions["G"].width == 90
    # The school's own styles are still there, unchanged: the bold fill of a header cell.
    hdr_before, hdr_after = wb_before["班级学生"]["A1"], wb_after["班级学生"]["A1"]
    assert hdr_before.font.b and hdr_before.fill.fgColor.rgb not in (None, "00000000")
    assert (hdr_after.font.b, hdr_after.font.sz, hdr_after.fill.fgColor.rgb, hdr_after.border.left.style) == (
        hdr_before.font.b,
        hdr_before.font.sz,
        hdr_before.fill.fgColor.rgb,
        hdr_before.border.left.style,
    )

    # school_feedback takes this path for violation-only findings: the same bytes.
    again = school_feedback(demo, demo.name, "loaded", VIOLATIONS, tmp_path / "sf.xlsx")
    assert again.read_bytes() == out.read_bytes()


def test_fast_list_equals_the_openpyxl_list(demo: Path, tmp_path: Path) -> None:
    out = fast(demo, VIOLATIONS, tmp_path / "fast.xlsx", demo.name)
    ref = openpyxl_path(demo, demo.name, VIOLATIONS, tmp_path / "ref.xlsx")
    a, b = load_workbook(out), load_workbook(ref)
    assert a.sheetnames == b.sheetnames
    for name in b.sheetnames:
        assert grid(out, name) == grid(ref, name), name
    wa, wb = a[ISSUES_SHEET], b[ISSUES_SHEET]
    for ref_cell in ("A1", "A2", "A4", "G4", "A5", "G6"):
        ca, cb = wa[ref_cell], wb[ref_cell]
        assert (ca.font.b, ca.font.sz, ca.alignment.wrap_text) == (cb.font.b, cb.font.sz, cb.alignment.wrap_text)
    assert wa.freeze_panes == wb.freeze_panes
    widths = {k: d.width for k, d in wa.column_dimensions.items()}
    assert widths == {k: d.width for k, d in wb.column_dimensions.items()}
    assert a.active is not None and b.active is not None and a.active.title == b.active.title == ISSUES_SHEET


def test_hostile_finding_text_stays_text(demo: Path, tmp_path: Path) -> None:
    hostile = pd.DataFrame(
        [
            finding("班级学生", "", "R1", "<script>&\"'", "=cmd|' /C calc'!A0"),
            finding("</sheetData>", "", "R2", "+1\x01", "@SUM(A1)\x0b ok ]]> &amp;"),
            finding("教师", "", "R3", "-2", "line1\nline2\uffff"),
        ]
    )
    out = fast(demo, hostile, tmp_path / "fast.xlsx", "<学校>&.xlsx")
    rows = grid(out, ISSUES_SHEET)
    assert rows[0][0] == "文件「<学校>&.xlsx」的问题清单（处理结果：已入库）"
    by_rule = {r[4]: r for r in rows[4:]}
    assert by_rule["R1"][5:] == ["<script>&\"'", "'=cmd|' /C calc'!A0"]
    assert by_rule["R2"][1] == "</sheetData>" and by_rule["R2"][5:] == ["'+1", "'@SUM(A1) ok ]]> &amp;"]
    assert by_rule["R3"][5:] == ["'-2", "line1\nline2"]
    ws = load_workbook(out)[ISSUES_SHEET]
    assert all(c.data_type in ("s", "n") for row in ws.iter_rows() for c in row if c.value is not None)
    sheet_xml = next(v for k, v in parts(out).items() if k not in parts(demo))
    assert b"<f>" not in sheet_xml and b"<script>" not in sheet_xml
    calamine = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(ISSUES_SHEET).to_python()
    assert {r[4]: r[6] for r in calamine[4:]}["R1"] == "'=cmd|' /C calc'!A0"
    # What the openpyxl path writes for the same findings (it would write U+FFFF into the XML as is).
    tame = hostile.assign(message=hostile["message"].str.replace("\uffff", "", regex=False))
    ref = openpyxl_path(demo, "<学校>&.xlsx", tame, tmp_path / "ref.xlsx")
    assert grid(out, ISSUES_SHEET) == grid(ref, ISSUES_SHEET)


def _rezip(src: Path, out: Path, edit: dict[str, bytes | None]) -> Path:
    """A copy of src with parts replaced (bytes), removed (None) or added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            if name in edit:
                data = edit[name]
                if data is not None:
                    zout.writestr(name, data)
            else:
                zout.writestr(name, zin.read(name))
        for name, data in edit.items():
            if name not in zin.namelist() and data is not None:
                zout.writestr(name, data)
    return out


def test_excel_like_workbook_keeps_names_views_and_declarations(demo: Path, tmp_path: Path) -> None:
    """What Excel/WPS write and openpyxl's demo files lack: mc:Ignorable prefixes, a print area
    (a defined name local to a sheet, by position), the active tab selected, a calculation chain."""
    p = parts(demo)
    wb_xml = p["xl/workbook.xml"].decode()
    wb_xml = wb_xml.replace(
        "<workbook ",
        '<workbook xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15" '
        'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" ',
        1,
    ).replace(
        "<definedNames />",
        '<definedNames><definedName name="_xlnm.Print_Area" localSheetId="2">班级学生!$A$1:$D$5</definedName>'
        '<definedName name="全局">基本信息!$B$2</definedName></definedNames>',
    )
    assert 'activeTab="1"' in wb_xml and "localSheetId" in wb_xml
    sheet2 = p["xl/worksheets/sheet2.xml"].replace(
        b'<sheetView workbookViewId="0">', b'<sheetView tabSelected="1" workbookViewId="0">'
    )
    assert sheet2 != p["xl/worksheets/sheet2.xml"]
    calc = b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="A1" i="2"/></calcChain>'
    rels = p["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" '
        b'Target="calcChain.xml" Id="rId20" /></Relationships>',
    )
    types = p["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    src = _rezip(
        demo,
        tmp_path / "excel.xlsx",
        {
            "xl/workbook.xml": wb_xml.encode(),
            "xl/worksheets/sheet2.xml": sheet2,
            "xl/_rels/workbook.xml.rels": rels,
            "[Content_Types].xml": types,
            "xl/calcChain.xml": calc,
        },
    )
    before = load_workbook(src)
    assert before["班级学生"].print_area == "'班级学生'!$A$1:$D$5" and before.active.title == "基本信息"

    out = fast(src, VIOLATIONS, tmp_path / "fb.xlsx")
    after_parts = parts(out)
    assert "xl/calcChain.xml" not in after_parts
    assert b"calcChain" not in after_parts["xl/_rels/workbook.xml.rels"] + after_parts["[Content_Types].xml"]
    new_wb = after_parts["xl/workbook.xml"].decode()
    assert (
        'mc:Ignorable="x15"' in new_wb
        and 'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"' in new_wb
    )
    assert 'localSheetId="3"' in new_wb and "activeTab" not in new_wb  # default 0 = 问题清单
    # Only the list's tab is selected: sheet2 differs from the school's by that attribute alone.
    assert after_parts["xl/worksheets/sheet2.xml"] == p["xl/worksheets/sheet2.xml"]
    for name, data in parts(src).items():
        if name not in EDITED | {"xl/calcChain.xml", "xl/worksheets/sheet2.xml"}:
            assert after_parts[name] == data, name

    after = load_workbook(out)
    assert after.active is not None and after.active.title == ISSUES_SHEET
    assert after["班级学生"].print_area == "'班级学生'!$A$1:$D$5"  # still on its own sheet
    assert after.defined_names["全局"].attr_text == "基本信息!$B$2"
    selected = [ws.title for ws in after.worksheets if ws.sheet_view.tabSelected]
    assert selected == [ISSUES_SHEET]
    for ws in before.worksheets:
        assert grid(out, ws.title) == grid(src, ws.title)
    assert CalamineWorkbook.from_path(str(out)).sheet_names[0] == ISSUES_SHEET

    # The openpyxl path agrees on names, print area and the one selected tab.
    ref = load_workbook(openpyxl_path(src, "school.xlsx", VIOLATIONS, tmp_path / "ref.xlsx"))
    assert ref["班级学生"].print_area == after["班级学生"].print_area
    assert [ws.title for ws in ref.worksheets if ws.sheet_view.tabSelected] == [ISSUES_SHEET]


def _with_issues_sheet(demo: Path, out: Path) -> Path:
    wb = load_workbook(demo)
    wb.create_sheet(ISSUES_SHEET).append(["上次的旧清单"])
    wb.save(out)
    return out


def _xls(demo: Path, tmp_path: Path) -> Path:
    ret = make_demo_returns(schools=6)[0][1]
    return messy.legacy_xls(tmp_path / "x.xlsx", ret, tmp_path / "学校")


def _xlsm(demo: Path, tmp_path: Path) -> Path:
    macro = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    types = parts(demo)["[Content_Types].xml"].decode()
    types = re.sub(r"application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet\.main\+xml", macro, types)
    return _rezip(demo, tmp_path / "m.xlsm", {"[Content_Types].xml": types.encode()})


def _no_workbook(demo: Path, tmp_path: Path) -> Path:
    return _rezip(demo, tmp_path / "nowb.xlsx", {"xl/workbook.xml": None})


@pytest.mark.parametrize(
    "make",
    [
        lambda demo, tmp: _with_issues_sheet(demo, tmp / "old.xlsx"),
        _xls,
        _xlsm,
        _no_workbook,
        lambda demo, tmp: Path(tmp / "not.xlsx").write_bytes(b"PK\x03\x04 truncated") and tmp / "not.xlsx",
    ],
    ids=["has-issues-sheet", "xls", "xlsm", "no-workbook-xml", "broken-zip"],
)
def test_unusual_files_fall_back_to_openpyxl(make: Any, demo: Path, tmp_path: Path) -> None:
    src = make(demo, tmp_path)
    assert not _fast_issues_copy(src, tmp_path / "fast.xlsx", "x.xlsx", "loaded", VIOLATIONS)
    assert not (tmp_path / "fast.xlsx").exists() and not (tmp_path / "fast.xlsx.part").exists()
    out = school_feedback(src, "x.xlsx", "loaded", VIOLATIONS, tmp_path / "fb.xlsx")
    wb = load_workbook(out)
    wb_ref = _open_copy(src)
    if wb_ref is None:  # neither openpyxl nor calamine can open it: the short 无法打开 sheet
        assert wb.sheetnames == ["反馈"] and "无法打开" in str(wb["反馈"]["A1"].value)
        return
    ref = openpyxl_path(src, "x.xlsx", VIOLATIONS, tmp_path / "ref.xlsx")
    assert wb.sheetnames == load_workbook(ref).sheetnames and wb.sheetnames.count(ISSUES_SHEET) == 1
    for name in wb.sheetnames:
        assert grid(out, name) == grid(ref, name)
    assert all(r[0] != "上次的旧清单" for r in grid(out, ISSUES_SHEET))


def test_cell_findings_still_go_through_openpyxl(demo: Path, tmp_path: Path) -> None:
    located = pd.concat(
        [VIOLATIONS, pd.DataFrame([finding("班级学生", "D3", "value.range", "-1", "学生数不能为负", "error")])]
    )
    out = school_feedback(demo, demo.name, "rejected", located, tmp_path / "fb.xlsx")
    ws = load_workbook(out)["班级学生"]
    assert ws["D3"].fill.fgColor.rgb == "FFFFC7CE" and "学生数不能为负" in ws["D3"].comment.text


def test_openpyxl_path_releases_the_previously_selected_tab(tmp_path: Path) -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.active.sheet_view.tabSelected = True
    wb.create_sheet("第二")
    _issues_sheet(wb, "x.xlsx", "loaded", VIOLATIONS)
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [ISSUES_SHEET]


@pytest.mark.parametrize("cell", ["", "A1"], ids=["fast", "openpyxl"])
def test_a_chartsheet_survives_both_paths(cell: str, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for v in (7, 8, 9):
        ws.append([v])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=3))
    wb.create_chartsheet("图表").add_chart(chart)
    wb.save(tmp_path / "chart.xlsx")
    findings = pd.DataFrame([finding("Sheet", cell, "R1", "7", "偏低")])
    out = school_feedback(tmp_path / "chart.xlsx", "chart.xlsx", "loaded", findings, tmp_path / "fb.xlsx")
    back = load_workbook(out)
    assert back.sheetnames == [ISSUES_SHEET, "Sheet", "图表"] and back["Sheet"]["A1"].value == 7
    assert len(back["图表"]._charts) == 1
    assert (back["Sheet"]["A1"].comment is not None) == (cell == "A1")


def _raw_members(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """(CRC, compressed size, compressed bytes) of every member, read from the file's own offsets."""
    out: dict[str, tuple[int, int, bytes]] = {}
    with zipfile.ZipFile(path) as z, open(path, "rb") as fh:
        for info in z.infolist():
            fh.seek(info.header_offset + 26)
            name_len, extra_len = int.from_bytes(fh.read(2), "little"), int.from_bytes(fh.read(2), "little")
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            out[info.filename] = (info.CRC, info.compress_size, fh.read(info.compress_size))
    return out


def test_unchanged_members_are_copied_compressed_as_they_are(demo: Path, tmp_path: Path) -> None:
    """The parts the fast path does not edit keep their compressed bytes (no inflate + deflate again);
    the zip stays valid: every member's CRC checks out and Python's zipfile, openpyxl and calamine read it."""
    out = fast(demo, VIOLATIONS, tmp_path / "fb.xlsx", demo.name)
    before, after = _raw_members(demo), _raw_members(out)
    unchanged = [n for n in before if n not in EDITED and n != "xl/calcChain.xml"]
    assert unchanged and all(after[n] == before[n] for n in unchanged)
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None  # every member inflates and matches its CRC
    assert load_workbook(out).sheetnames[0] == ISSUES_SHEET
