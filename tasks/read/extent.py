"""How far each sheet of a workbook reaches, measured on its XML before the parser allocates anything.

The parser holds a sheet as a dense grid from A1 to its last cell with content: one value at
XFD1048576 in an 18 KB file asks for 17 billion cells (hundreds of GB) and aborts the process.
So every worksheet part is scanned first, following the cell positions as the parser does (a row or
cell without an ``r`` attribute follows the previous one), and a sheet whose grid would be larger
than any return needs is refused with the cell that makes it so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

from junheng.errors import FileRejected

# A return's largest sheet has a few hundred rows of about 15 columns; 1,000,000 cells is a grid of
# some 30 MB in memory, far beyond any real return and far below what would hurt the run.
MAX_SHEET_CELLS = 1_000_000

_TOKEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*?)(/?)>")
_ROW_R = re.compile(rb"""\br=["']([0-9]+)["']""")
_CELL_R = re.compile(rb"""\br=["']([A-Z]{1,3})([0-9]+)["']""")
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(
    rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"'
)


@dataclass(frozen=True)
class Extent:
    rows: int  # the last row with a cell that has content (1-based), 0 when none
    cols: int  # the last column with such a cell
    cell: str  # the A1 address of the cell that reaches furthest (by row, then column)

    @property
    def cells(self) -> int:
        return self.rows * self.cols


def column_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def sheet_extent(xml: bytes) -> Extent:
    """The grid a worksheet part asks for: the furthest row and column of a cell with content.

    Self-closing cells (``<c r="Z9" s="1"/>``: formatting only) carry no value and are not kept by
    the parser, but they still move the position of the cells that follow them."""
    row = col = 0
    max_row = max_col = 0
    far = (0, 0)
    for m in _TOKEN.finditer(xml):
        kind, attrs, empty = m.group(1), m.group(2), m.group(3)
        if kind == b"row":
            r = _ROW_R.search(attrs)
            row = int(r.group(1)) if r else row + 1
            col = 0
            continue
        c = _CELL_R.search(attrs)
        if c:
            letters, digits = c.group(1), c.group(2)
            col = 0
            for ch in letters:
                col = col * 26 + ch - 64
            row = int(digits)
        else:
            col += 1
        if empty:
            continue
        max_row, max_col = max(max_row, row), max(max_col, col)
        far = max(far, (row, col))
    cell = f"{column_letters(far[1])}{far[0]}" if far[0] else ""
    return Extent(max_row, max_col, cell)


def sheet_names_by_part(names: set[str], read: Callable[[str], bytes]) -> dict[str, str]:
    """Worksheet part (xl/worksheets/sheetN.xml) → the sheet's name as people see it."""
    rels: dict[bytes, bytes] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for m in _REL.finditer(read("xl/_rels/workbook.xml.rels")):
            rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            rels[rid] = target
    out: dict[str, str] = {}
    if "xl/workbook.xml" in names:
        for m in _SHEET.finditer(read("xl/workbook.xml")):
            target = rels.get(m.group(2), b"").decode("utf-8", "replace").lstrip("/")
            out[target if target.startswith("xl/") else f"xl/{target}"] = unescape(
                m.group(1).decode("utf-8", "replace")
            )
    return out


def check_extents(names: set[str], read: Callable[[str], bytes], limit: int = MAX_SHEET_CELLS) -> None:
    """Refuse the workbook when one of its sheets would become a grid of more than ``limit`` cells."""
    titles = sheet_names_by_part(names, read)
    for part in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
        ext = sheet_extent(read(part))
        if ext.cells <= limit:
            continue
        sheet = titles.get(part, part.rsplit("/", 1)[-1])
        raise FileRejected(
            f"这个单元格有内容，使工作表达到 {ext.rows:,} 行 × {ext.cols:,} 列"
            f"（超过报表可能的范围：每张表最多 {limit:,} 个单元格），文件没有读取",
            f"请删除「{sheet}」中 {ext.cell} 等模板表格以外的内容（选中多余的行和列后“删除”），保存后重新发送",
            rule="file.too_large_sheet",
            sheet=sheet,
            cell=ext.cell,
        )
