"""The county workbook (XlsxWriter): the county sheets, then one sheet per school."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from xlsxwriter.format import Format

from tasks.publish.cells import as_flag, num, yes_no
from tasks.publish.county_report.book import Formats, Sheet, new_workbook
from tasks.publish.county_report.chart_sheets import sheet_distribution, sheet_overview, sheet_trend
from tasks.publish.county_report.data import CountyData
from tasks.publish.county_report.pages import SchoolPage, school_pages, sheet_name
from tasks.publish.county_report.table_sheets import (
    sheet_changes,
    sheet_contribution,
    sheet_dictionary,
    sheet_outliers,
    sheet_remediation,
)
from tasks.publish.county_report.text import FMT_PCT, SECTION_ZH, VERDICT_ZH, ind_label, need_format, value_format

COUNTY_SHEETS: tuple[tuple[str, Callable[[Sheet, CountyData], None]], ...] = (
    ("县域概览", sheet_overview),
    ("趋势", sheet_trend),
    ("分布", sheet_distribution),
    ("改进方案与贡献", sheet_contribution),
    ("达标差距", sheet_remediation),
    ("本期变动", sheet_changes),
    ("异常值", sheet_outliers),
    ("数据字典", sheet_dictionary),
)
SCHOOL_HEADERS = (
    "指标",
    "本期值",
    "标准",
    "达标",
    "达到标准需增加",
    "达到85%需增加",
    "单位",
    "上期值",
    "变动率",
    "差异贡献占比",
    "改进方案",
)
SCHOOL_WIDTHS = (44, 11, 9, 6, 14, 14, 7, 11, 9, 12, 10)


def school_sheet(s: Sheet, data: CountyData, page: SchoolPage) -> None:
    """One school's page: its indicators per section (gaps, change, contribution, plan step), then its findings."""
    f = s.fmt
    s.text(f"{page.name}（{page.code}） {data.period}", f.title, gap=2)
    pct = f.num(FMT_PCT)
    for sec, items in page.sections.items():
        s.text(f"{SECTION_ZH[sec]}：学校达标规则 {VERDICT_ZH[page.passes.get(sec)]}", f.bold)
        rows: list[list[object]] = []
        styles: list[tuple[Format | None, ...]] = []
        for r in items:
            code = str(r["code"])
            vf, nf = f.num(value_format(code)), f.num(need_format(code))
            meets = as_flag(r["meets"])
            below = f.num(value_format(code), "floor" if r["below_floor"] else "below") if meets is False else vf
            rows.append(
                [
                    ind_label(code),
                    num(r["value"]),
                    num(r["threshold"]),
                    yes_no(meets, missing="—"),
                    num(r["need"]),
                    num(r["need_floor"]),
                    str(r["unit"]) if r["need"] is not None else "",
                    num(r["prev"]),
                    num(r["change"]),
                    num(r["share"]),
                    "" if r["plan_step"] is None else f"第 {int(num(r['plan_step']) or 0)} 步",
                ]
            )
            styles.append((None, below, vf, None, nf, nf, None, vf, pct, pct, None))
        s.table(SCHOOL_HEADERS, rows, styles=styles)
    s.text("问题与警告", f.bold)
    last = len(SCHOOL_HEADERS) - 1
    for kind, text in page.findings or [("", "本期没有问题记录。")]:
        # merged across the table, wrapped, two lines high
        s.ws.set_row(s.row, 30)
        s.ws.merge_range(s.row, 0, s.row, last, "", f.wrap)
        s.text(f"【{kind}】{text}" if kind else text, f.wrap)
    s.widths(SCHOOL_WIDTHS)


def write_county_workbook(data: CountyData, path: Path, *, pages: Sequence[SchoolPage] | None = None) -> Path:
    """The county workbook: county sheets, then a sheet per school (``pages``: school_pages(data), if already
    computed for the HTML). Written to a temporary name and renamed, so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    wb = new_workbook(str(tmp))
    wb.use_zip64()
    fmt = Formats(wb)
    header = f"{data.county} {data.period} 义务教育优质均衡分析报告"
    taken: set[str] = set()
    for title, fill in COUNTY_SHEETS:
        s = Sheet(wb.add_worksheet(title), fmt)
        taken.add(title.lower())
        fill(s, data)
        s.print_setup(header)
    for page in school_pages(data) if pages is None else pages:
        s = Sheet(wb.add_worksheet(sheet_name(page.code, page.name, taken)), fmt)
        school_sheet(s, data, page)
        s.print_setup(header)
    wb.close()
    os.replace(tmp, path)
    return path
