"""A sheet as a grid of cells, and the helpers that read one cell (blank, text, Excel address)."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

Cell = Any  # what calamine returns: str, float, int, bool, date, datetime, time, timedelta


@dataclass
class RawSheet:
    """One sheet as a grid: rows[i][j] is Excel cell (row i+1, column j+1)."""

    name: str
    rows: list[list[Cell]]
    from_html: bool = False
    # Merged areas (first row, first col, last row, last col), 0-based; HTML rowspans too.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


def blank(v: Cell) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


def is_number(v: Cell) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def cell_text(x: Cell) -> str | None:
    if x is None:
        return None
    if isinstance(x, str):
        return x.strip() or None
    if isinstance(x, bool):
        return "是" if x else "否"
    if isinstance(x, float):
        if math.isnan(x):
            return None
        return str(int(x)) if x.is_integer() else str(x)
    if isinstance(x, datetime | date):
        return x.isoformat()
    return str(x).strip() or None


def enum_text(x: Cell) -> str | None:
    t = cell_text(x)
    if t is None:
        return None
    return "".join(unicodedata.normalize("NFKC", t).split()) or None


def fmt_number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def col_letters(c: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def a1(r: int, c: int) -> str:
    return f"{col_letters(c)}{r + 1}"
