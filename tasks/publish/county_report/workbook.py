"""The county workbook (XlsxWriter): the verdict first, the county sheets, then the schools' pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tasks.publish.county_report.book import Page, new_workbook
from tasks.publish.county_report.chart_sheets import (
    sheet_actions,
    sheet_cv,
    sheet_distribution,
    sheet_overview,
    sheet_trend,
)
from tasks.publish.county_report.check_sheets import sheet_changes, sheet_outliers
from tasks.publish.county_report.data import CountyData
from tasks.publish.county_report.failures import failures
from tasks.publish.county_report.pages import SchoolPage, school_pages
from tasks.publish.county_report.school_sheet import write_school_sheets
from tasks.publish.county_report.table_sheets import (
    sheet_contribution,
    sheet_failing_schools,
    sheet_gap_totals,
    sheet_gaps,
    sheet_plan,
)
from tasks.publish.files import write_atomic
from tasks.publish.xlsx import Formats

# (sheet, columns its paragraphs span, how it is filled); the first two take the failures too.
COUNTY_SHEETS: tuple[tuple[str, int, Callable[[Page, CountyData], None]], ...] = (
    ("工作建议", 2, sheet_actions),
    ("差异系数", 7, sheet_cv),
    ("改进方案", 12, sheet_plan),
    ("差异贡献", 13, sheet_contribution),
    ("达标差距", 12, sheet_gaps),
    ("差距合计", 7, sheet_gap_totals),
    ("趋势", 10, sheet_trend),
    ("分布", 6, sheet_distribution),
    ("本期变动", 11, sheet_changes),
    ("异常值", 11, sheet_outliers),
)


def county_workbook(data: CountyData, *, pages: Sequence[SchoolPage] | None = None) -> bytes:
    """The workbook as bytes: 县域概览 (verdict, items not met, what to do), 未达标学校, the county sheets,
    then 学校明细 (a printed page per school)."""
    wb, buf = new_workbook()
    fmts = Formats(wb)
    header = f"{data.county} {data.period}"
    found = failures(data)
    first = Page(wb, fmts, "县域概览", 10)
    sheet_overview(first, data, found)
    first.finish(header)
    for title, width, fill in COUNTY_SHEETS:
        if title == "差异系数":  # the schools behind the failures come right after the advice
            schools = Page(wb, fmts, "未达标学校", 8)
            sheet_failing_schools(schools, found)
            schools.finish(header)
        p = Page(wb, fmts, title, width)
        fill(p, data)
        p.finish(header)
    write_school_sheets(wb, fmts, data, school_pages(data) if pages is None else pages, header)
    wb.close()
    return buf.getvalue()


def write_county_workbook(data: CountyData, path: Path, *, pages: Sequence[SchoolPage] | None = None) -> Path:
    """The county workbook at ``path``, written whole or not at all."""
    return write_atomic(path, county_workbook(data, pages=pages))
