"""One school's feedback: its own workbook with every problem cell marked and commented, 问题清单 first.

The feedback is an edit of the file the school sent, so the school corrects the very workbook it filled
in: at the zip level when the file is a plain .xlsx (tasks.publish.feedback.fast), else openpyxl load +
save. A legacy .xls or an HTML table is rebuilt from its cells first; a file that cannot be opened at all
gets a short sheet saying why and what to send instead.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from junheng import spec
from tasks.publish.cells import as_text, safe_text
from tasks.publish.feedback.advice import SchoolContext, advise
from tasks.publish.feedback.book import from_workbook
from tasks.publish.feedback.fast import fast_feedback
from tasks.publish.feedback.issues import add_issues_sheet
from tasks.publish.feedback.locate import target_sheet
from tasks.publish.feedback.marks import (
    AUTHOR,
    COMMENT_SIZE,
    MARK_COLOURS,
    Records,
    as_records,
    by_cell,
    comment_text,
    worst,
)
from tasks.publish.files import write_atomic
from tasks.read.workbook import load_sheets

FILLS = {k: PatternFill("solid", fgColor=v) for k, v in MARK_COLOURS.items()}
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
SEND_INSTEAD = (
    f"请使用本县下发的 {spec.TEMPLATE_VERSION} 模板（Excel 文件，扩展名 .xlsx）填写，"
    "在 Excel 或 WPS 中“另存为 Excel 工作簿(.xlsx)”，不要加密码、不要压缩、不要改扩展名，然后重新发送。"
)


def open_copy(path: Path) -> Workbook | None:
    """The school's own workbook: as is when it is an .xlsx/.xlsm, else rebuilt from its cells (.xls, HTML)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PK\x03\x04":
        try:
            return load_workbook(path)
        except Exception:  # noqa: S110 - openpyxl is stricter than calamine: fall back to the cells
            pass
    try:
        sheets = load_sheets(str(path))
    except Exception:
        return None
    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    used: set[str] = set()
    for raw in sheets:
        ws = wb.create_sheet(_sheet_title(raw.name, used))
        for r, row in enumerate(raw.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is None or v == "":
                    continue
                ws.cell(r, c).value = safe_text(v) if isinstance(v, str) else _plain(v)
    return wb


def _plain(v: object) -> Any:
    if isinstance(v, bool | int | float) or hasattr(v, "isoformat"):
        return v
    return safe_text(str(v))


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"
    title, i = base, 1
    while title in used:
        i += 1
        title = f"{base[:28]}_{i}"
    used.add(title)
    return title


def mark_cells(wb: Workbook, findings: Records) -> int:
    """Fill and comment every located cell (worst severity's colour); returns how many were marked."""
    book = from_workbook(wb)
    marked = 0
    for (sheet, ref), rows in by_cell(findings).items():
        title = target_sheet(book, sheet)
        if title is None:
            continue
        ws = wb[title]
        c = ws[ref]
        if isinstance(c, MergedCell):  # a comment belongs to the merged area's first cell
            for rng in ws.merged_cells.ranges:
                if ref in rng:
                    c = ws.cell(rng.min_row, rng.min_col)
                    break
        colour = worst(rows)
        if colour is not None:
            c.fill = FILLS[colour]
        comment = Comment(comment_text(rows), AUTHOR)
        comment.width, comment.height = COMMENT_SIZE
        c.comment = comment
        marked += 1
    return marked


def save(wb: Workbook, path: Path) -> Path:
    buf = io.BytesIO()
    wb.save(buf)
    return write_atomic(path, buf.getvalue())


def not_read(findings: Records) -> bool:
    """Whether the reader refused the file itself (file.* errors). A note such as file.duplicate is
    about a file that was read: the school still gets its own workbook."""
    return any(str(f["rule"]).startswith("file.") and str(f["severity"]) == "error" for f in findings)


def cannot_open(path: Path, file_name: str, findings: Records) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "反馈"
    ws["A1"] = safe_text(f"文件「{file_name}」无法打开，本次报送未被受理")
    ws["A1"].font = Font(bold=True, size=13)
    reasons = [safe_text(as_text(f["message"])) for f in findings] or ["文件无法读取。"]
    ws["A3"], ws["A3"].font = "原因：", _BOLD
    for i, r in enumerate(reasons, start=4):
        ws.cell(i, 1, r).alignment = _WRAP
    n = 4 + len(reasons) + 1
    ws.cell(n, 1, "请这样重新发送：").font = _BOLD
    ws.cell(n + 1, 1, SEND_INSTEAD).alignment = _WRAP
    ws.column_dimensions["A"].width = 110
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    return save(wb, path)


def school_feedback(
    archive_path: Path,
    file_name: str,
    status: str,
    findings: pd.DataFrame | Records,
    out: Path,
    header: str = "",
    context: SchoolContext | None = None,
) -> Path:
    """Write ``out``: the school's workbook marked up with its findings and 问题清单 first, or a short
    sheet saying why the file could not be opened and what to send instead. ``header`` is printed on top
    of every page of the list (school and period); ``context`` gives the amounts and 提醒 from the warehouse."""
    return write_school_feedback(archive_path, file_name, status, findings, out, header, context)[0]


def write_school_feedback(
    archive_path: Path,
    file_name: str,
    status: str,
    findings: pd.DataFrame | Records,
    out: Path,
    header: str = "",
    context: SchoolContext | None = None,
) -> tuple[Path, int | None]:
    """school_feedback, and how many 提醒 its 问题清单 lists (None when the file could not be opened)."""
    findings = as_records(findings)
    if not_read(findings) or not archive_path.is_file():
        return cannot_open(out, file_name, findings), None
    header = header or file_name
    fast = fast_feedback(archive_path, file_name, status, findings, header, context)
    if fast is not None:
        return write_atomic(out, fast[0]), fast[1]
    wb = open_copy(archive_path)
    if wb is None:
        return cannot_open(out, file_name, findings), None
    try:
        rows = advise(from_workbook(wb), findings, context)
        listed = [r for r in rows if r["listed"]]
        mark_cells(wb, rows)
        add_issues_sheet(wb, file_name, status, listed, header)
        path = save(wb, out)
    except Exception:  # one odd workbook must not stop the feedback of the others: the list alone
        listed = findings
        wb = Workbook()
        add_issues_sheet(wb, file_name, status, listed, header)
        del wb[wb.sheetnames[1]]
        path = save(wb, out)
    return path, sum(as_text(f["severity"]) == "warning" for f in listed)
