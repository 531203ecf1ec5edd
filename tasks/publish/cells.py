"""Values as they go into a cell or a page: safe text, numbers, yes/no, missing values. One copy for every writer."""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Text starting with one of these may be taken for a formula by Excel or LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text that no spreadsheet will run as a formula: a leading ' before = + - @ tab CR.

    Characters that are illegal in XML worksheets are dropped (a workbook writer would refuse them).
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def num(x: object) -> float | None:
    """A finite float, or None for missing (None, NaN, pd.NA) or non-numeric values."""
    if x is None or x is pd.NA or isinstance(x, bool):
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def as_flag(x: object) -> bool | None:
    """A bool from a bool / numpy bool / pandas NA column value; None when missing."""
    if x is None or x is pd.NA:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    return bool(x)


def as_text(x: object) -> str:
    """A column value as text; empty when missing."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x)


def yes_no(x: bool | None, missing: str = "") -> str:
    """是 / 否, or `missing` when the value is not known."""
    return missing if x is None else ("是" if x else "否")
