"""Table sheets (班级, 教师, 设施 ...): units, rows, totals checked against the classes, merged cells."""

from __future__ import annotations

import math
from typing import Any

from junheng import spec
from tasks.read.file_result import COLUMN_ABSENT, ENUM_KINDS, NUMERIC_KINDS, FileResult, field_error
from tasks.read.formulas import FormulaNoValue, no_value_finding
from tasks.read.grid import Cell, RawSheet, a1, blank, cell_text, col_letters, enum_text, fmt_number
from tasks.read.headers import HEADER_SCAN_ROWS, Header, find_header, parse_header
from tasks.read.labels import index_for, normalise_label, unit_of
from tasks.read.numbers import NumberError, is_excel_error, parse_number

NOTE_PREFIXES = ("注", "说明", "备注", "填表说明")
TOTAL_WORDS = ("合计", "总计", "小计")  # also as a suffix: 小学合计, 初中小计
GRAND_TOTALS = frozenset({"合计", "总计", "全校合计", "全校总计"})  # checked against all class rows
END_MARKS = ("以下空白", "以下无数据")  # the paper-form convention for "table ends here"
MONEY_CODE = "equipment_value_yuan"
DEFAULT_MONEY_UNIT = "万元"  # the unit printed in the template label


def read_table(s: spec.Sheet, raw: RawSheet, res: FileResult) -> None:
    rows = raw.rows
    frame = spec.FRAME_OF_SHEET[s.name]
    hr, score = find_header(s, rows)
    if score < 2:
        labels = "」「".join(f.label for f in s.fields[:4])
        res.add(
            raw.name,
            "",
            "sheet.no_header",
            "error",
            "",
            f"找不到表头（前 {HEADER_SCAN_ROWS} 行中没有「{labels}」等列名）",
            "请按模板保留表头行，不要删除或改写列名",
        )
        return
    h = parse_header(s, rows, hr)
    idx = index_for(s.name)
    data_start = h.row + 1
    units = {code: unit for code, (_, unit) in h.cols.items()}
    # A unit row directly below the header: every non-empty cell is a unit such as （人）.
    if data_start < len(rows):
        # Header cells merged down into this row are not units, so they are left out.
        cand = [v for v in rows[data_start] if not blank(v) and idx.match(v) is None]
        if cand and all(unit_of(v) is not None for v in cand):
            for code, (c, unit) in h.cols.items():
                cell = rows[data_start][c] if c < len(rows[data_start]) else ""
                if unit is None and unit_of(cell) is not None:
                    units[code] = unit_of(cell)
            data_start += 1

    _fill_merged_down(rows, raw.merged, data_start)
    header_row_no = h.row + 1
    if h.extras:
        listed = "、".join(f"「{t}」（{col_letters(c)}列）" for c, t in h.extras)
        res.add(
            raw.name,
            a1(h.row, h.extras[0][0]),
            "sheet.extra_column",
            "info",
            listed,
            f"有模板以外的列 {listed}，这些列不会被读取",
            "如无需要可删除这些列；需要上报的内容请填入模板中的对应列",
        )
    for c, text, code in h.duplicates:
        first = col_letters(h.cols[code][0])
        res.add(
            raw.name,
            a1(h.row, c),
            "sheet.duplicate_column",
            "warning",
            text,
            f"列「{text}」与 {first} 列重复，只读取 {first} 列",
            "请删除重复的列",
        )
    for f in s.fields:
        if f.code not in h.cols and f.required:
            res.add(
                raw.name,
                "",
                "sheet.missing_column",
                "error",
                "",
                f"表头（第 {header_row_no} 行）缺少必填列「{f.label}」",
                f"请按 {spec.TEMPLATE_VERSION} 模板补上“{f.label}”列并填写数据",
            )

    money_factor = 1.0
    if MONEY_CODE in h.cols:
        unit = units.get(MONEY_CODE)
        mc = h.cols[MONEY_CODE][0]
        if unit is None:
            unit = DEFAULT_MONEY_UNIT
            res.add(
                raw.name,
                a1(h.row, mc),
                "header.unit_assumed",
                "warning",
                str(rows[h.row][mc]),
                f"「教学仪器设备值」列没有写明单位，按模板单位“{DEFAULT_MONEY_UNIT}”读取",
                "请在表头写明单位，如“教学仪器设备值（万元）”或“教学仪器设备值（元）”",
            )
        if unit in spec.MONEY_UNITS:
            money_factor = spec.MONEY_UNITS[unit]
            units[MONEY_CODE] = unit
        else:
            money_factor = math.nan
            res.add(
                raw.name,
                a1(h.row, mc),
                "header.bad_unit",
                "error",
                unit,
                f"「教学仪器设备值」的单位“{unit}”无法识别",
                "请把单位写成“万元”或“元”",
            )

    factors: dict[str, float] = {MONEY_CODE: money_factor}
    for code, (c, _) in h.cols.items():
        unit = units.get(code)
        # Areas are read in m² as written; any other area unit (亩, 公顷) would give wrong numbers.
        if code.endswith("_m2") and unit is not None and unit != "平方米":
            factors[code] = math.nan
            res.add(
                raw.name,
                a1(h.row, c),
                "header.bad_unit",
                "error",
                unit,
                f"「{s.by_code(code).label}」的单位“{unit}”不是平方米",
                "请把面积换算成平方米填写，表头单位写“平方米”",
            )

    sheet_cols = {code: col_letters(c) for code, (c, _) in h.cols.items()}
    res.columns[(res.rf.file_id, raw.name)] = sheet_cols
    if raw.name != s.name:
        res.columns[(res.rf.file_id, s.name)] = sheet_cols

    plan = [(f, h.cols.get(f.code, (None, None))[0]) for f in s.fields]
    out = res.tables.setdefault(frame, [])
    numeric = [f.code for f in s.fields if f.kind in NUMERIC_KINDS]
    check_totals = s.name == spec.CLASSES.name
    since_subtotal: dict[str, float] = dict.fromkeys(numeric, 0.0)
    overall: dict[str, float] = dict.fromkeys(numeric, 0.0)

    for r in range(data_start, len(rows)):
        row = rows[r]
        filled = [v for v in row if not blank(v)]
        if not filled:
            continue  # empty, or borders only
        first = filled[0]
        if (
            len(filled) == 1
            and isinstance(first, str)
            and (first.strip().startswith(NOTE_PREFIXES) or any(m in first for m in END_MARKS))
        ):
            break  # notes below the table
        total_word = _total_word(row)
        values: list[Any] = [res.rf.file_id, raw.name, r + 1]
        raws: list[str | None] = []
        row_nums: dict[str, float] = {}
        for f, ci in plan:
            if ci is None:
                if f.kind in NUMERIC_KINDS:
                    row_nums[f.code] = math.nan
                    values.append(math.nan)
                else:
                    values.append(None)
                raws.append(COLUMN_ABSENT)
                continue
            cell = row[ci] if ci < len(row) else None
            bad: str | None = None
            if isinstance(cell, FormulaNoValue):
                no_value_finding(res, raw.name, a1(r, ci), f.label, cell)
                if f.kind in NUMERIC_KINDS:
                    row_nums[f.code] = math.nan
                    values.append(math.nan)
                else:
                    values.append(None)
                raws.append(str(cell))
                continue
            if f.kind in NUMERIC_KINDS:
                v, bad = _number_cell(f, cell, units.get(f.code), raw.name, r, ci, res)
                if f.code in factors and not math.isnan(v):
                    v *= factors[f.code]
                    if math.isnan(v):  # unknown unit, reported once on the header
                        bad = cell_text(cell)
                row_nums[f.code] = v
                values.append(v)
            elif isinstance(cell, str) and cell[:1] == "#" and is_excel_error(cell):
                bad = cell.strip()
                res.add(
                    raw.name,
                    a1(r, ci),
                    "value.excel_error",
                    "error",
                    bad,
                    f"「{f.label}」是 Excel 错误值「{bad}」",
                    "请检查公式或引用，直接填写正确内容",
                )
                values.append(None)
            elif f.kind in ENUM_KINDS:
                values.append(enum_text(cell))
            else:
                values.append(cell_text(cell))
            raws.append(bad)
        values.extend(raws)
        if total_word is not None:
            if check_totals:
                ref = overall if total_word in GRAND_TOTALS else since_subtotal
                _check_total(s, h, raw.name, r, total_word, row_nums, ref, res)
                since_subtotal = dict.fromkeys(numeric, 0.0)
            continue
        for code in numeric:
            v = row_nums[code]
            if not math.isnan(v):
                since_subtotal[code] += v
                overall[code] += v
        out.append(values)


def _fill_merged_down(rows: list[list[Cell]], merged: list[tuple[int, int, int, int]], start: int) -> None:
    """Give every row of a vertically merged data cell (e.g. 学段 over several classes) its value."""
    for r0, c0, r1, c1 in merged:
        if r1 <= r0 or r0 < start or r0 >= len(rows):
            continue
        top = rows[r0]
        for c in range(c0, c1 + 1):
            value = top[c] if c < len(top) else ""
            if blank(value):
                continue
            for r in range(r0 + 1, r1 + 1):
                while len(rows) <= r:
                    rows.append([])
                line = rows[r]
                if len(line) <= c:
                    line.extend([""] * (c + 1 - len(line)))
                if blank(line[c]):
                    line[c] = value


def _total_word(row: list[Cell]) -> str | None:
    """合计/总计/小计 (or 小学合计 ...) when a text cell of the row says so: a total, not a class."""
    for v in row:
        # "计" is in every total word: a cheap test before normalising.
        if isinstance(v, str) and "计" in v and len(v) <= 12:
            w = normalise_label(v)
            if w.endswith(TOTAL_WORDS) and len(w) <= 6:
                return w
    return None


def _check_total(
    s: spec.Sheet,
    h: Header,
    sheet: str,
    r: int,
    word: str,
    got: dict[str, float],
    expected: dict[str, float],
    res: FileResult,
) -> None:
    for code, v in got.items():
        if math.isnan(v):
            continue
        want = expected.get(code, 0.0)
        if abs(v - want) > 1e-6:
            label = s.by_code(code).label
            res.add(
                sheet,
                a1(r, h.cols[code][0]),
                "total.mismatch",
                "error",
                fmt_number(v),
                f"{word}行的「{label}」是 {fmt_number(v)}，但上面各班之和是 {fmt_number(want)}",
                f"请核对各班数据，把{word}改为 {fmt_number(want)}（或删除{word}行）",
            )


def _number_cell(
    f: spec.Field, cell: Cell, unit: str | None, sheet: str, r: int, c: int, res: FileResult
) -> tuple[float, str | None]:
    """(value, raw text when it could not be read); NaN when empty or unreadable."""
    if cell is None or cell == "":
        return math.nan, None
    try:
        v = parse_number(cell, unit)
    except NumberError as e:
        res.add(sheet, a1(r, c), e.rule, "error", cell, field_error(f, e), e.fix)
        return math.nan, e.text or str(cell)
    return (math.nan if v is None else v), None
