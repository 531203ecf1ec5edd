"""The county workbook's page around its tables: titles, notes, wrapped paragraphs, charts, print set-up.

Tables themselves go through tasks.publish.xlsx.write_table (literal text, numbers with formats, frozen
header, autofilter); one table per sheet, so every table can be filtered.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from xlsxwriter.chart import Chart
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from tasks.publish.cells import safe_text
from tasks.publish.xlsx import WORKBOOK_OPTIONS, Formats, Styled, display_width, print_setup, write_table

BELOW_FILL = "#FFC7CE"  # below the standard
FLOOR_FILL = "#E06666"  # below 85 % of the standard
FAIL_COLOR = "#D32F2F"
MEETS_COLOR = "#2E7D32"
LIMIT_COLOR = "#E65100"
CHART_ROWS = 16  # rows one chart takes, stacked beside a table


def new_workbook() -> tuple[Workbook, io.BytesIO]:
    buf = io.BytesIO()
    return Workbook(buf, {**WORKBOOK_OPTIONS, "nan_inf_to_errors": False}), buf


def filled(v: object, fmt: str, fill: str | None) -> object:
    """A number with its format and, when failing, its fill. A missing value is a blank cell: written only
    when it has a fill to show (an empty cell with a number format looks like no cell, and costs a cell)."""
    if v is None and not fill:
        return None
    return Styled(v, _STYLES[fmt, fill] if (fmt, fill) in _STYLES else _style(fmt, fill))


_STYLES: dict[tuple[str, str | None], dict[str, Any]] = {}


def _style(fmt: str, fill: str | None) -> dict[str, Any]:
    style: dict[str, Any] = {"num_format": fmt}
    if fill:
        style["bg_color"] = fill
    return _STYLES.setdefault((fmt, fill), style)


class Page:
    """One sheet: text rows on top, one table, then more text; ``row`` is the next free row (0-based)."""

    def __init__(self, wb: Workbook, fmts: Formats, title: str, width: int) -> None:
        self.wb, self.fmts = wb, fmts
        self.ws: Worksheet = wb.add_worksheet(title)
        self.name = title
        self.width = width  # columns of the table: paragraphs are merged across them
        self.row = 0
        self.top: int | None = None  # the table's header row

    def title(self, text: str) -> None:
        self.ws.set_row(self.row, 24)
        self.ws.write_string(self.row, 0, safe_text(text), self.fmts(bold=True, font_size=15))
        self.row += 1

    def para(self, text: str, *, chars: float = 0, **style: Any) -> None:
        """A paragraph merged across the table's columns, wrapped, as many lines high as it needs."""
        fmt = self.fmts(text_wrap=True, valign="top", **style)
        lines = max(1, math.ceil(display_width(text) / max(20.0, chars or self.width * 10.0)))
        self.ws.set_row(self.row, 16 * lines + 2)
        if self.width > 1:
            self.ws.merge_range(self.row, 0, self.row, self.width - 1, "", fmt)
        self.ws.write_string(self.row, 0, safe_text(text), fmt)
        self.row += 1

    def skip(self, n: int = 1) -> None:
        self.row += n

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], **kw: Any) -> tuple[int, int]:
        """The sheet's one table (frozen header, autofilter); returns (header row, last data row)."""
        top = self.row
        n = write_table(self.ws, self.fmts, headers, rows, top=top, **kw)
        self.top = top
        self.row = top + n + 2
        return top, top + n

    def chart(self, kind: str, subtype: str | None = None) -> Chart:
        chart = self.wb.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
        assert chart is not None, kind
        return chart

    def finish(self, header: str, *, landscape: bool = True) -> None:
        print_setup(self.ws, header=header, title=self.name, landscape=landscape, repeat_row=self.top)
