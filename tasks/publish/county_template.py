"""The county's own return (县级报表): the blank template and filled copies of it (junheng template --county)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xlsxwriter

from junheng import spec
from tasks.publish.files import write_atomic
from tasks.publish.xlsx import WORKBOOK_OPTIONS, display_width, print_setup, write_literal
from tasks.read.county_return import FIRST_ROW, VERSION_LINE

_BORDER = {"border": 1, "border_color": "#999999"}
_WIDTHS = (58, 16, 10, 12, 24, 44)


def county_return_bytes(ret: Mapping[str, Any] | None = None) -> bytes:
    """The .xlsx bytes of the county template, filled with ``ret`` when given (see write_county_return)."""
    ret = dict(ret or {})
    reviews: Mapping[str, Mapping[str, Any]] = ret.pop("reviews", {}) or {}
    unknown = sorted(set(ret) - set(spec.COUNTY.codes)) + sorted(set(reviews) - set(spec.COUNTY.codes))
    if unknown:
        raise KeyError(f"县级指标中没有这些代码：{unknown}")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, WORKBOOK_OPTIONS)
    wrap = {"text_wrap": True, "valign": "top"}
    label = wb.add_format({"bold": True, **wrap, **_BORDER})
    cell = wb.add_format({**wrap, **_BORDER})
    day = wb.add_format({**wrap, **_BORDER, "num_format": "yyyy-mm-dd"})
    note = wb.add_format({"font_color": "#666666", "font_size": 9, **wrap})
    ws = wb.add_worksheet(spec.COUNTY_SHEET)
    ws.merge_range(0, 0, 0, 5, spec.COUNTY_TITLE, wb.add_format({"bold": True, "font_size": 14}))
    ws.write_string(1, 0, VERSION_LINE)
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", **_BORDER})
    for j, text in enumerate(spec.COUNTY_HEADER):
        ws.write_string(2, j, text, header)
    yes_no = {"validate": "list", "source": ["是", "否"], "ignore_blank": True}
    levels = {"validate": "list", "source": list(spec.Q9_LEVELS), "ignore_blank": True}
    for i, f in enumerate(spec.COUNTY.fields):
        r = FIRST_ROW - 1 + i
        ws.write_string(r, 0, f.label, label)
        write_literal(ws, r, 1, ret.get(f.code), cell, day)
        if f.kind == "yesno":
            ws.data_validation(r, 1, r, 1, yes_no)
        elif f.code.startswith("q9_level_"):
            ws.data_validation(r, 1, r, 1, levels)
        rev = reviews.get(f.code, {})
        for j, key in enumerate(("reviewer", "reviewed_on", "note"), start=2):
            write_literal(ws, r, j, rev.get(key), cell, day)
        hint = ("必填；" if f.required else "") + (f.note or "")
        ws.write_string(r, 5, hint, note)
        # Spreadsheet programs do not grow a row for wrapped text on opening: give it the lines it needs.
        lines = max(math.ceil(0.9 * display_width(t) / (w - 1)) for t, w in ((f.label, _WIDTHS[0]), (hint, _WIDTHS[5])))
        if lines > 1:
            ws.set_row(r, 14 * lines + 4)
    for j, width in enumerate(_WIDTHS):
        ws.set_column(j, j, width)
    ws.freeze_panes(FIRST_ROW - 1, 1)
    print_setup(ws, header=spec.COUNTY_TITLE, title=spec.COUNTY_SHEET, repeat_row=FIRST_ROW - 2)
    wb.close()
    return buf.getvalue()


def write_county_return(path: Path, ret: Mapping[str, Any] | None = None) -> Path:
    """Write the county template, filled with ``ret`` when given.

    ``ret``: {code: value} for 县级指标 fields (spec.COUNTY codes), and optionally ``reviews``:
    {code: {"reviewer": ..., "reviewed_on": date, "note": ...}} for evidence items.
    """
    return write_atomic(Path(path), county_return_bytes(ret))


def write_county_template(path: Path) -> Path:
    return write_county_return(path, None)
