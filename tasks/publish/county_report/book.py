"""The county workbook's writing toolkit on XlsxWriter: cached formats, a sheet written top to bottom, print set-up.

Rows are written top to bottom, each once. The workbook does not use XlsxWriter's constant_memory mode:
that mode keeps one temporary file open per sheet until the workbook closes, and the county workbook has a
sheet per school (thousands of open files, beyond many systems' limit). Text always goes through
write_string after safe_text: data never becomes a formula or a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from tasks.publish.cells import safe_text

HEADER_FILL = "#DDEBF7"
BELOW_FILL = "#FFC7CE"  # below the standard
FLOOR_FILL = "#E06666"  # below 85 % of the standard
FILLS = {"below": BELOW_FILL, "floor": FLOOR_FILL}
MAX_TEXT = 32767  # Excel's limit for one cell


def new_workbook(path: str) -> Workbook:
    return Workbook(
        path,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": False,
        },
    )


class Formats:
    """One Format per combination used (XlsxWriter writes each once into styles.xml)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self._cache: dict[tuple[tuple[str, object], ...], Format] = {}
        self.title = self.get(bold=True, font_size=14)
        self.bold = self.get(bold=True)
        self.header = self.get(bold=True, bg_color=HEADER_FILL, text_wrap=True, valign="top", border=1)
        self.wrap = self.get(text_wrap=True, valign="top")

    def get(self, **props: object) -> Format:
        key = tuple(sorted(props.items()))
        f = self._cache.get(key)
        if f is None:
            f = self._cache[key] = self.wb.add_format(dict(props))
        return f

    def num(self, number_format: str, fill: str = "") -> Format:
        """A number format, with the "below" or "floor" fill or none."""
        return self.get(num_format=number_format, bg_color=FILLS[fill]) if fill else self.get(num_format=number_format)


class Sheet:
    """A worksheet written row by row from the top; ``row`` is the next free row (0-based)."""

    def __init__(self, ws: Worksheet, fmt: Formats) -> None:
        self.ws, self.fmt, self.row = ws, fmt, 0

    def text(self, text: str, f: Format | None = None, *, gap: int = 1) -> int:
        """One text cell in column A on the next row; returns its row; ``gap`` rows follow it."""
        r = self.row
        self.ws.write_string(r, 0, safe_text(text)[:MAX_TEXT], f)
        self.row += gap
        return r

    def ws_chart(self, kind: str, subtype: str | None = None) -> Chart:
        """A native chart of this workbook (inserted with ws.insert_chart)."""
        opts = {"type": kind, **({"subtype": subtype} if subtype else {})}
        chart = self.fmt.wb.add_chart(opts)
        assert chart is not None, kind
        return chart

    def skip(self, n: int = 1) -> None:
        self.row += n

    def cell(self, r: int, c: int, v: object, f: Format | None = None) -> None:
        """Text as a string (never a formula), finite numbers as numbers, booleans as booleans, else blank."""
        if isinstance(v, str):
            self.ws.write_string(r, c, safe_text(v)[:MAX_TEXT], f)
        elif isinstance(v, bool):
            self.ws.write_boolean(r, c, v, f)
        elif isinstance(v, Real) and v == v and abs(float(v)) != float("inf"):
            self.ws.write_number(r, c, float(v), f)
        elif f is not None:
            self.ws.write_blank(r, c, None, f)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        formats: Sequence[str | None] = (),
        styles: Sequence[Sequence[Format | None]] = (),
    ) -> tuple[int, int]:
        """A header row, then the rows; a column's format applies to its numbers, ``styles[i]`` gives row i's
        cell formats that replace them, set on empty cells too (None: keep). Returns (header row, last row);
        one empty row follows."""
        top = self.row
        for j, h in enumerate(headers):
            self.ws.write_string(top, j, safe_text(h), self.fmt.header)
        fs = [self.fmt.num(f) if f else None for f in formats]
        for i, row in enumerate(rows, start=top + 1):
            over = styles[i - top - 1] if styles else ()
            for j, v in enumerate(row):
                f = fs[j] if j < len(fs) and isinstance(v, Real) else None
                if j < len(over) and over[j] is not None:
                    f = over[j]
                self.cell(i, j, v, f)
        last = top + len(rows)
        self.row = last + 2
        return top, last

    def widths(self, widths: Sequence[float]) -> None:
        for j, w in enumerate(widths):
            self.ws.set_column(j, j, w)

    def print_setup(self, header: str, *, landscape: bool = True, repeat: tuple[int, int] | None = None) -> None:
        """A4, one page wide, the county and period on top, page numbers below; header rows repeated."""
        ws = self.ws
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
        ws.set_header("&C" + header.replace("&", "&&"))
        ws.set_footer("&C第 &P 页，共 &N 页")
        if repeat is not None:
            ws.repeat_rows(*repeat)
