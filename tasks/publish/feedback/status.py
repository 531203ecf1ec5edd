"""The bureau's 报送情况: every received file (and every school that sent none), what became of it and
how many findings it has; problems no school can be told about through its own file on a second sheet."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from tasks.publish.cells import as_text, num, safe_text
from tasks.publish.feedback.issues import STATUS_ZH
from tasks.publish.files import write_atomic

STATUS_SHEET = "报送情况"
LONE_SHEET = "未对应学校的问题"
STATUS_HEADERS = (
    "文件名",
    "学校标识码",
    "处理结果",
    "错误数",
    "未达标数",
    "提醒数",
    "填报日期",
    "接收时间",
    "反馈文件",
)
_STATUS_WIDTHS = (44, 13, 9, 8, 9, 8, 12, 21, 30)
LONE_HEADERS = ("文件名", "学校标识码", "问题", "说明及修改方法")
_LONE_WIDTHS = (36, 13, 18, 80)
NONE_LONE = "无（本期没有未对应学校的问题）"
_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
_STATUS_ORDER = {"rejected": 0, "missing": 1, "loaded": 2, "superseded": 3}


def status_rows(status: pd.DataFrame, sent: Mapping[str, str], warnings: Mapping[str, int]) -> list[list[Any]]:
    """One row per file (and per school that sent none): refused first, then missing, loaded, superseded.
    ``warnings``: 提醒 per file id as its 问题清单 lists them (validation's and the warehouse's outliers)."""
    recs = sorted(
        status.to_dict("records"),
        key=lambda r: (_STATUS_ORDER.get(as_text(r["status"]), 9), as_text(r["school_code"]), as_text(r["file_name"])),
    )
    rows = []
    for r in recs:
        fid = as_text(r["file_id"])
        n_warn = _count(r["n_warnings"])
        if fid in warnings:
            n_warn = warnings[fid]
        rows.append(
            [
                as_text(r["file_name"]),
                as_text(r["school_code"]),
                STATUS_ZH.get(as_text(r["status"]), ""),
                _count(r["n_errors"]),
                _count(r["n_violations"]),
                n_warn,
                as_text(r["submitted_on"])[:10],
                as_text(r["received_at"])[:19],
                sent.get(fid, ""),
            ]
        )
    return rows


def _count(v: object) -> int | None:
    x = num(v)
    return None if x is None else int(x)


def _table(
    ws: Worksheet, fmt: Mapping[str, Any], headers: Sequence[str], widths: Sequence[int], rows: list[list[Any]]
) -> None:
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, fmt["head"])
    for r, row in enumerate(rows, start=1):
        tallest = 1
        for c, v in enumerate(row):
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                ws.write_number(r, c, v, fmt["num"])
            elif v is None or v == "":
                ws.write_blank(r, c, None, fmt["text"])
            else:
                text = safe_text(str(v))
                ws.write_string(r, c, text, fmt["text"])
                tallest = max(tallest, math.ceil(_width(text) / max(1, widths[c] - 1)))
        if tallest > 1:
            ws.set_row(r, 15 * tallest + 3)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, len(rows)), len(headers) - 1)
    ws.repeat_rows(0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.8, bottom=0.7)


def _width(text: str) -> float:
    """Width of text in column-width units at the default font (a CJK character takes about 1.7)."""
    return sum(1.7 if ord(ch) > 0x2E80 else 1.0 for ch in text)


def write_status(
    path: Path,
    period: str,
    status: pd.DataFrame,
    lone: pd.DataFrame,
    sent: Mapping[str, str],
    warnings: Mapping[str, int],
    rule_name: Any,
    county: str = "",
) -> Path:
    """Write 报送情况-<period>.xlsx. ``lone``: findings of files without a school (or not on the roster)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, _OPTIONS)  # in memory: the bytes go through write_atomic
    fmt = {
        "head": wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}
        ),
        "text": wb.add_format({"text_wrap": True, "valign": "top", "border": 1}),
        "num": wb.add_format({"num_format": "0", "valign": "top", "align": "center", "border": 1}),
    }
    title = f"{county} {period} 报送情况".strip().replace("&", "&&")
    ws = wb.add_worksheet(STATUS_SHEET)
    _table(ws, fmt, STATUS_HEADERS, _STATUS_WIDTHS, status_rows(status, sent, warnings))
    ws.set_header(f"&C{title}")
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws2 = wb.add_worksheet(LONE_SHEET)
    lone_rows = [
        [as_text(f["file_name"]), as_text(f["school_code"]), rule_name(as_text(f["rule"])), as_text(f["message"])]
        for f in lone.to_dict("records")
    ]
    _table(ws2, fmt, LONE_HEADERS, _LONE_WIDTHS, lone_rows)
    if not lone_rows:  # say so, rather than print an empty table
        ws2.merge_range(1, 0, 1, len(LONE_HEADERS) - 1, NONE_LONE, fmt["text"])
    ws2.set_header(f"&C{title}（未对应学校的问题）")
    ws2.set_footer("&C第 &P 页，共 &N 页")
    wb.set_properties({"title": f"{period} 报送情况"})
    wb.close()
    return write_atomic(path, buf.getvalue())
