"""The county workbook as a reader sees it: sheets, values, number formats, fills, print set-up, charts."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook
from test_county_report_text import county

from tasks.publish.county_report import write_county_workbook

BELOW, FLOOR = "FFFFC7CE", "FFE06666"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_county_workbook(county(), tmp_path_factory.mktemp("wb") / "c.xlsx")


def _find(ws: Worksheet, text: str) -> int:
    """The row whose column A holds ``text``."""
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not in column A of {ws.title}")


def _fill(ws: Worksheet, ref: str) -> str:
    c = ws[ref]
    return str(c.fill.fgColor.rgb) if c.fill.fill_type == "solid" else ""


def test_overview_cv_is_a_number_with_three_decimals_and_red_when_over(book: Path) -> None:
    ws = load_workbook(book)["县域概览"]
    r = _find(ws, "R4")
    # CV 0.719019 > limit 0.45: stored unrounded, shown with 3 decimals, filled as failing.
    assert (ws[f"C{r}"].value, ws[f"C{r}"].number_format, _fill(ws, f"C{r}")) == (0.719019, "0.000", BELOW)
    assert (ws[f"D{r}"].value, ws[f"E{r}"].value, ws[f"F{r}"].value) == (0.45, "否", 4)


def test_gap_rows_per_school_with_whole_needs_and_floor_fill(book: Path) -> None:
    ws = load_workbook(book)["达标差距"]
    top = _find(ws, "逐校差距") + 1
    rows = {ws[f"C{r}"].value: r for r in range(top + 1, top + 3)}
    a, b = rows["a"], rows["b"]
    # a: 100 m² for 100 students = 1.00 m²/生 < 3.825 (85 % of 4.5): dark fill; needs 4.5 × 100 − 100 = 350 m²
    assert (ws[f"F{a}"].value, _fill(ws, f"F{a}"), ws[f"J{a}"].value, ws[f"K{a}"].value) == (1.0, FLOOR, 350, 283)
    assert (ws[f"J{b}"].value, ws[f"J{b}"].number_format) == (300, "#,##0.0")
    assert ws[f"L{a}"].value == "平方米"


def test_school_sheet_marks_the_shortfall_and_lists_findings(book: Path) -> None:
    wb = load_workbook(book)
    ws = wb[wb.sheetnames[8]]
    r = _find(ws, "R4 生均教学及辅助用房面积")
    assert (ws[f"B{r}"].value, _fill(ws, f"B{r}"), ws[f"E{r}"].value, ws[f"F{r}"].value) == (1.0, FLOOR, 350, 283)
    assert ws[f"K{r}"].value == "第 1 步"
    b = wb["b乙校"]
    findings = _find(b, "【警告】办学条件C5 面积偏小")
    assert f"A{findings}:K{findings}" in {str(m) for m in b.merged_cells.ranges}


def test_every_sheet_prints_one_page_wide_with_county_and_page_numbers(book: Path) -> None:
    wb = load_workbook(book)
    for ws in wb.worksheets:
        # fitToWidth left out means 1 (the OOXML default); fitToHeight 0: as many pages down as needed
        setup = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1), ws.title
        assert setup.fitToHeight == 0 and setup.paperSize == 9, ws.title
        assert "演示县 2026-10" in str(ws.oddHeader.center.text), ws.title
        assert "&P" in str(ws.oddFooter.center.text), ws.title


def test_text_from_data_never_becomes_a_formula(book: Path) -> None:
    # calamine reads what a spreadsheet shows: the name keeps its leading apostrophe, no formula runs.
    cal = CalamineWorkbook.from_path(str(book))
    rows = cal.get_sheet_by_name("改进方案与贡献").to_python()
    names = [v for row in rows for v in row if isinstance(v, str) and "HYPERLINK" in v]
    assert names and all(n.startswith("'=") for n in names)
    with zipfile.ZipFile(book) as z:
        assert not any("<f>" in z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_native_charts_bars_trend_lines_and_filled_scatter_markers(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        charts = [z.read(n).decode("utf-8") for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml", n)]
    kinds = {k for xml in charts for k in ("barChart", "lineChart", "scatterChart") if f"<c:{k}>" in xml}
    assert kinds == {"barChart", "lineChart", "scatterChart"}
    scatter = next(x for x in charts if "<c:scatterChart>" in x)
    marker = re.search(r"<c:marker>.*?</c:marker>", scatter, re.S)
    assert marker and '<c:symbol val="circle"/>' in marker.group(0) and "<a:solidFill>" in marker.group(0)
    bars = next(x for x in charts if "<c:barChart>" in x)
    assert "D32F2F" in bars  # the CV over its limit is a red bar
