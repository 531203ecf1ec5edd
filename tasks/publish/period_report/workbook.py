"""The period report as an Excel workbook (XlsxWriter): 概要, 评估总览, 学校指标, 差异系数, 报送情况, 问题清单."""

from __future__ import annotations

import io
from pathlib import Path

import xlsxwriter
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
    limit_text,
    section_label,
)
from tasks.publish.xlsx import WORKBOOK_OPTIONS, Formats, Styled, write_table

# Cell colours: Excel's "bad" pink for below threshold, a darker red for below the 85 % floor.
BELOW = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
FLOOR = {"bg_color": "#E06666", "font_color": "#4A0000", "bold": True}


def _sheet_summary(ws: Worksheet, fmts: Formats, report: Report) -> None:
    rows: list[list[object]] = [
        ["县（市、区）", report.county],
        ["报表期", report.period],
        ["结论", Styled(report.verdict_text, BELOW) if report.verdict is False else report.verdict_text],
    ]
    rows.extend(["原因", r] for r in report.reasons)
    for sec in report.sections():
        units = [u for u in report.units if u.section == sec]
        cvs = [r for r in report.cv if r.section == sec]
        rows.append(
            [
                section_label(sec),
                f"学校单元 {sum(1 for u in units if u.passes)}/{len(units)} 达标；"
                f"差异系数 {sum(1 for r in cvs if r.meets)}/{len(cvs)} 项达标",
            ]
        )
    rows.append(["本报告口径", ""])
    rows.extend([k, v] for k, v in report.choices)
    if report.summary:
        rows.append(["本期数据", ""])
        rows.extend([k, v] for k, v in report.summary)
    rows.append(["说明", ""])
    rows.extend(
        [
            ["浅红底", "指标值低于标准"],
            ["深红底", "指标值低于标准的85%（学校单元不能达标）"],
            ["数值", "单元格保存未四舍五入的原值，显示保留2位小数（R6 取整）；差异系数显示3位小数"],
        ]
    )
    write_table(ws, fmts, ("项目", "内容"), rows, max_width=90, autofilter=False)


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
    formats = {first_r + i: ("0" if DECIMALS[c] == 0 else "0.00") for i, c in enumerate(R_CODES)}
    formats[3] = "0"
    rows = []
    for u in report.units:
        values: list[object] = []
        for c in R_CODES:
            v = u.values.get(c)
            if u.meets.get(c) is False:
                values.append(Styled(v, FLOOR if u.below_floor.get(c) else BELOW))
            else:
                values.append(v)
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
    write_table(ws, fmts, headers, rows, freeze_col=3, num_formats=formats, max_width=28)


def _sheet_cv(ws: Worksheet, fmts: Formats, report: Report) -> None:
    headers = ["学段", "指标", "差异系数", "标准", "是否达标", "学校数", report.mean_label()]
    rows = []
    for r in report.cv:
        bad = r.meets is False
        rows.append(
            [
                section_label(r.section),
                f"{r.code} {INDICATOR_NAMES.get(r.code, r.code)}",
                Styled(r.cv, BELOW) if bad else r.cv,
                limit_text(r.limit),
                Styled(yes_no(r.meets), BELOW) if bad else yes_no(r.meets),
                r.n_units,
                r.mean,
            ]
        )
    write_table(ws, fmts, headers, rows, num_formats={2: "0.000", 5: "0", 6: "0.00"}, max_width=50)


def _sheet_returns(ws: Worksheet, fmts: Formats, report: Report) -> None:
    rows = []
    for r in report.returns.itertuples(index=False):
        status = as_text(r.status)
        label = STATUS_LABELS.get(status, status)
        rows.append(
            [
                as_text(r.period),
                as_text(r.file_name),
                as_text(r.school_code),
                Styled(label, {"bg_color": BELOW["bg_color"]}) if status == "rejected" else label,
                num(r.n_errors),
            ]
        )
    write_table(ws, fmts, ["报表期", "文件名", "学校标识码", "状态", "错误数"], rows, num_formats={4: "0"})


def _sheet_issues(ws: Worksheet, fmts: Formats, report: Report) -> None:
    rows = [
        [
            as_text(r.file_name),
            as_text(r.school_code),
            as_text(r.sheet),
            as_text(r.cell),
            as_text(r.rule),
            SEVERITY_LABELS.get(as_text(r.severity), as_text(r.severity)),
            as_text(r.message),
        ]
        for r in report.issues.itertuples(index=False)
    ]
    headers = ["文件名", "学校标识码", "工作表", "单元格", "规则", "严重程度", "说明"]
    write_table(ws, fmts, headers, rows, max_width=80, wrap={6})


def workbook_bytes(report: Report) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, WORKBOOK_OPTIONS)
    wb.set_properties({"title": report.title, "author": "junheng"})
    fmts = Formats(wb)
    _sheet_summary(wb.add_worksheet(SHEET_SUMMARY), fmts, report)
    if report.overview is not None:
        write_overview_sheet(wb.add_worksheet(SHEET_OVERVIEW), fmts, report.overview)
    _sheet_schools(wb.add_worksheet(SHEET_SCHOOLS), fmts, report)
    _sheet_cv(wb.add_worksheet(SHEET_CV), fmts, report)
    _sheet_returns(wb.add_worksheet(SHEET_RETURNS), fmts, report)
    _sheet_issues(wb.add_worksheet(SHEET_ISSUES), fmts, report)
    wb.close()
    return buf.getvalue()


def write_workbook(report: Report, path: Path) -> Path:
    return write_atomic(path, workbook_bytes(report))
