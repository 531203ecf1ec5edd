"""The county workbook as a reader sees it: the verdict first, values, number formats, fills, filters,
frozen headers, print set-up, charts."""

from __future__ import annotations

import re
import zipfile
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook
from test_county_report_text import county

from junheng.policy import R_CODES
from tasks.publish.county_report import school_sheet, write_county_workbook
from tasks.publish.county_report.book import CHART_ROWS
from tasks.publish.county_report.school_sheet import school_sheet_names

BELOW, FLOOR = "FFFFC7CE", "FFE06666"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_county_workbook(county(), tmp_path_factory.mktemp("wb") / "c.xlsx")


def _find(ws: Worksheet, text: str, col: int = 1) -> int:
    """The row whose column ``col`` holds ``text``."""
    for row in ws.iter_rows(min_col=col, max_col=col):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not in column {col} of {ws.title}")


def _fill(ws: Worksheet, ref: str) -> str:
    c = ws[ref]
    return str(c.fill.fgColor.rgb) if c.fill.fill_type == "solid" else ""


def test_first_sheet_leads_with_the_verdict_and_the_items_not_met(book: Path) -> None:
    ws = load_workbook(book)["县域概览"]
    assert ws["A2"].value == "结论：本期未达到县域义务教育优质均衡发展要求。"
    assert ws["A3"].value == "共有 4 项未达标、1 项待审核（见下表）。"
    top = _find(ws, "序号")
    items = [[c.value for c in row] for row in ws.iter_rows(min_row=top + 1, max_row=top + 5, max_col=10)]
    assert [r[2] for r in items] == [
        "R4 生均教学及辅助用房面积（差异系数）",
        "校级达标规则（每个学校单元至少 6 项达标）",
        "G3 音乐、美术专用教室（音乐教室间数）",
        "G14 优质高中招生名额分配比例",
        "Q5 教师熟练运用信息化手段组织教学",
    ]
    # the county's figures are numbers (the CV unrounded, shown with 3 decimals), with their unit beside them
    assert items[0][4:9] == [0.719019, "差异系数", "≤ 0.45", "未达标", 2]  # 2 schools in the plan
    assert ws[f"E{top + 1}"].number_format == "0.000"
    assert items[2][4:6] == [-1, "间（最差学校实有减应有）"] and items[2][8] == 1
    assert items[3][4:7] == [48, "%", "≥ 50%"] and items[4][4] == "—" and items[4][7] == "待审核"
    assert ws.freeze_panes == f"A{top + 1}" and ws.auto_filter.ref == f"A{top}:J{top + 5}"


def test_failing_schools_sheet_names_each_school_and_what_to_do(book: Path) -> None:
    ws = load_workbook(book)["未达标学校"]
    rows = {(r[0], r[2]): r for r in ws.iter_rows(min_row=_find(ws, "项目") + 1, values_only=True)}
    assert rows[("G3 音乐、美术专用教室（音乐教室间数）", "b")][3:7] == (
        "乙校",
        "1 间",
        "应有 2 间",
        "需增加 1 间音乐教室",
    )
    assert rows[("R4 生均教学及辅助用房面积（差异系数）", "a")][6] == "需增加 350 平方米"
    assert ("校级达标规则（每个学校单元至少 6 项达标）", "b") in rows


def test_cv_is_a_number_with_three_decimals_and_red_when_over(book: Path) -> None:
    ws = load_workbook(book)["差异系数"]
    r = _find(ws, "R4", col=2)
    assert ws[f"C{r}"].value == "生均教学及辅助用房面积"
    # CV 0.719019 > limit 0.45: stored unrounded, shown with 3 decimals, filled as failing.
    assert (ws[f"D{r}"].value, ws[f"D{r}"].number_format, _fill(ws, f"D{r}")) == (0.719019, "0.000", BELOW)
    assert (ws[f"E{r}"].value, ws[f"F{r}"].value, ws[f"H{r}"].value) == (0.45, "否", 4)


def test_gap_rows_per_school_with_whole_needs_and_floor_fill(book: Path) -> None:
    ws = load_workbook(book)["达标差距"]
    top = _find(ws, "学段")
    rows = {ws[f"C{r}"].value: r for r in range(top + 1, top + 3)}
    a, b = rows["a"], rows["b"]
    # a: 100 m² for 100 students = 1.00 m²/生 < 3.825 (85 % of 4.5): dark fill; needs 4.5 × 100 − 100 = 350 m²
    assert (ws[f"F{a}"].value, _fill(ws, f"F{a}"), ws[f"J{a}"].value, ws[f"K{a}"].value) == (1.0, FLOOR, 350, 283)
    assert (ws[f"J{b}"].value, ws[f"J{b}"].number_format, ws[f"L{a}"].value) == (300, "#,##0", "平方米")


def test_plan_sheet_shows_the_gap_tables_figure_beside_the_plans(book: Path) -> None:
    ws = load_workbook(book)["改进方案"]
    top = _find(ws, "学段")
    a = [c.value for c in ws[top + 1]]
    # step 1: a from 1.00 to 4.50, +350 m², no price set (no cost), the gap table also says 350
    assert a[:9] == [
        "小学",
        "R4 生均教学及辅助用房面积",
        1,
        "a",
        '\'=HYPERLINK("http://x")<script>',
        1,
        4.5,
        350,
        "平方米",
    ]
    assert (a[9], a[10], a[11]) == (0.474342, None, 350)
    assert any("差异系数 0.719 → 0.228（上限 0.45，可以达标）" in str(c.value) for c in ws["A"])


def test_school_pages_mark_the_shortfall_and_list_findings(book: Path) -> None:
    wb = load_workbook(book)
    assert wb.sheetnames[12:] == ["学校明细"]  # every school's page on one sheet
    ws = wb["学校明细"]
    r = _find(ws, "R4 生均教学及辅助用房面积", col=2)  # a's page comes first
    assert str(ws[f"M{r}"].value).endswith("（a）")  # the 学校 column names the page's school on each row
    assert (ws[f"C{r}"].value, _fill(ws, f"C{r}"), ws[f"F{r}"].value, ws[f"G{r}"].value) == (1.0, FLOOR, 350, 283)
    assert ws[f"L{r}"].value == "第 1 步"
    findings = _find(ws, "【警告】办学条件C5 面积偏小")
    assert ws[f"M{findings}"].value == "乙校（b）"


def test_each_school_starts_a_printed_page(book: Path) -> None:
    ws = load_workbook(book)["学校明细"]
    titles = [c.row for c in ws["A"] if isinstance(c.value, str) and c.value.endswith("） 2026-10")]
    assert [ws[f"M{t}"].value for t in titles][1:] == ["乙校（b）", "丙校（c）", "丁校（d）"]
    # a starts under the table header on the first page; b, c and d each after a page break
    assert [b.id for b in ws.row_breaks.brk] == [t - 1 for t in titles[1:]]
    head = _find(ws, "学段")
    assert ws.print_title_rows == f"${head}:${head}" and ws.freeze_panes == f"A{head + 1}"
    assert ws.auto_filter.ref == f"A{head}:M{ws.max_row}"


def test_a_long_finding_wraps_across_the_page(tmp_path: Path) -> None:
    data = county()
    long = "面积偏小，" * 40
    data.issues = data.issues.assign(message=long)
    ws = load_workbook(write_county_workbook(data, tmp_path / "long.xlsx"))["学校明细"]
    r = _find(ws, f"【警告】办学条件C5 {long}")
    assert f"A{r}:L{r}" in {str(m) for m in ws.merged_cells.ranges} and ws[f"A{r}"].alignment.wrap_text
    assert ws.row_dimensions[r].height > 30  # as many lines high as the text needs


def test_a_county_of_many_schools_gets_sheets_of_at_most_1000(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Excel keeps at most 1,023 page breaks a sheet; two schools a sheet stands in for a thousand here.
    assert school_sheet_names(1000) == ["学校明细"] and school_sheet_names(0) == []
    assert school_sheet_names(2001) == ["学校明细1-1000", "学校明细1001-2000", "学校明细2001-2001"]
    monkeypatch.setattr(school_sheet, "SCHOOLS_PER_SHEET", 2)
    wb = load_workbook(write_county_workbook(county(), tmp_path / "split.xlsx"))
    assert wb.sheetnames[12:] == ["学校明细1-2", "学校明细3-4"]
    second = wb["学校明细3-4"]
    assert str(second["A1"].value).endswith("（第 3–4 所，共 4 所）")
    assert [str(c.value) for c in second["M"] if c.value and str(c.value).endswith("）")][1] == "丙校（c）"
    assert len(second.row_breaks.brk) == 1


def test_every_sheet_filters_freezes_and_prints_one_page_wide(book: Path) -> None:
    wb = load_workbook(book)
    assert "数据字典" not in wb.sheetnames
    for ws in wb.worksheets:
        # fitToWidth left out means 1 (the OOXML default); fitToHeight 0: as many pages down as needed
        setup = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1), ws.title
        assert setup.fitToHeight == 0 and setup.paperSize == 9 and setup.orientation == "landscape", ws.title
        assert "演示县 2026-10" in str(ws.oddHeader.left.text), ws.title
        assert "&P" in str(ws.oddFooter.center.text), ws.title
        assert ws.auto_filter.ref and ws.freeze_panes, ws.title
        head = int(re.sub(r"\D", "", ws.auto_filter.ref.split(":")[0]))
        assert ws.print_title_rows == f"${head}:${head}", ws.title  # the table's header on every page


def test_text_from_data_never_becomes_a_formula(book: Path) -> None:
    # calamine reads what a spreadsheet shows: the name keeps its leading apostrophe, no formula runs.
    cal = CalamineWorkbook.from_path(str(book))
    rows = cal.get_sheet_by_name("改进方案").to_python()
    names = [v for row in rows for v in row if isinstance(v, str) and "HYPERLINK" in v]
    assert names and all(n.startswith("'=") for n in names)
    with zipfile.ZipFile(book) as z:
        assert not any("<f>" in z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_native_charts_red_bars_over_the_limit_and_filled_markers(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        charts = [z.read(n).decode("utf-8") for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml", n)]
    kinds = {k for xml in charts for k in ("barChart", "lineChart", "scatterChart") if f"<c:{k}>" in xml}
    assert kinds == {"barChart", "lineChart", "scatterChart"}
    scatter = next(x for x in charts if "<c:scatterChart>" in x)
    marker = re.search(r"<c:marker>.*?</c:marker>", scatter, re.S)
    assert marker and '<c:symbol val="circle"/>' in marker.group(0) and "<a:solidFill>" in marker.group(0)
    # a and b are below the standard: their points are red
    assert scatter.count('<a:srgbClr val="D32F2F"/>') >= 2
    bars = next(x for x in charts if "<c:barChart>" in x)
    assert '<a:srgbClr val="D32F2F"/>' in bars  # the CV over its limit is a red bar


def test_a_period_without_returns_says_so_and_gives_no_verdict(tmp_path: Path) -> None:
    data = county()
    data.indicators, data.compliance = data.indicators.iloc[0:0], data.compliance.iloc[0:0]
    data.scorecard = data.scorecard.assign(status="not_reported", value=None)
    ws = load_workbook(write_county_workbook(data, tmp_path / "none.xlsx"))["县域概览"]
    assert ws["A2"].value == "结论：本期无有效报表。"
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "未达到" not in text and "未报告" not in text


def test_cv_line_names_the_units_left_out(tmp_path: Path) -> None:
    data = county()
    data.cv = data.cv.assign(n_missing=[0, 1], missing_units=[None, "戊校（小学）"])
    ws = load_workbook(write_county_workbook(data, tmp_path / "m.xlsx"))["差异系数"]
    r = _find(ws, "R4", col=2)
    assert ws[f"I{r}"].value == "1 个：戊校（小学）"


def _chart_rows(path: Path, sheet: str) -> list[int]:
    """The 0-based rows where the sheet's charts are anchored, from its drawing part."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        rid = re.search(rf'<sheet name="{sheet}" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)  # type: ignore[union-attr]
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels).group(1)  # type: ignore[union-attr]
        sheet_rels = z.read(f"xl/worksheets/_rels/{target.split('/')[-1]}.rels").decode("utf-8")
        drawing = re.search(r'Target="\.\./drawings/(drawing\d+\.xml)"', sheet_rels).group(1)  # type: ignore[union-attr]
        xml = z.read(f"xl/drawings/{drawing}").decode("utf-8")
    return [
        int(r) for r in re.findall(r"<xdr:from><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)", xml)
    ]


def test_each_trend_chart_starts_a_printed_page(tmp_path: Path) -> None:
    # Two sections, so two trend charts: each one starts a page (a page break at its row), so neither runs
    # over a page's end under the next page's repeated header row.
    data = county()
    data.cv = pd.concat([data.cv, data.cv.assign(section="junior", cv_limit=0.4)], ignore_index=True)
    path = write_county_workbook(data, tmp_path / "t.xlsx")
    rows = _chart_rows(path, "趋势")
    assert len(rows) == 2 and rows[1] - rows[0] == CHART_ROWS
    breaks = [b.id for b in load_workbook(path)["趋势"].row_breaks.brk]
    assert breaks == rows  # a break before row r (0-based) is stored as r


def test_distribution_charts_are_never_cut_by_a_page_end(tmp_path: Path) -> None:
    # 小学 and 初中 × R1–R7: 14 charts beside the table. Printed one page wide a page holds ~50 rows (LibreOffice,
    # A4 landscape): two charts under the title on the first page, then three a page, each page starting with a
    # chart — breaks before charts 3, 6, 9 and 12 (0-based 2, 5, 8, 11), none inside a chart.
    data = county()
    one = data.indicators
    data.indicators = pd.concat(
        [one.assign(section=s, indicator_code=c) for s in ("primary", "junior") for c in R_CODES], ignore_index=True
    )
    path = write_county_workbook(data, tmp_path / "d.xlsx")
    rows = _chart_rows(path, "分布")
    assert len(rows) == 14 and all(b - a == CHART_ROWS for a, b in pairwise(rows))
    breaks = [b.id for b in load_workbook(path)["分布"].row_breaks.brk]
    assert breaks == [rows[2], rows[5], rows[8], rows[11]]
