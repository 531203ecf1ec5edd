"""The 问题清单 sheet of a school's feedback: one row per finding, in the school's words, made to print."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tasks.publish.cells import as_text, safe_text
from tasks.publish.feedback.names import rule_name

ISSUES_SHEET = "问题清单"
ISSUE_HEADERS = ("序号", "工作表", "单元格", "严重程度", "问题", "发现值", "说明及修改方法")
STATUS_ZH = {"loaded": "已入库", "rejected": "退回", "superseded": "已被替代", "missing": "未报送"}
SEVERITY_ZH = {"error": "错误（须修改）", "violation": "未达标", "warning": "提醒（请核实）", "info": "说明"}
SEVERITY_ORDER = {"error": 0, "violation": 1, "warning": 2, "info": 3}
HEADER_ROW = 4  # title, hint, blank line, then the table
# One page holds this many findings when the list is printed (fit to one page up to here).
ONE_PAGE_ROWS = 20

WIDTHS = (5, 10, 11, 12, 18, 13, 72)
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.8, "bottom": 0.8, "header": 0.3, "footer": 0.3}
FOOTER = "第 &P 页，共 &N 页"
_THIN = Side(style="thin", color="FF999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEAD_FILL = PatternFill("solid", fgColor="FFDDEBF7")
SEVERITY_FILL = {
    "error": PatternFill("solid", fgColor="FFFFC7CE"),
    "violation": PatternFill("solid", fgColor="FFFFEB9C"),
    "warning": PatternFill("solid", fgColor="FFFFF2CC"),
}


_COLUMNS = ("sheet", "cell", "rule", "severity", "value", "message")


def _records(findings: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if isinstance(findings, pd.DataFrame):
        have = [c for c in _COLUMNS if c in findings.columns]
        return [
            {c: as_text(v) for c, v in zip(have, row, strict=True)}
            for row in zip(*(findings[c].tolist() for c in have), strict=True)
        ]
    return [{c: as_text(f[c]) for c in _COLUMNS if c in f} for f in findings]


def issue_rows(file_name: str, status: str, findings: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The sheet's rows: 1 = title, 2 = hint, 3 blank, 4 = headers, 5… = findings, worst first."""
    recs = sorted(_records(findings), key=lambda f: (SEVERITY_ORDER.get(f["severity"], 9), f["sheet"], f["rule"]))
    rows: list[list[Any]] = [
        [safe_text(f"文件「{file_name}」的问题清单（处理结果：{STATUS_ZH.get(status, '')}）")],
        [
            "红色单元格为错误，须修改后重新报送；黄色为未达标或提醒。"
            "把鼠标移到标色的单元格上可看到批注。未达标项写明了需增加多少。"
        ],
        [],
        list(ISSUE_HEADERS),
    ]
    for i, f in enumerate(recs, start=1):
        sev = f["severity"]
        texts = (f["sheet"], f["cell"], SEVERITY_ZH.get(sev, ""), rule_name(f["rule"]), f["value"], f["message"])
        rows.append([i, *(safe_text(t) for t in texts)])
    return rows


def _width(text: str) -> float:
    """Width of text in column-width units: a CJK character takes 1.3 (LibreOffice) to 2 (Excel); 1.5 keeps
    every line visible in both at the cost of some white space in the first."""
    return sum(1.5 if ord(ch) > 0x2E80 else 1.0 for ch in text)


def row_lines(row: list[Any]) -> int:
    """Printed lines of a wrapped row: the tallest cell at the column widths above."""
    n = 1
    for v, w in zip(row, WIDTHS, strict=False):
        n = max(n, sum(max(1, math.ceil(_width(p) / max(1, w - 1))) for p in str(v).split("\n")))
    return n


def row_height(row: list[Any]) -> int:
    return 15 * row_lines(row) + 4


def add_issues_sheet(
    wb: Workbook, file_name: str, status: str, findings: pd.DataFrame | Sequence[Mapping[str, Any]], header: str
) -> Worksheet:
    """Put 问题清单 first in ``wb`` (replacing one left from an earlier feedback), opened on it."""
    if ISSUES_SHEET in wb.sheetnames:
        del wb[ISSUES_SHEET]
    ws = wb.create_sheet(ISSUES_SHEET, 0)
    rows = issue_rows(file_name, status, findings)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(r, c, v)
            if r == 1:
                cell.font = Font(bold=True, size=13)
            elif r == 2:
                cell.alignment = Alignment(wrap_text=False)
            elif r == HEADER_ROW:
                cell.font = Font(bold=True)
                cell.fill, cell.border = _HEAD_FILL, _BORDER
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            elif r > HEADER_ROW:
                cell.alignment, cell.border = _WRAP, _BORDER
                if c == 4 and row[3]:
                    sev = next((k for k, v in SEVERITY_ZH.items() if v == row[3]), "")
                    if sev in SEVERITY_FILL:
                        cell.fill = SEVERITY_FILL[sev]
        if r > HEADER_ROW:
            ws.row_dimensions[r].height = row_height(row)
    for c, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    last = max(HEADER_ROW, len(rows))
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:G{last}"
    _print_setup(ws, len(rows) - HEADER_ROW, header)
    for other in wb.worksheets:  # the school's own sheets print one page wide too; their cells stay as sent
        if other is not ws and not other.sheet_properties.pageSetUpPr.fitToPage:
            other.sheet_properties.pageSetUpPr.fitToPage = True
            other.page_setup.fitToWidth, other.page_setup.fitToHeight = 1, 0
    # The list opens first; the tab selected before must be released, or Excel groups the two
    # sheets and an edit goes to both.
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
    for chart in wb.chartsheets:
        for view in chart.sheetViews.sheetView:
            view.tabSelected = None
    wb.active = 0
    return ws


def _print_setup(ws: Worksheet, n_findings: int, header: str) -> None:
    """Landscape A4, one page wide, the table header on every page, school and period on top, page numbers
    below; a list of up to ONE_PAGE_ROWS findings fits on one page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if n_findings <= ONE_PAGE_ROWS else 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_margins.left = ws.page_margins.right = MARGINS["left"]
    ws.page_margins.top = ws.page_margins.bottom = MARGINS["top"]
    ws.page_margins.header = ws.page_margins.footer = MARGINS["header"]
    ws.oddHeader.center.text = header.replace("&", "&&")
    ws.oddFooter.center.text = FOOTER
    ws.print_options.horizontalCentered = True
