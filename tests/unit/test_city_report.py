"""The city report as a reader sees it: the workbook read back (cells, fills, print set-up, the chart part)
and the page (escaped text), from a report built by hand."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from junheng.plans import CityPlan, PlanCounty
from tasks.publish.city_report.build import Blocking, CityReport, CountyLine
from tasks.publish.city_report.html import place_labels, render_html
from tasks.publish.city_report.workbook import workbook_bytes
from tests.render import print_sheets, too_wide, tools_missing

PLAN = CityPlan(
    plan="t",
    title="测试计划",
    issuer="测试市政府",
    issued_on=date(2023, 5, 29),
    source="测试",
    city_code="530400",
    city_name="玉溪市",
    valid_from=date(2023, 5, 29),
    counties=[PlanCounty(code="530423", name="通海县", target_year=2025)],
)


def _line(code: str, name: str, status: str, met: int | None, **kw: object) -> CountyLine:
    base: dict[str, object] = dict(
        code=code,
        name=name,
        target_year=2025,
        months_left=-10,
        status=status,
        reason="理由",
        verdict="未达到" if met is not None else "无数据",
        met=met,
        total=39 if met is not None else None,
        cv_met=12 if met is not None else None,
        share=0.75 if met is not None else None,
        passing=6 if met is not None else None,
        judged=8 if met is not None else None,
        trend=2 if met is not None else None,
        trend_since="2026-08",
        unmet=["G14 优质高中招生名额分配比例"] if met is not None else [],
    )
    base.update(kw)
    return CountyLine(**base)  # type: ignore[arg-type]


def _report() -> CityReport:
    counties = [
        _line("530423", "=通海县", "滞后", 34),  # a name that looks like a formula stays text
        _line("530424", "华宁县<script>", "按期推进", 37),
        _line("530428", "元江县", "本期未报送", None),
    ]
    return CityReport(
        plan=PLAN,
        period="2026-10",
        counties=counties,
        periods=["2026-08", "2026-10"],
        history={"530423": {"2026-08": 32, "2026-10": 34}, "530424": {"2026-08": 13, "2026-10": 37}},
        cv={"530423": {("junior", "R3"): (0.52, 0.45, False), ("primary", "R1"): (0.2, 0.5, True)}},
        blocking={"530423": [Blocking("G5 班额", "小学", "未达标", "本县 48，标准 45", ["甲小学（48，标准 45）"])]},
    )


def test_workbook_as_read_back(tmp_path: Path) -> None:
    data = workbook_bytes(_report(), tmp_path)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["概览", "差异系数", "滞后县问题", "达标趋势"]
    ov = wb["概览"]
    assert ov["A1"].value == "玉溪市县域义务教育优质均衡推进情况（2026-10）"
    assert "滞后 1 个" in str(ov["A2"].value) and "未报送：元江县" in str(ov["A2"].value)
    # The counts row: 已达到 0, 按期推进 1, 滞后 1, 本期未报送 1, stored as numbers.
    assert [ov.cell(3, c).value for c in (1, 2, 3, 4, 5, 6, 7, 8)] == [
        "已达到",
        0,
        "按期推进",
        1,
        "滞后",
        1,
        "本期未报送",
        1,
    ]
    assert ov.cell(3, 7).alignment.shrink_to_fit  # 本期未报送 is wider than its column: shrunk, never cut off
    assert ov.row_dimensions[4].height >= 75  # the status rule and the units' population: five wrapped lines
    names = [ov.cell(r, 1).value for r in range(7, 10)]
    assert names[0] == "'=通海县" and ov.cell(7, 1).data_type == "s"  # never a formula
    assert ov.cell(7, 6).value == 34 and ov.cell(7, 9).value == 0.75 and ov.cell(7, 9).number_format == "0.0%"
    assert ov.cell(9, 6).value is None  # not reported: blank, never 0
    assert ov.freeze_panes == "B7" and ov.auto_filter.ref == "A6:M9"
    assert ov.page_setup.orientation == "landscape" and ov.sheet_properties.pageSetUpPr.fitToPage
    assert ov.page_setup.fitToWidth in (None, 1) and ov.page_setup.fitToHeight == 0  # one page wide (1 = default)
    assert ov.print_title_rows == "$6:$6"
    cv = wb["差异系数"]
    headers = [c.value for c in cv[1]]
    j = headers.index("初中R3") + 1
    assert cv.cell(2, j).value == 0.52 and cv.cell(2, j).fill.fgColor.rgb.endswith("FFC7CE")  # failing: marked
    k = headers.index("小学R1") + 1
    assert cv.cell(2, k).fill.fgColor.rgb in (None, "00000000")
    rows = [[c.value for c in r] for r in wb["滞后县问题"].iter_rows(min_row=2)]
    assert rows[0][:2] == ["'=通海县", "G5 班额"] and rows[0][5] == "甲小学（48，标准 45）"
    # 2025 target, 2026-10: 10 months past the end of the target year — a number that reads 已过 10, never -10.
    assert ov.cell(7, 3).value == -10 and ov.cell(7, 3).number_format == '0;"已过 "0;0'
    texts = [str(c.value) for row in cv.iter_rows() for c in row if isinstance(c.value, str)]
    assert "R1 每百名学生拥有高于规定学历教师数" in texts and "R7 每百名学生拥有网络多媒体教室数" in texts
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())  # the trend chart


def test_page_escapes_text(tmp_path: Path) -> None:
    page = render_html(_report(), tmp_path)
    assert "华宁县&lt;script&gt;" in page and "<script>" not in page
    assert "本期未报送" in page and "G5 班额" in page and "甲小学（48，标准 45）" in page
    assert "<polyline" in page  # the trend chart
    assert '<td class="num">已过 10</td>' in page and ">-10<" not in page
    assert "R3 每百名学生拥有体育、艺术（美术、音乐）专任教师数" in page  # the CV grid's codes named


def test_trend_labels_do_not_overlap() -> None:
    """Labels 12 px high, baseline 8 px above a point, markers 4 px. By hand:
    the demo's 2026-10 (39, 37, 33 met at y = 100, 112, 135): 39 above (92); 37 above would span 92–104 over 39's
    label and point, below (112 + 16 = 128) clears 33's marker (131); 33 above would span 115–127 over 37's label,
    below at 151.
    2026-09 (39, 36, 33 at 100, 118, 136): 36 has no room above (98–110 over 39's marker to 104) nor below (134 is
    past 33's marker at 132): beside it, 8 px right, baseline 122; 33 above would span 116–128 over it: below, 152.
    Points far apart keep their labels above."""
    assert place_labels([100, 112, 135]) == [(0, 92), (0, 128), (0, 151)]
    assert place_labels([100, 118, 136]) == [(0, 92), (8, 122), (0, 152)]
    assert place_labels([200, 100]) == [(0, 192), (0, 92)]


def test_every_sheet_prints_one_page_wide_in_libreoffice(tmp_path: Path) -> None:
    """The city workbook printed as a city bureau prints it (LibreOffice → PDF, a sheet at a time)."""
    if missing := tools_missing():
        if os.environ.get("CI"):
            pytest.fail(f"缺少 {missing}：make test 应已安装 libreoffice-calc-nogui 和 poppler-utils")
        pytest.skip(f"缺少 {missing}")
    book = tmp_path / "junheng-city-2026-10.xlsx"
    book.write_bytes(workbook_bytes(_report(), tmp_path))
    printed = print_sheets({book: ["概览", "差异系数", "滞后县问题", "达标趋势"]}, tmp_path / "print")
    assert [p.sheet for p in printed] == ["概览", "差异系数", "滞后县问题", "达标趋势"]
    assert [f"{p.sheet}：{why}" for p in printed if (why := too_wide(p))] == []
    overview = printed[0]
    assert len(overview.pages) == 1 and "玉溪市县域义务教育优质均衡推进情况（2026-10）" in overview.pages[0]
