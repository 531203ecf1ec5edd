"""The county's own return (县级报表): the blank template and filled copies of it (junheng template --county)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from junheng import spec
from tasks.read.county_return import FIRST_ROW, VERSION_LINE

_BOLD = Font(bold=True)
_NOTE = Font(color="FF666666", size=9)
_FILL = PatternFill("solid", fgColor="FFDDEBF7")
_THIN = Side(style="thin", color="FF999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def write_county_return(path: Path, ret: Mapping[str, Any] | None = None) -> Path:
    """Write the county template, filled with ``ret`` when given.

    ``ret``: {code: value} for 县级指标 fields (spec.COUNTY codes), and optionally ``reviews``:
    {code: {"reviewer": ..., "reviewed_on": date, "note": ...}} for evidence items.
    """
    ret = dict(ret or {})
    reviews: Mapping[str, Mapping[str, Any]] = ret.pop("reviews", {}) or {}
    unknown = sorted(set(ret) - set(spec.COUNTY.codes)) + sorted(set(reviews) - set(spec.COUNTY.codes))
    if unknown:
        raise KeyError(f"县级指标中没有这些代码：{unknown}")
    wb = Workbook()
    ws = wb.active
    ws.title = spec.COUNTY_SHEET
    ws["A1"] = spec.COUNTY_TITLE
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:F1")
    ws["A2"] = VERSION_LINE
    for j, text in enumerate(spec.COUNTY_HEADER, start=1):
        c = ws.cell(3, j, text)
        c.font, c.fill, c.border = _BOLD, _FILL, _BORDER
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    levels = DataValidation(type="list", formula1=f'"{",".join(spec.Q9_LEVELS)}"', allow_blank=True)
    ws.add_data_validation(yes_no)
    ws.add_data_validation(levels)
    for i, f in enumerate(spec.COUNTY.fields):
        r = FIRST_ROW + i
        ws.cell(r, 1, f.label).font = _BOLD
        v = ret.get(f.code)
        ws.cell(r, 2, v)
        if f.kind == "yesno":
            yes_no.add(f"B{r}")
        elif f.code.startswith("q9_level_"):
            levels.add(f"B{r}")
        rev = reviews.get(f.code, {})
        for j, key in enumerate(("reviewer", "reviewed_on", "note"), start=3):
            if rev.get(key) is not None:
                ws.cell(r, j, rev[key])
        ws.cell(r, 6, ("必填；" if f.required else "") + (f.note or "")).font = _NOTE
        for j in range(1, 6):
            ws.cell(r, j).border = _BORDER
    for letter, width in zip("ABCDEF", (58, 16, 10, 12, 24, 44), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=FIRST_ROW):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_county_template(path: Path) -> Path:
    return write_county_return(path, None)


# ------------------------------------------------------------------------------- reading
