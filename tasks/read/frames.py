"""The batch frames: 基本信息 one row per file, each table sheet one row per data row."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from junheng import spec
from tasks.read.file_result import NUMERIC_KINDS


def info_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {"file_id": pd.Series([r["file_id"] for r in rows], dtype="str")}
    for f in spec.INFO.fields:
        values = [r.get(f.code) for r in rows]
        if f.kind in NUMERIC_KINDS:
            cols[f.code] = pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
        elif f.kind == "date":
            cols[f.code] = pd.Series(values, dtype="object")
        else:
            cols[f.code] = pd.Series(values, dtype="str")
    for f in spec.INFO.fields:
        cols[f"{f.code}__raw"] = pd.Series([r.get(f"{f.code}__raw") for r in rows], dtype="str")
    return pd.DataFrame(cols)


def table_frame(s: spec.Sheet, rows: list[list[Any]]) -> pd.DataFrame:
    """file_id, sheet, row, the spec codes, then `<code>__raw` (text that could not be read)."""
    n = len(s.fields)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(3 + 2 * n)]
    data: dict[str, pd.Series] = {
        "file_id": pd.Series(columns[0], dtype="str"),
        "sheet": pd.Series(columns[1], dtype="str"),
        "row": pd.Series(columns[2], dtype="int64"),
    }
    for i, f in enumerate(s.fields):
        dtype = "float64" if f.kind in NUMERIC_KINDS else "str"
        data[f.code] = pd.Series(columns[3 + i], dtype=dtype)
    for i, f in enumerate(s.fields):
        data[f"{f.code}__raw"] = pd.Series(columns[3 + n + i], dtype="str")
    return pd.DataFrame(data)
