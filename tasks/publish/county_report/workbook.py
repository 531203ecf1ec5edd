"""The county workbook (XlsxWriter): the verdict first, the county sheets, then one sheet per school."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tasks.publish.cells import as_flag, num, yes_no
from tasks.publish.county_report.book import BELOW_FILL, FLOOR_FILL, Page, filled, new_workbook
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
from tasks.publish.county_report.pages import SchoolPage, school_pages, sheet_name
from tasks.publish.county_report.table_sheets import (
    sheet_contribution,
    sheet_failing_schools,
    sheet_gap_totals,
    sheet_gaps,
    sheet_plan,
)
from tasks.publish.county_report.text import FMT_PCT, SECTION_ZH, VERDICT_ZH, ind_label, need_format, value_format
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
SCHOOL_HEADERS = (
    *("学段", "指标", "本期值", "标准", "达标", "达到标准需增加", "达到85%需增加", "单位"),
    *("上期值", "变动率", "差异贡献占比", "改进方案"),
)
SCHOOL_WIDTHS = (6, 36, 10, 9, 6, 12, 12, 7, 10, 9, 11, 10)


def school_sheet(p: Page, data: CountyData, page: SchoolPage) -> None:
    """One school's page: its verdict per section, its indicators (gaps, change, contribution, plan step),
    then its findings."""
    p.title(f"{page.name}（{page.code}） {data.period}")
    verdicts = "；".join(f"{SECTION_ZH[sec]}：学校达标规则 {VERDICT_ZH[page.passes.get(sec)]}" for sec in page.sections)
    p.para(verdicts, bold=True)
    p.skip()
    rows = []
    for sec, items in page.sections.items():
        for r in items:
            code = str(r["code"])
            meets = as_flag(r["meets"])
            vf, nf = value_format(code), need_format(code)
            fill = (FLOOR_FILL if r["below_floor"] else BELOW_FILL) if meets is False else None
            rows.append(
                [
                    SECTION_ZH[sec],
                    ind_label(code),
                    filled(num(r["value"]), vf, fill),
                    filled(num(r["threshold"]), vf, None),
                    yes_no(meets, missing="—"),
                    filled(num(r["need"]), nf, None),
                    filled(num(r["need_floor"]), nf, None),
                    str(r["unit"]) if r["need"] is not None else "",
                    filled(num(r["prev"]), vf, None),
                    num(r["change"]),
                    num(r["share"]),
                    "" if r["plan_step"] is None else f"第 {int(num(r['plan_step']) or 0)} 步",
                ]
            )
    p.table(SCHOOL_HEADERS, rows, num_formats={9: FMT_PCT, 10: FMT_PCT}, wrap={1}, widths=SCHOOL_WIDTHS)
    p.para("问题与提醒", bold=True)
    for kind, text in page.findings or [("", "本期没有问题记录。")]:
        p.para(f"【{kind}】{text}" if kind else text, chars=sum(SCHOOL_WIDTHS))


def county_workbook(data: CountyData, *, pages: Sequence[SchoolPage] | None = None) -> bytes:
    """The workbook as bytes: 县域概览 (verdict, items not met, what to do), 未达标学校, the county sheets,
    a sheet per school."""
    wb, buf = new_workbook()
    fmts = Formats(wb)
    header = f"{data.county} {data.period}"
    found = failures(data)
    first = Page(wb, fmts, "县域概览", 10)
    sheet_overview(first, data, found)
    first.finish(header)
    taken = {"县域概览", "未达标学校"}
    for title, width, fill in COUNTY_SHEETS:
        if title == "差异系数":  # the schools behind the failures come right after the advice
            schools = Page(wb, fmts, "未达标学校", 8)
            sheet_failing_schools(schools, found)
            schools.finish(header)
        p = Page(wb, fmts, title, width)
        fill(p, data)
        p.finish(header)
        taken.add(title.lower())
    for page in school_pages(data) if pages is None else pages:
        p = Page(wb, fmts, sheet_name(page.code, page.name, taken), len(SCHOOL_HEADERS))
        school_sheet(p, data, page)
        p.finish(header)
    wb.close()
    return buf.getvalue()


def write_county_workbook(data: CountyData, path: Path, *, pages: Sequence[SchoolPage] | None = None) -> Path:
    """The county workbook at ``path``, written whole or not at all."""
    return write_atomic(path, county_workbook(data, pages=pages))
