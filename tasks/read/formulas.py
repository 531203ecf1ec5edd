"""Excel error cells and formula cells saved without a result: calamine reads both as empty."""

from __future__ import annotations

import re
from html import unescape

from tasks.read.extent import sheet_names_by_part
from tasks.read.file_result import FileResult
from tasks.read.grid import RawSheet, blank
from tasks.read.zip_checks import zip_parts


def overlay_error_cells(path: str, sheets: list[RawSheet], parts: dict[str, bytes] | None = None) -> None:
    """Put Excel error values (#REF! ...) back into the grid: calamine reads error cells as ''.

    A byte search for error-typed cells keeps clean files on the fast path; only files that
    have such cells are opened a second time with openpyxl.
    """
    with zip_parts(path, parts) as (names, read):
        has_errors = any(b't="e"' in read(n) for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    if not has_errors:
        return
    import openpyxl  # only for the rare file with error cells

    by_name = {s.name: s for s in sheets}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            target = by_name.get(ws.title)
            if target is None:
                continue
            for row in ws.iter_rows():
                for c in row:
                    if getattr(c, "data_type", None) == "e" and c.value is not None:
                        r, col = c.row - 1, c.column - 1
                        while len(target.rows) <= r:
                            target.rows.append([])
                        line = target.rows[r]
                        line.extend([""] * (col + 1 - len(line)))
                        line[col] = str(c.value)
    finally:
        wb.close()


class FormulaNoValue(str):
    """A formula cell saved without its result (written by a program that does not calculate)."""


# A cell element with content (never a self-closing <c .../>, whose "</c>" would be a neighbour's).
_FORMULA_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"(?:\s[^>]*)?(?<!/)>((?:(?!</c>).)*?)</c>', re.DOTALL)
_F_RE = re.compile(rb"<f(?:\s[^>]*)?>([^<]*)</f>")
_V_RE = re.compile(rb"<v>[^<]+</v>|<is>")


def overlay_uncached_formulas(path: str, sheets: list[RawSheet], parts: dict[str, bytes] | None = None) -> None:
    """Mark formula cells that have no cached result: calamine reads them as empty, which would
    turn a formula the school typed into "not reported" instead of a located error."""
    by_name = {s.name: s for s in sheets}
    with zip_parts(path, parts) as (names, read):
        sheet_parts = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        xml = {n: read(n) for n in sheet_parts}
        has_formula = {n for n, x in xml.items() if b"<f>" in x or b"<f " in x}  # not <formula1> of validations
        if not has_formula:
            return
        sheet_of_part = sheet_names_by_part(names, read)
    for part, data in xml.items():
        target = by_name.get(sheet_of_part.get(part, ""))
        if target is None or part not in has_formula:
            continue
        for m in _FORMULA_CELL_RE.finditer(data):
            inner = m.group(3)
            f = _F_RE.search(inner)
            if f is None or _V_RE.search(inner) or not f.group(1):
                continue  # no formula text (shared formula follower), or it has a cached result
            col = 0
            for ch in m.group(1):
                col = col * 26 + ch - 64
            r, c = int(m.group(2)) - 1, col - 1
            while len(target.rows) <= r:
                target.rows.append([])
            line = target.rows[r]
            line.extend([""] * (c + 1 - len(line)))
            if blank(line[c]):
                line[c] = FormulaNoValue("=" + unescape(f.group(1).decode("utf-8", "replace")))


def no_value_finding(res: FileResult, sheet: str, cell: str, label: str, value: FormulaNoValue) -> None:
    res.add(
        sheet,
        cell,
        "value.formula_no_value",
        "error",
        str(value),
        f"「{label}」是公式「{value}」，但文件中没有保存计算结果",
        "请在 Excel 或 WPS 中打开文件，确认公式算出了结果后保存再发送（或直接填写数值）",
    )
