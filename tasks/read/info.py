"""The 基本信息 sheet: labels in the left columns, each value in the cell to its right."""

from __future__ import annotations

import unicodedata
from typing import Any

from junheng import spec
from tasks.read.file_result import COLUMN_ABSENT, ENUM_KINDS, NUMERIC_KINDS, FileResult, field_error
from tasks.read.formulas import FormulaNoValue, no_value_finding
from tasks.read.grid import Cell, RawSheet, a1, cell_text, enum_text
from tasks.read.labels import index_for
from tasks.read.numbers import (
    NumberError,
    ValueFormatError,
    is_excel_error,
    parse_date,
    parse_number,
    parse_period,
)

KV_LABEL_COLUMNS = 6  # key/value labels are searched for in this many left columns


def read_info(raw: RawSheet, res: FileResult) -> None:
    idx = index_for(spec.INFO.name)
    found: dict[str, tuple[Cell, str]] = {}
    for r, row in enumerate(raw.rows):
        c = 0
        limit = min(len(row), KV_LABEL_COLUMNS)
        while c < limit:
            m = idx.match(row[c])
            if m is None or m.code in found:
                c += 1
                continue
            vc = c + 1  # the value is the right neighbour (column C holds the template's notes)
            found[m.code] = (row[vc] if vc < len(row) else "", a1(r, vc))
            c = vc + 1
    info: dict[str, Any] = {"file_id": res.rf.file_id}
    cells: dict[str, str] = {}
    for f in spec.INFO.fields:
        info[f"{f.code}__raw"] = None
        if f.code not in found:
            info[f.code] = None
            if f.required:
                info[f"{f.code}__raw"] = COLUMN_ABSENT
                res.add(
                    raw.name,
                    "",
                    "sheet.missing_column",
                    "error",
                    "",
                    f"缺少「{f.label}」一行",
                    f"请按模板在 A 列填写“{f.label}”，在 B 列填写其内容",
                )
            continue
        value, addr = found[f.code]
        cells[f.code] = addr
        info[f.code] = _info_value(f, value, raw.name, addr, info, res)
    res.info = info
    res.info_cells = cells
    code = info.get("school_code")
    res.school_code = code if isinstance(code, str) and code else None


def _info_value(f: spec.Field, value: Cell, sheet: str, addr: str, info: dict[str, Any], res: FileResult) -> Any:
    if isinstance(value, FormulaNoValue):
        info[f"{f.code}__raw"] = str(value)
        no_value_finding(res, sheet, addr, f.label, value)
        return None
    if isinstance(value, str) and is_excel_error(value):
        info[f"{f.code}__raw"] = value.strip()
        res.add(
            sheet,
            addr,
            "value.excel_error",
            "error",
            value,
            f"「{f.label}」是 Excel 错误值「{value.strip()}」",
            "请检查公式或引用，直接填写正确内容",
        )
        return None
    try:
        if f.kind == "code10":
            return _code10(value)
        if f.kind in NUMERIC_KINDS:
            v = parse_number(value)
            return None if v is None else (int(v) if f.kind == "int" and v.is_integer() else v)
        if f.kind == "period":
            return parse_period(value)
        if f.kind == "date":
            return parse_date(value)
        if f.kind in ENUM_KINDS:
            return enum_text(value)
        return cell_text(value)
    except (NumberError, ValueFormatError) as e:
        info[f"{f.code}__raw"] = cell_text(value)
        res.add(sheet, addr, e.rule, "error", value, field_error(f, e), e.fix)
        return None


def _code10(x: Cell) -> str | None:
    """A school code as text: 3708300001.0 → "3708300001", leading apostrophe and spaces dropped."""
    if x is None or isinstance(x, bool):
        return None if x is None else str(x)
    if isinstance(x, float):
        return str(int(x)) if x.is_integer() else repr(x)
    if isinstance(x, int):
        return str(x)
    s = "".join(unicodedata.normalize("NFKC", str(x)).split()).lstrip("'‘’`")
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    return s or None
