"""What every workbook junheng writes with XlsxWriter shares: safe options, literal cells, print set-up."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from tasks.publish.cells import safe_text

# Data never becomes a formula, a link or a number it was not given as.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def write_literal(ws: Worksheet, row: int, col: int, v: Any, fmt: Format | None, date_fmt: Format | None) -> None:
    """Write a value as given: text stays text (never a formula), numbers numbers, dates dates, None blank."""
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"Excel 不能保存非有限数值：{v!r}")
    if v is None:
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(v, str):
        ws.write_string(row, col, v, fmt)
    elif isinstance(v, bool):
        ws.write_boolean(row, col, v, fmt)
    elif isinstance(v, int | float):
        ws.write_number(row, col, v, fmt)
    elif isinstance(v, date):  # datetime included
        ws.write_datetime(row, col, v, date_fmt)
    else:
        raise TypeError(f"不能写入单元格的值：{v!r}（{type(v).__name__}）")


def display_width(text: str) -> int:
    """Approximate width of text in Excel's character units: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class Formats:
    """Cell formats of one workbook, made once per distinct set of properties."""

    def __init__(self, wb: Workbook) -> None:
        self._wb = wb
        self._made: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._made:
            self._made[key] = self._wb.add_format(dict(props))
        return self._made[key]


HEADER = {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "vcenter", "border": 1}


@dataclass(frozen=True)
class Styled:
    """A cell value with its own format properties (fill, font colour, bold …) on top of the column's."""

    value: object
    style: Mapping[str, Any]


def write_table(
    ws: Worksheet,
    fmts: Formats,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    top: int = 0,
    num_formats: Mapping[int, str] | None = None,
    wrap: Collection[int] = (),
    freeze_col: int = 0,
    max_width: int = 60,
    autofilter: bool = True,
    widths: Sequence[float] | None = None,
) -> int:
    """Header at row ``top`` and rows below it: text as literal safe text, numbers as numbers in the column's
    number format, a frozen header, an autofilter and column widths. Returns the number of rows written."""
    num_formats = num_formats or {}
    line_counts: dict[int, int] = {}  # rows whose wrapped text needs more than one line
    for j, h in enumerate(headers):
        ws.write_string(top, j, safe_text(h), fmts(**HEADER))
    auto_widths: list[float] = [min(max_width, max(8, display_width(h) // 2 + 2)) for h in headers]
    measure = widths is None  # given widths: text is measured only where it wraps
    # A cell's format depends on its column, its own style and whether it is a number: made once per
    # (column, style object, number), the style kept beside it so its id stays its own.
    made: dict[tuple[int, int, bool], tuple[Mapping[str, Any], Format]] = {}
    no_style: Mapping[str, Any] = {}
    wrapped: dict[tuple[int, str], int] = {}  # lines a wrapped text takes in its column (texts repeat)
    safe: dict[str, str] = {}  # texts as written (names, labels and units repeat down a table)

    def cell_format(j: int, style: Mapping[str, Any], number: bool) -> Format:
        key = (j, id(style), number)
        hit = made.get(key)
        if hit is not None and hit[0] is style:
            return hit[1]
        props: dict[str, Any] = {"valign": "top", **style}
        if j in wrap:
            props["text_wrap"] = True
        if number and j in num_formats:
            props["num_format"] = num_formats[j]
        fmt = fmts(**props)
        made[key] = (style, fmt)
        return fmt

    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    n = 0
    for i, row in enumerate(rows, start=top + 1):
        n += 1
        for j, cell in enumerate(row):
            style, v = no_style, cell
            if isinstance(cell, Styled):
                v, style = cell.value, cell.style
            shown = 0
            if isinstance(v, str) and v:
                text = safe.get(v)
                if text is None:
                    text = safe[v] = safe_text(v)
                write_string(i, j, text, cell_format(j, style, False))
                if measure:
                    shown = display_width(v)
                if j in wrap and widths is not None:
                    lines = wrapped.get((j, v), 0)
                    if not lines:
                        lines = wrapped[j, v] = sum(
                            max(1, math.ceil(0.9 * display_width(p) / max(1.0, widths[j] - 1))) for p in v.split("\n")
                        )
                    if lines > line_counts.get(i, 1):
                        line_counts[i] = lines
            elif isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                write_number(i, j, v, cell_format(j, style, True))
                if measure:
                    shown = len(f"{v:,.2f}")
            elif style:
                write_blank(i, j, None, cell_format(j, style, False))
            if measure:
                auto_widths[j] = min(max_width, max(auto_widths[j], shown + 2))
    if widths is not None:
        auto_widths = [float(w) for w in widths]
    for j, w in enumerate(auto_widths):
        ws.set_column(j, j, w)
    # Spreadsheet programs do not grow a row for wrapped text on opening: give it the lines it needs.
    for i, lines in line_counts.items():
        ws.set_row(i, 14 * lines + 4)
    ws.freeze_panes(top + 1, freeze_col)
    if autofilter:
        ws.autofilter(top, 0, top + n, len(headers) - 1)
    # Wrapped header: enough 15-point lines for the longest header in its column width.
    lines = max(math.ceil(display_width(h) / max(1, w - 1)) for h, w in zip(headers, auto_widths, strict=True))
    ws.set_row(top, 15 * max(1, lines) + 5)
    return n


def _header_text(text: str) -> str:
    """Text for a page header/footer: a literal & is written &&."""
    return text.replace("&", "&&")


def print_setup(
    ws: Worksheet, *, header: str, title: str = "", landscape: bool = True, repeat_row: int | None = 0
) -> None:
    """A4, one page wide (as many pages down as needed), the table header repeated on every page,
    ``header`` (county and period) at the top left, ``title`` in the middle, page numbers at the bottom."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    ws.set_header(f"&L{_header_text(header)}&C{_header_text(title)}", {"margin": 0.25})
    ws.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.25})
