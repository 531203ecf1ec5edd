"""The city workbook (XlsxWriter): first screen, a row per county, the CV grid, blocking items, the trend chart."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from junheng.spec import SECTION_LABELS
from tasks.model.progress import BEHIND, NOT_REPORTED, ON_TRACK, REACHED, STATUSES
from tasks.publish.cells import safe_text
from tasks.publish.city_report.build import CityReport, cv_columns, cv_legend
from tasks.publish.files import write_atomic
from tasks.publish.xlsx import WORKBOOK_OPTIONS, Formats, Styled, display_width, write_table

STATUS_FILL = {REACHED: "#C6EFCE", ON_TRACK: "#DDEBF7", BEHIND: "#FFC7CE", NOT_REPORTED: "#EDEDED"}
FAIL = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}


def _print_setup(ws: Worksheet, report: CityReport, header_row: int, landscape: bool = True) -> None:
    """Landscape, one page wide, header rows repeated, city and period in the header, page numbers."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)  # the table header on every page
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    title = safe_text(report.title).replace("&", "&&")
    ws.set_header(f"&L{title}&R{safe_text(report.plan.title).replace('&', '&&')}")
    ws.set_footer("&C第 &P 页，共 &N 页")


def _summary(wb: xlsxwriter.Workbook, fmts: Formats, report: CityReport, out_folder: Path) -> None:
    ws = wb.add_worksheet("概览")
    ws.write_string(0, 0, safe_text(report.title), fmts(bold=True, font_size=14))
    counts = report.counts
    ws.merge_range(1, 0, 1, 9, "")
    ws.write_string(1, 0, safe_text(headline(report)), fmts(bold=True, text_wrap=True, valign="top"))
    ws.set_row(1, 36)
    for j, s in enumerate(STATUSES):
        # shrink: 本期未报送 is wider than the table's column under it (it was cut off in print)
        ws.write_string(2, j * 2, s, fmts(bold=True, bg_color=STATUS_FILL[s], border=1, align="center", shrink=True))
        ws.write_number(2, j * 2 + 1, counts[s], fmts(bold=True, border=1, align="center", num_format="0"))
    ws.merge_range(3, 0, 3, 9, "")
    ws.write_string(3, 0, safe_text(report.rule), fmts(text_wrap=True, valign="top", font_color="#444444"))
    ws.set_row(3, 80)  # five wrapped lines: the status rule and the school units' population
    headers = [
        "县（市、区）",
        "目标年度",
        "距目标年底（月）",
        "状态",
        "本期结论",
        "达标指标项",
        "指标项总数",
        "差异系数达标（共14项）",
        "学校单元达标比例",
        "近期变化（项）",
        "状态说明",
        "未达标项目",
        "本县报告",
    ]
    rows = []
    for c in report.counties:
        rows.append(
            [
                c.name,
                c.target_year,
                c.months_left,
                Styled(c.status, {"bg_color": STATUS_FILL[c.status]}),
                c.verdict,
                c.met,
                c.total,
                c.cv_met,
                c.share,
                c.trend,
                c.reason,
                "；".join(c.unmet) or "—",
                f"打开{c.name}报告" if c.report_xlsx else str(c.report_html or "（本期无县级报告）"),
            ]
        )
    top = 5
    write_table(
        ws,
        fmts,
        headers,
        rows,
        top=top,
        # 距目标年底（月）stays a number; once the target year has ended it reads 已过 10 (not -10).
        num_formats={1: "0", 2: '0;"已过 "0;0', 5: "0", 6: "0", 7: "0", 8: "0.0%", 9: "+0;-0;0"},
        wrap=(0, 10, 11, 12),
        freeze_col=1,
        max_width=40,
    )
    widths = (14, 7, 8, 8, 8, 7, 7, 9, 9, 8, 30, 30, 16)
    for j, width in enumerate(widths):
        ws.set_column(j, j, width)
    ws.set_row(top, 48)  # the header wrapped in the narrower widths above
    # Wrapped rows get the height their longest text needs (LibreOffice keeps one line otherwise).
    for i, row in enumerate(rows, start=top + 1):
        lines = max(math.ceil(display_width(str(row[j])) / (widths[j] - 1)) for j in (0, 10, 11, 12))
        ws.set_row(i, 15 * max(1, lines) + 3)
    for i, c in enumerate(report.counties, start=top + 1):
        if c.report_xlsx is not None:
            # Our own file, relative to this workbook: the one cell that is a link on purpose.
            target = os.path.relpath(c.report_xlsx, start=out_folder).replace(os.sep, "/")
            link = fmts(font_color="blue", underline=1, text_wrap=True, valign="top")
            ws.write_url(
                i, 12, f"external:{target}", link, string=safe_text(f"打开{c.name}报告"), tip=safe_text(target)
            )
    _print_setup(ws, report, top)


def headline(report: CityReport) -> str:
    n = report.counts
    total = len(report.counties)
    text = (
        f"{report.plan.city_name}计划内 {total} 个县（市、区）：已达到 {n[REACHED]} 个，按期推进 {n[ON_TRACK]} 个，"
        f"滞后 {n[BEHIND]} 个，本期未报送 {n[NOT_REPORTED]} 个。"
    )
    behind = [c.name for c in report.counties if c.status == BEHIND]
    missing = [c.name for c in report.counties if c.status == NOT_REPORTED]
    if behind:
        text += f"滞后：{'、'.join(behind)}（未达标项目和学校见“滞后县问题”）。"
    if missing:
        text += f"未报送：{'、'.join(missing)}。"
    return text


def _cv_sheet(wb: xlsxwriter.Workbook, fmts: Formats, report: CityReport) -> None:
    ws = wb.add_worksheet("差异系数")
    cols = cv_columns()
    headers = ["县（市、区）", *[f"{SECTION_LABELS[s]}{c}" for s, c in cols]]
    rows = []
    for c in report.counties:
        grid = report.cv.get(c.code, {})
        line: list[object] = [c.name]
        for key in cols:
            cv, _limit, meets = grid.get(key, (None, None, None))
            line.append(Styled(cv, FAIL) if meets is False else cv)
        rows.append(line)
    write_table(ws, fmts, headers, rows, num_formats={j: "0.000" for j in range(1, len(headers))}, freeze_col=1)
    ws.set_column(0, 0, 20)
    note = len(rows) + 2
    ws.write_string(
        note, 0, "红色 = 超过上限（小学 0.50、初中 0.45），空白 = 本期未报送或无法计算。", fmts(italic=True)
    )
    # One indicator a line: a single long line widens what is printed and shrinks the page.
    for i, name in enumerate(cv_legend(), start=note + 1):
        ws.write_string(i, 0, name, fmts(italic=True))
    _print_setup(ws, report, 0)


def _blocking_sheet(wb: xlsxwriter.Workbook, fmts: Formats, report: CityReport) -> None:
    ws = wb.add_worksheet("滞后县问题")
    headers = ["县（市、区）", "项目", "学段", "情况", "说明", "涉及学校"]
    rows = []
    for c in report.counties:
        for b in report.blocking.get(c.code, []):
            schools = "；".join(b.schools) + (f"；另有 {b.more} 所" if b.more else "")
            rows.append([c.name, b.item, b.section, b.status, b.detail or "—", schools or "—"])
    if not rows:
        rows.append(["本期没有滞后的县", "", "", "", "", ""])
    write_table(ws, fmts, headers, rows, wrap=(1, 4, 5), freeze_col=1, max_width=50)
    ws.set_column(1, 1, 36)
    ws.set_column(4, 5, 50)
    _print_setup(ws, report, 0)


def _trend_sheet(wb: xlsxwriter.Workbook, fmts: Formats, report: CityReport) -> None:
    ws = wb.add_worksheet("达标趋势")
    periods = report.periods
    with_data = [c for c in report.counties if report.history.get(c.code)]
    headers = ["报表期", *[c.name for c in with_data]]
    rows = [[p, *[report.history[c.code].get(p) for c in with_data]] for p in periods]
    n = write_table(ws, fmts, headers, rows, num_formats={j: "0" for j in range(1, len(headers))})
    if n and with_data:
        chart = wb.add_chart({"type": "line"})
        for j in range(1, len(with_data) + 1):
            chart.add_series(
                {
                    "name": ["达标趋势", 0, j],
                    "categories": ["达标趋势", 1, 0, n, 0],
                    "values": ["达标趋势", 1, j, n, j],
                    "marker": {"type": "circle", "size": 6},
                }
            )
        chart.set_title({"name": "各县达标指标项数（按报表期）"})
        chart.set_y_axis({"name": "达标指标项", "min": 0})
        chart.set_x_axis({"name": "报表期"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 720, "height": 360})
        ws.insert_chart(n + 3, 0, chart)
    _print_setup(ws, report, 0)


def workbook_bytes(report: CityReport, out_folder: Path) -> bytes:
    """The workbook; links to the counties' reports are relative to ``out_folder`` (where it is saved)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, WORKBOOK_OPTIONS)
    fmts = Formats(wb)
    _summary(wb, fmts, report, out_folder)
    _cv_sheet(wb, fmts, report)
    _blocking_sheet(wb, fmts, report)
    _trend_sheet(wb, fmts, report)
    wb.close()
    return buf.getvalue()


def write_workbook(report: CityReport, path: Path) -> Path:
    return write_atomic(path, workbook_bytes(report, path.parent))
