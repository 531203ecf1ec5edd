"""What a school sees in a feedback workbook, read back with openpyxl and calamine, for comparing paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook


def _style(c: Any) -> tuple[Any, ...]:
    f, a, b = c.font, c.alignment, c.border
    return (
        c.fill.fill_type,
        c.fill.fgColor.rgb,
        f.b,
        f.sz,
        f.name,
        a.wrap_text,
        a.vertical,
        a.horizontal,
        b.left.style,
        b.left.color.rgb if b.left.color is not None else None,
        c.number_format,
        c.protection.locked,
    )


def _sheet(ws: Worksheet) -> dict[str, Any]:
    ps, pm = ws.page_setup, ws.page_margins
    return {
        "cells": {
            c.coordinate: (c.value, _style(c))
            for row in ws.iter_rows()
            for c in row
            if c.value is not None or c.has_style
        },
        "comments": {
            c.coordinate: (c.comment.text, c.comment.author)
            for row in ws.iter_rows()
            for c in row
            if c.comment is not None
        },
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "page": (
            ps.orientation,
            ps.paperSize,
            ps.fitToWidth,
            ps.fitToHeight,
            ws.sheet_properties.pageSetUpPr.fitToPage,
        ),
        "margins": (pm.left, pm.right, pm.top, pm.bottom, pm.header, pm.footer),
        "titles": (ws.print_title_rows, ws.print_title_cols, ws.print_area),
        "header": (ws.oddHeader.center.text, ws.oddHeader.left.text, ws.oddFooter.center.text),
        "centered": ws.print_options.horizontalCentered,
        "selected": bool(ws.sheet_view.tabSelected),
        "state": ws.sheet_state,
        "rows": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
        "cols": {k: d.width for k, d in ws.column_dimensions.items() if d.customWidth},
        "validations": [(v.sqref, v.type, v.formula1) for v in ws.data_validations.dataValidation],
        "protected": ws.protection.sheet,
    }


def reading(path: Path) -> dict[str, Any]:
    wb = load_workbook(path)
    out: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "active": wb.active.title if wb.active is not None else None,
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
    }
    for ws in wb.worksheets:
        out[ws.title] = _sheet(ws)
    cw = CalamineWorkbook.from_path(str(path))
    out["calamine"] = {n: cw.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in cw.sheet_names}
    return out
