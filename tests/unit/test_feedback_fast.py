"""A school's feedback workbook as the school opens it: its own sheets and cells unchanged, problem cells
marked, 问题清单 first and printable (read back with openpyxl and calamine, no database needed)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook

from tasks.demo.returns import make_demo_returns
from tasks.publish.feedback import ISSUE_HEADERS, ISSUES_SHEET, run, school_feedback
from tasks.publish.feedback.school import open_copy
from tasks.publish.template import write_return
from tests.fixtures import messy

SLIP_MSG = "「教学仪器设备值」疑似把元填进了万元列，请核实"
FAR_MSG = "生均面积明显偏离全县中位数，请核实"


def finding(sheet: Any, cell: Any, rule: str, value: str, message: str, severity: str = "violation") -> dict[str, Any]:
    return {"sheet": sheet, "cell": cell, "rule": rule, "severity": severity, "value": value, "message": message}


# Two 提醒 (names only the local list has, so the test does not depend on the shared one's wording).
VIOLATIONS = pd.DataFrame(
    [
        finding("办学条件", "", "plausibility.unit_slip", "449.8", SLIP_MSG, "warning"),
        finding(None, None, "plausibility.outlier", "52", FAR_MSG, "warning"),
    ]
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    name, ret = make_demo_returns(schools=6)[0]
    return write_return(tmp_path_factory.mktemp("demo") / name, ret)


def grid(path: Path, sheet: str) -> list[list[Any]]:
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]


def feedback(src: Path, findings: pd.DataFrame, out: Path, name: str = "school.xlsx", status: str = "loaded") -> Path:
    return school_feedback(src, name, status, findings, out, "3708300001 2026-10 问题清单")


def test_the_schools_workbook_with_the_list_first(demo: Path, tmp_path: Path) -> None:
    out = feedback(demo, VIOLATIONS, tmp_path / "fb.xlsx", demo.name)
    before, after = load_workbook(demo), load_workbook(out)
    assert after.sheetnames == [ISSUES_SHEET, *before.sheetnames]
    assert after.active is not None and after.active.title == ISSUES_SHEET
    assert [ws.title for ws in after.worksheets if ws.sheet_view.tabSelected] == [ISSUES_SHEET]
    for ws in before.worksheets:
        assert grid(out, ws.title) == grid(demo, ws.title), ws.title
    ca, cb = CalamineWorkbook.from_path(str(out)), CalamineWorkbook.from_path(str(demo))
    assert ca.sheet_names == [ISSUES_SHEET, *cb.sheet_names]
    for name in cb.sheet_names:
        assert ca.get_sheet_by_name(name).to_python() == cb.get_sheet_by_name(name).to_python(), name

    # The list, by hand: the finding without a sheet sorts before 办学条件 within the same severity.
    rows = grid(out, ISSUES_SHEET)
    assert demo.name in rows[0][0] and "已入库" in rows[0][0]
    assert rows[3] == list(ISSUE_HEADERS)
    assert rows[4] == [1, None, None, "提醒（请核实）", "数值明显偏离全县", "52", FAR_MSG]
    assert rows[5] == [2, "办学条件", None, "提醒（请核实）", "疑似单位填错", "449.8", SLIP_MSG]
    assert len(rows) == 6
    ws = after[ISSUES_SHEET]
    assert ws["A1"].font.b and ws["A1"].font.sz == 13 and ws["A4"].font.b and ws["G4"].font.b
    assert ws["G6"].alignment.wrap_text and ws["G6"].alignment.vertical == "top" and not ws["G6"].font.b
    assert ws["D5"].fill.fgColor.rgb == "FFFFF2CC"  # 提醒 in light yellow
    # The school's own styles are still there, unchanged: the bold fill of a header cell.
    hdr_before, hdr_after = before["班级学生"]["A1"], after["班级学生"]["A1"]
    assert hdr_before.font.b and hdr_before.fill.fgColor.rgb not in (None, "00000000")
    assert (hdr_after.font.b, hdr_after.fill.fgColor.rgb, hdr_after.border.left.style) == (
        hdr_before.font.b,
        hdr_before.fill.fgColor.rgb,
        hdr_before.border.left.style,
    )


def test_the_list_is_made_to_print_and_filter(demo: Path, tmp_path: Path) -> None:
    ws = load_workbook(feedback(demo, VIOLATIONS, tmp_path / "fb.xlsx"))[ISSUES_SHEET]
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:G6"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)  # 2 findings: one page
    assert ws.print_title_rows == "$4:$4"
    assert ws.oddHeader.center.text == "3708300001 2026-10 问题清单"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text

    many = pd.DataFrame([finding("教师", f"B{i}", "value.negative", "-1", "为负") for i in range(2, 23)])  # 21
    ws = load_workbook(feedback(demo, many, tmp_path / "many.xlsx"))[ISSUES_SHEET]
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)  # one page wide, as long as needed


def test_hostile_finding_text_stays_text(demo: Path, tmp_path: Path) -> None:
    hostile = pd.DataFrame(
        [
            finding("班级学生", "", "value.not_a_number", "<script>&\"'", "=cmd|' /C calc'!A0", "error"),
            finding("教师", "", "plausibility.outlier", "+1\x01", "@SUM(A1)\x0b ok ]]> &amp;", "warning"),
            finding("</sheetData>", "", "sheet.extra_column", "-2", "line1\nline2", "info"),
        ]
    )
    out = feedback(demo, hostile, tmp_path / "fb.xlsx", "<学校>&.xlsx")
    rows = grid(out, ISSUES_SHEET)
    assert rows[0][0] == "文件「<学校>&.xlsx」的问题清单（处理结果：已入库）"
    assert rows[4][5:] == ["<script>&\"'", "'=cmd|' /C calc'!A0"]
    assert rows[5][5:] == ["'+1", "'@SUM(A1) ok ]]> &amp;"]
    assert rows[6][1] is None and rows[6][5:] == ["'-2", "line1\nline2"]  # no sheet the workbook lacks
    ws = load_workbook(out)[ISSUES_SHEET]
    assert all(c.data_type in ("s", "n") for row in ws.iter_rows() for c in row if c.value is not None)
    with zipfile.ZipFile(out) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    calamine = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(ISSUES_SHEET).to_python()
    assert calamine[4][6] == "'=cmd|' /C calc'!A0"


def test_names_print_areas_and_the_selected_tab_survive(demo: Path, tmp_path: Path) -> None:
    """What Excel/WPS files carry and a rewrite could lose: a print area (a name local to a sheet, by
    position), a workbook-wide name, another tab selected and active."""
    wb = load_workbook(demo)
    wb["班级学生"].print_area = "A1:D5"
    wb.defined_names["全局"] = DefinedName("全局", attr_text="基本信息!$B$2")
    wb.active = 1
    wb.worksheets[1].sheet_view.tabSelected = True
    src = tmp_path / "excel.xlsx"
    wb.save(src)

    after = load_workbook(feedback(src, VIOLATIONS, tmp_path / "fb.xlsx"))
    assert after.active is not None and after.active.title == ISSUES_SHEET
    assert after["班级学生"].print_area == "'班级学生'!$A$1:$D$5"  # still on its own sheet
    assert after.defined_names["全局"].attr_text == "基本信息!$B$2"
    assert [ws.title for ws in after.worksheets if ws.sheet_view.tabSelected] == [ISSUES_SHEET]


def _with_issues_sheet(demo: Path, tmp: Path) -> Path:
    wb = load_workbook(demo)
    wb.create_sheet(ISSUES_SHEET).append(["上次的旧清单"])
    wb.save(tmp / "old.xlsx")
    return tmp / "old.xlsx"


def _xls(demo: Path, tmp: Path) -> Path:
    ret = make_demo_returns(schools=6)[0][1]
    return messy.legacy_xls(tmp / "x.xlsx", ret, tmp / "学校")


def _broken(demo: Path, tmp: Path) -> Path:
    (tmp / "not.xlsx").write_bytes(b"PK\x03\x04 truncated")
    return tmp / "not.xlsx"


@pytest.mark.parametrize("make", [_with_issues_sheet, _xls, _broken], ids=["has-issues-sheet", "xls", "broken-zip"])
def test_unusual_files(make: Any, demo: Path, tmp_path: Path) -> None:
    src = make(demo, tmp_path)
    wb = load_workbook(feedback(src, VIOLATIONS, tmp_path / "fb.xlsx", "x.xlsx"))
    if open_copy(src) is None:  # neither openpyxl nor calamine can open it: the short 无法打开 sheet
        assert wb.sheetnames == ["反馈"] and "无法打开" in str(wb["反馈"]["A1"].value)
        return
    assert wb.sheetnames[0] == ISSUES_SHEET and wb.sheetnames.count(ISSUES_SHEET) == 1
    assert "班级学生" in wb.sheetnames and wb["班级学生"]["D1"].value == "学生数"
    assert all(r[0] != "上次的旧清单" for r in grid(tmp_path / "fb.xlsx", ISSUES_SHEET))


def test_located_findings_are_marked_and_commented(demo: Path, tmp_path: Path) -> None:
    located = pd.concat(
        [
            VIOLATIONS,
            pd.DataFrame(
                [
                    finding("班级学生", "D3", "value.range", "-1", "学生数不能为负", "error"),
                    finding("班级学生", "D3", "G5", "-1", "另一条", "warning"),
                    finding("班级学生", "D4", "G5", "51", "班额超标", "warning"),
                ]
            ),
        ]
    )
    out = feedback(demo, located, tmp_path / "fb.xlsx", demo.name, "rejected")
    ws = load_workbook(out)["班级学生"]
    assert ws["D3"].fill.fgColor.rgb == "FFFFC7CE"  # the worst of the cell's findings decides: red
    assert "学生数不能为负" in ws["D3"].comment.text and "另一条" in ws["D3"].comment.text
    assert ws["D4"].fill.fgColor.rgb == "FFFFEB9C" and "班额超标" in ws["D4"].comment.text
    assert ws["D5"].comment is None


def test_a_chartsheet_survives(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for v in (7, 8, 9):
        ws.append([v])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=3))
    wb.create_chartsheet("图表").add_chart(chart)
    wb.save(tmp_path / "chart.xlsx")
    findings = pd.DataFrame([finding("Sheet", "A1", "value.negative", "7", "偏低", "error")])
    out = feedback(tmp_path / "chart.xlsx", findings, tmp_path / "fb.xlsx", "chart.xlsx")
    back = load_workbook(out)
    assert back.sheetnames == [ISSUES_SHEET, "Sheet", "图表"] and back["Sheet"]["A1"].value == 7
    assert back["Sheet"]["A1"].comment is not None
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())


def test_many_feedbacks_are_written_by_worker_processes_alike(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [
        run.Job(f"f{i}", demo, demo.name, "loaded", VIOLATIONS, tmp_path / "pool" / f"{i}.xlsx", "页眉", None)
        for i in range(4)
    ]
    monkeypatch.setattr(run, "PARALLEL_MIN", 2)
    pooled = run.run_jobs(jobs)
    assert [(fid, n) for fid, _, n in pooled] == [(f"f{i}", 2) for i in range(4)]  # two 提醒 each
    alone = feedback(demo, VIOLATIONS, tmp_path / "alone.xlsx", demo.name)
    for _, path, _ in pooled:
        assert grid(path, ISSUES_SHEET) == grid(alone, ISSUES_SHEET)
        assert grid(path, "教师") == grid(demo, "教师")


def test_without_worker_processes_this_process_writes_every_feedback(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enough workbooks for a pool, but no process can be started: every one is written here, in order."""

    def no_processes(method: str) -> Any:
        raise OSError("no processes here")

    jobs = [
        run.Job(f"f{i}", demo, demo.name, "loaded", VIOLATIONS, tmp_path / "pool" / f"{i}.xlsx", "页眉", None)
        for i in range(3 * run.CHUNK + 1)
    ]
    monkeypatch.setattr(run, "PARALLEL_MIN", 2)
    monkeypatch.setattr(run.multiprocessing, "get_context", no_processes)
    results = run.run_jobs(jobs)
    assert [(fid, n) for fid, _, n in results] == [(f"f{i}", 2) for i in range(len(jobs))]
    assert all(path.is_file() and grid(path, "教师") == grid(demo, "教师") for _, path, _ in results)
