"""The period report as an Excel workbook (XlsxWriter): 概要, 评估总览, 学校指标, 差异系数, 报送情况, 问题清单.

Every sheet prints one page wide with its header row repeated, county and period in the page header and
page numbers in the footer; every table has a frozen header and a filter; numbers are stored unrounded.
"""

from __future__ import annotations

import io
from pathlib import Path

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from junheng.policy import INDICATOR_NAMES, R_CODES
from tasks.publish.cells import as_text, num, yes_no
from tasks.publish.files import write_atomic
from tasks.publish.overview import write_overview_sheet
from tasks.publish.period_report.build import Report
from tasks.publish.period_report.labels import (
    DECIMALS,
    SEVERITY_LABELS,
    SHEET_CV,
    SHEET_ISSUES,
    SHEET_OVERVIEW,
    SHEET_RETURNS,
    SHEET_SCHOOLS,
    SHEET_SUMMARY,
    STATUS_LABELS,
    rule_name,
    section_label,
)
from tasks.publish.xlsx import WORKBOOK_OPTIONS, Formats, Styled, print_setup, write_table

# Cell colours: Excel's "bad" pink for below threshold, a darker red for below the 85 % floor.
BELOW: dict[str, object] = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
FLOOR: dict[str, object] = {"bg_color": "#E06666", "font_color": "#4A0000", "bold": True}
NONE: dict[str, object] = {"bg_color": "#EEEEEE", "font_color": "#424242", "bold": True}
MEETS_COLOR = "#2E7D32"
FAIL_COLOR = "#D32F2F"
LIMIT_COLOR = "#E65100"


def number_format(decimals: int) -> str:
    """Thousands separators and the indicator's decimals: #,##0 or #,##0.00."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _sheet_summary(ws: Worksheet, fmts: Formats, report: Report) -> None:
    styles: dict[bool | None, dict[str, object]] = {False: BELOW, None: NONE, True: {"font_color": MEETS_COLOR}}
    verdict_style = {**styles[report.verdict], "font_size": 13, "bold": True}
    rows: list[list[object]] = [
        ["县（市、区）", report.county],
        ["报表期", report.period],
        ["结论", Styled(report.verdict_text, verdict_style)],
    ]
    rows.extend(["原因" if not report.no_valid_returns else "怎么办", r] for r in report.reasons)
    if not report.no_valid_returns:
        for sec in report.sections():
            units = [u for u in report.units if u.section == sec]
            cvs = [r for r in report.cv if r.section == sec]
            rows.append(
                [
                    section_label(sec),
                    f"学校单元 {len(units)} 个，达标 {sum(1 for u in units if u.passes)} 个；"
                    f"差异系数 {len(cvs)} 项，达标 {sum(1 for r in cvs if r.meets)} 项",
                ]
            )
    rows.append([Styled("本报告口径", {"bold": True}), ""])
    rows.extend([k, v] for k, v in report.choices)
    if report.summary:
        rows.append([Styled("本期数据", {"bold": True}), ""])
        rows.extend([k, v] for k, v in report.summary)
    rows.append([Styled("说明", {"bold": True}), ""])
    rows.extend(
        [
            ["浅红底", "指标值低于标准"],
            ["深红底", "指标值低于标准的85%（学校单元不能达标）"],
            ["数值", "单元格保存未四舍五入的原值，显示保留2位小数（R6 取整）；差异系数显示3位小数"],
        ]
    )
    write_table(ws, fmts, ("项目", "内容"), rows, wrap={0, 1}, autofilter=False, widths=(20, 100))


def _sheet_schools(ws: Worksheet, fmts: Formats, report: Report) -> None:
    headers = [
        "学校标识码",
        "学校名称",
        "学段",
        "在校生数",
        *[report.indicator_header(c) for c in R_CODES],
        "达标项数",
        "是否达标",
        "未达标指标",
    ]
    first_r = 4  # column of R1
    formats = {first_r + i: number_format(DECIMALS[c]) for i, c in enumerate(R_CODES)}
    formats[3] = "#,##0"
    formats[first_r + len(R_CODES)] = "0"
    rows = []
    for u in report.units:
        values: list[object] = []
        for c in R_CODES:
            v = u.values.get(c)
            values.append(Styled(v, FLOOR if u.below_floor.get(c) else BELOW) if u.meets.get(c) is False else v)
        passes = yes_no(u.passes)
        rows.append(
            [
                u.school_code,
                u.school_name,
                section_label(u.section),
                u.students,
                *values,
                u.indicators_met,
                Styled(passes, BELOW) if u.passes is False else passes,
                "、".join(u.failed_codes),
            ]
        )
    widths = (12, 24, 6, 9, *([15] * len(R_CODES)), 8, 8, 14)
    write_table(ws, fmts, headers, rows, freeze_col=3, num_formats=formats, wrap={1, 13}, widths=widths)


def _sheet_cv(wb: Workbook, ws: Worksheet, fmts: Formats, report: Report) -> None:
    headers = ["学段", "指标", "名称", "差异系数", "标准", "是否达标", "学校数", report.mean_label()]
    # The units left out for a missing value, when the mart says which (county_cv.n_missing, missing_units).
    missing = report.cv_names_missing
    if missing:
        headers.append("未计入的学校单元")
    rows = []
    for r in report.cv:
        bad = r.meets is False
        rows.append(
            [
                section_label(r.section),
                r.code,
                INDICATOR_NAMES.get(r.code, r.code),
                Styled(r.cv, BELOW) if bad else r.cv,
                r.limit,
                Styled(yes_no(r.meets), BELOW) if bad else yes_no(r.meets),
                r.n_units,
                Styled(r.mean, {"num_format": number_format(DECIMALS.get(r.code, 2))}),
                *([r.missing_text] if missing else []),
            ]
        )
    formats = {3: "0.000", 4: '"≤"0.00', 6: "0"}
    widths = (6, 6, 34, 10, 8, 8, 8, 12, 30)[: len(headers)]
    write_table(ws, fmts, headers, rows, num_formats=formats, wrap={2, 8}, widths=widths)
    _cv_charts(wb, ws, report, first_chart_row=len(rows) + 3)


def _cv_charts(wb: Workbook, ws: Worksheet, report: Report, first_chart_row: int) -> None:
    """Per section: a column chart of the CVs (failing bars red) with the limit as a line with markers."""
    row = first_chart_row
    for sec in report.sections():
        idx = [i + 1 for i, r in enumerate(report.cv) if r.section == sec]  # sheet rows of this section
        if not idx or any(report.cv[i - 1].cv is None for i in idx):
            continue
        first, last = idx[0], idx[-1]
        label = section_label(sec)
        bars = wb.add_chart({"type": "column"})
        assert bars is not None
        colours = [FAIL_COLOR if report.cv[i - 1].meets is False else MEETS_COLOR for i in idx]
        bars.add_series(
            {
                "name": f"{label}差异系数",
                "categories": [SHEET_CV, first, 1, last, 1],
                "values": [SHEET_CV, first, 3, last, 3],
                "fill": {"color": MEETS_COLOR},
                "points": [{"fill": {"color": c}, "border": {"color": c}} for c in colours],
                "data_labels": {"value": True, "num_format": "0.000"},
                "gap": 80,
            }
        )
        limit = wb.add_chart({"type": "line"})
        assert limit is not None
        limit.add_series(
            {
                "name": "标准（上限）",
                "categories": [SHEET_CV, first, 1, last, 1],
                "values": [SHEET_CV, first, 4, last, 4],
                "line": {"color": LIMIT_COLOR, "width": 2, "dash_type": "dash"},
                "marker": {
                    "type": "diamond",
                    "size": 7,
                    "fill": {"color": LIMIT_COLOR},
                    "border": {"color": LIMIT_COLOR},
                },
            }
        )
        bars.combine(limit)
        bars.set_title({"name": f"{label}：各指标校际差异系数（红色为超过标准）", "name_font": {"size": 12}})
        bars.set_y_axis({"name": "差异系数", "num_format": "0.00", "min": 0, "major_gridlines": {"visible": True}})
        bars.set_x_axis({"name": "指标（R1–R7 见上表）"})
        bars.set_legend({"position": "bottom"})
        bars.set_size({"width": 760, "height": 300})
        ws.insert_chart(row, 0, bars)
        row += 17


def _sheet_returns(ws: Worksheet, fmts: Formats, report: Report) -> None:
    rows = []
    for r in report.returns.itertuples(index=False):
        status = as_text(r.status)
        label = STATUS_LABELS.get(status, status)
        code = as_text(r.school_code) or ("县级报表" if status != "missing" else "")
        rows.append(
            [
                as_text(r.period),
                as_text(r.file_name),
                code,
                Styled(label, {"bg_color": BELOW["bg_color"]}) if status == "rejected" else label,
                num(r.n_errors),
            ]
        )
    headers = ["报表期", "文件名", "学校标识码", "状态", "错误数"]
    write_table(ws, fmts, headers, rows, num_formats={4: "0"}, wrap={1}, widths=(10, 44, 14, 14, 8))


def _sheet_issues(ws: Worksheet, fmts: Formats, report: Report) -> None:
    rows = [
        [
            as_text(r.file_name),
            as_text(r.school_code),
            as_text(r.sheet),
            as_text(r.cell),
            rule_name(r.rule),
            SEVERITY_LABELS.get(as_text(r.severity), as_text(r.severity)),
            as_text(r.message),
        ]
        for r in report.issues.itertuples(index=False)
    ]
    headers = ["文件名", "学校标识码", "工作表", "单元格", "规则", "严重程度", "说明"]
    widths = (26, 12, 10, 8, 26, 8, 64)
    write_table(ws, fmts, headers, rows, wrap={0, 4, 6}, widths=widths)


def workbook_bytes(report: Report) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, WORKBOOK_OPTIONS)
    wb.set_properties({"title": report.title, "author": "junheng"})
    fmts = Formats(wb)
    where = f"{report.county} {report.period}"

    def sheet(name: str, *, landscape: bool = True, header_row: int = 0) -> Worksheet:
        ws = wb.add_worksheet(name)
        print_setup(
            ws, header=where, title=f"义务教育优质均衡监测 · {name}", landscape=landscape, repeat_row=header_row
        )
        return ws

    _sheet_summary(sheet(SHEET_SUMMARY, landscape=False), fmts, report)
    if report.overview is not None:
        ws = wb.add_worksheet(SHEET_OVERVIEW)
        top = write_overview_sheet(ws, fmts, report.overview, no_valid_returns=report.no_valid_returns)
        print_setup(ws, header=where, title=f"义务教育优质均衡监测 · {SHEET_OVERVIEW}", repeat_row=top)
    _sheet_schools(sheet(SHEET_SCHOOLS), fmts, report)
    _sheet_cv(wb, sheet(SHEET_CV, landscape=False), fmts, report)
    _sheet_returns(sheet(SHEET_RETURNS, landscape=False), fmts, report)
    _sheet_issues(sheet(SHEET_ISSUES), fmts, report)
    wb.close()
    return buf.getvalue()


def write_workbook(report: Report, path: Path) -> Path:
    return write_atomic(path, workbook_bytes(report))
