"""Write the blank JH-2026.1 school return and filled copies of it, driven entirely by junheng.spec."""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from junheng import spec

TITLE = "XX县义务教育学校优质均衡发展监测报表"
VERSION_LINE = f"模板版本：{spec.TEMPLATE_VERSION}"
README_SHEET = "说明"
# The template's own date (document properties): a constant, so equal returns are equal bytes.
TEMPLATE_DATE = datetime(2026, 1, 1)
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)
# Data validation and unlocked formats reach this row on table sheets (more if a return has more rows).
DATA_LAST_ROW = 500
# Key/value sheet: labels in A, values in B, from this row on (return-template.md).
INFO_FIRST_ROW = 3

# Keys of the dict given to write_return: one per sheet, as spec.FRAME_OF_SHEET names them.
RETURN_KEYS: tuple[str, ...] = tuple(spec.FRAME_OF_SHEET[s.name] for s in spec.SHEETS)

_UNLOCKED = Protection(locked=False)
_LOCKED = Protection(locked=True)
_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_NOTE_FONT = Font(color="FF666666", size=9)
_HEADER_FILL = PatternFill("solid", fgColor="FFDDEBF7")
_LABEL_FILL = PatternFill("solid", fgColor="FFF2F2F2")
_THIN = Side(style="thin", color="FF999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")

_KIND_TEXT = {
    "text": "文本",
    "int": "整数，不小于0",
    "number": "数字，不小于0",
    "code10": "10位数字（按文本填写，保留前导0）",
    "period": "年月（YYYY-MM）",
    "date": "日期，如 2026-10-08",
}


def _number_format(f: spec.Field) -> str:
    """Text kinds are stored as text so Excel keeps leading zeros and does not turn 2026-10 into a date."""
    if f.kind in ("code10", "period", "text"):
        return "@"
    if f.kind == "int":
        return "0"
    if f.kind == "date":
        return "yyyy-mm-dd"
    return "General"


def _describe(f: spec.Field) -> str:
    if f.choices:
        return "可选：" + " / ".join(f.choices)
    return _KIND_TEXT.get(f.kind, f.kind)


def _validation(f: spec.Field) -> DataValidation | None:
    """The Excel data validation for one field (Chinese prompt and error), or None for free text."""
    if f.choices:
        dv = DataValidation(type="list", formula1='"' + ",".join(f.choices) + '"', allow_blank=True)
        dv.error = f"“{f.label}”只能从下拉列表中选择：{'、'.join(f.choices)}"
    elif f.kind == "int":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv.error = f"“{f.label}”必须是不小于0的整数，不要带单位或文字"
    elif f.kind == "number":
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv.error = f"“{f.label}”必须是不小于0的数字，不要带单位或文字"
    elif f.kind == "code10":
        dv = DataValidation(type="textLength", operator="equal", formula1="10", allow_blank=True)
        dv.error = f"“{f.label}”必须是10位数字"
    else:
        return None
    dv.errorTitle = "输入有误"
    dv.showErrorMessage = True
    return dv


def _width(text: str) -> float:
    """Approximate Excel width of a label: CJK characters take two units."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2


def _protect(ws: Worksheet) -> None:
    """Lock the sheet without a password; unlocked value cells stay editable, columns may be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _readme(ws: Worksheet) -> None:
    general = [
        f"本工作簿为 {TITLE}（{VERSION_LINE}）。每所学校（含教学点）每个报表期填报一份，"
        "文件名建议为“学校标识码_学校名称.xlsx”。",
        "请勿修改工作表名称、表头文字和列的顺序，请勿增删工作表；只在白色（未锁定）单元格中填写。",
        "基本信息：B列逐项填写学校情况。学校标识码为10位国家学校标识码，按文本填写，不要丢失前导0。",
        "班级学生：每个班级一行（学段、年级、班级、学生数、其中随迁子女数、其中残疾学生数），"
        "学校各学段在校生数按班级行相加得出；合计行可不填，填写时仅作核对。",
        "教师：每个学段一行，各“其中”人数不得大于专任教师数，“其中骨干教师数”不得大于本年度交流轮岗教师数。",
        "办学条件：小学、初中各填一行。九年一贯制、十二年一贯制学校各学段共用的场地、设备（完全中学为初中与高中"
        "共用部分），填在学段为“共用”的一行，不要重复填入学段行；系统按折算在校生数分摊"
        "（1名初中生折合1.1名小学生，1名高中生折合1.32名小学生）。",
        "专用教室：每间音乐、美术专用教室一行，填写使用面积。",
        "质量监测（选填）：每个学段一行，填写体质健康测试和视力筛查人数。",
        "学段：每一行都必须写明学段（小学 / 初中 / 共用），六三制、五四制学校都按实际学段填写，"
        "系统不根据年级推断学段。",
        "单位：面积单位为平方米；教学仪器设备值单位为万元（如 35.6 万元填 35.6）。",
        "教学点：“是否教学点”填“是”的，必须填写“所属学校标识码”（所属学校的10位标识码）。",
        "十二年一贯制学校和完全中学必须填写“高中在校生数”，用于分摊共用资源。",
        "报表期：按“年-月”填写，如 2026-10；填报日期填写实际填报的日期。",
        "数字：人数、面积、金额必须填写数字，不要带单位或文字（如“45人”“3.5万”），为零时填 0，不要填“—”“/”或留作空格。",
    ]
    ws["A1"] = f"填报说明（{VERSION_LINE}）"
    ws["A1"].font = _TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
    row = 3
    for i, text in enumerate(general, start=1):
        ws.cell(row, 1, i).alignment = _WRAP_TOP
        c = ws.cell(row, 2, text)
        c.alignment = _WRAP_TOP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 60)
        row += 1
    row += 1
    for col, head in enumerate(("工作表", "项目", "是否必填", "填写要求", "说明"), start=1):
        c = ws.cell(row, col, head)
        c.font = _BOLD
        c.fill = _HEADER_FILL
    for sheet in spec.SHEETS:
        for f in sheet.fields:
            row += 1
            values = (sheet.name, f.label, "必填" if f.required else "选填", _describe(f), f.note)
            for col, v in enumerate(values, start=1):
                ws.cell(row, col, v).alignment = _WRAP_TOP
    for letter, width in zip("ABCDE", (12, 34, 10, 34, 40), strict=True):
        ws.column_dimensions[letter].width = width
    _protect(ws)


def _info_sheet(ws: Worksheet, values: Mapping[str, Any]) -> None:
    ws["A1"] = TITLE
    ws["A1"].font = _TITLE_FONT
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells("A1:C1")
    ws["A2"] = VERSION_LINE
    for i, f in enumerate(spec.INFO.fields):
        r = INFO_FIRST_ROW + i
        label = ws.cell(r, 1, f.label)
        label.font = _BOLD
        label.fill = _LABEL_FILL
        label.border = _BORDER
        value = _set(ws, r, 2, values.get(f.code))
        value.protection = _UNLOCKED
        if not isinstance(value.value, date):  # a date keeps the date format openpyxl gave it
            value.number_format = _number_format(f)
        value.border = _BORDER
        note = ("必填" if f.required else "选填") + "；" + _describe(f) + (f"；{f.note}" if f.note else "")
        ws.cell(r, 3, note).font = _NOTE_FONT
        dv = _validation(f)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(value.coordinate)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 50
    _protect(ws)


def _table_sheet(ws: Worksheet, sheet: spec.Sheet, rows: Sequence[Mapping[str, Any]]) -> None:
    last = max(DATA_LAST_ROW, len(rows) + 1)
    for j, f in enumerate(sheet.fields, start=1):
        head = ws.cell(1, j, f.label)
        head.font = _BOLD
        head.fill = _HEADER_FILL
        head.alignment = _WRAP_CENTER
        head.border = _BORDER
        head.protection = _LOCKED
        letter = get_column_letter(j)
        # A column style unlocks (and formats) every empty data cell without writing 500 cells.
        dim = ws.column_dimensions[letter]
        dim.width = min(max(_width(f.label) * 0.6, 10), 24)
        dim.protection = _UNLOCKED
        dim.number_format = _number_format(f)
        dv = _validation(f)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "A2"
    codes = sheet.codes
    formats = [_number_format(f) for f in sheet.fields]
    for i, row in enumerate(rows, start=2):
        for j, code in enumerate(codes, start=1):
            if code in row and row[code] is not None:
                c = _set(ws, i, j, row[code])
                c.protection = _UNLOCKED
                if not isinstance(c.value, date):
                    c.number_format = formats[j - 1]
    _protect(ws)


def _set(ws: Worksheet, row: int, col: int, v: Any) -> Any:
    """Write a literal: text starting with "=" stays text, never a formula."""
    c = ws.cell(row, col, _literal(v))
    if isinstance(v, str) and v.startswith("="):
        c.data_type = "s"
    return c


def _literal(v: Any) -> Any:
    """Values are written as given (text stays text, numbers numbers); only plain types are accepted."""
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"Excel 不能保存非有限数值：{v!r}")
    if v is None or isinstance(v, str | int | float | date | datetime):
        return v
    raise TypeError(f"不能写入单元格的值：{v!r}（{type(v).__name__}）")


def _check_codes(ret: Mapping[str, Any]) -> None:
    """Fixture authors get told at once when a key or code is misspelt."""
    unknown = set(ret) - set(RETURN_KEYS)
    if unknown:
        raise ValueError(f"报表数据有未知的键：{sorted(unknown)}；可用的键：{list(RETURN_KEYS)}")
    for sheet in spec.SHEETS:
        given = ret.get(spec.FRAME_OF_SHEET[sheet.name]) or ()
        for row in [given] if sheet.form == "keyvalue" else given:
            bad = set(row) - set(sheet.codes)
            if bad:
                raise ValueError(f"工作表“{sheet.name}”没有这些代码：{sorted(bad)}；可用代码：{list(sheet.codes)}")


def _build(ret: Mapping[str, Any]) -> Workbook:
    """The whole workbook through openpyxl (the reference path; see _fill_blank for the fast one)."""
    info = ret.get("info") or {}
    wb = Workbook()
    wb.properties.creator = "junheng"
    wb.properties.created = wb.properties.modified = TEMPLATE_DATE
    readme = wb.active
    assert readme is not None
    readme.title = README_SHEET
    _readme(readme)
    _info_sheet(wb.create_sheet(spec.INFO.name), info)
    for sheet in spec.TABLE_SHEETS:
        rows: Iterable[Mapping[str, Any]] = ret.get(spec.FRAME_OF_SHEET[sheet.name]) or ()
        _table_sheet(wb.create_sheet(sheet.name), sheet, list(rows))
    # Open on 基本信息, where filling starts.
    wb.active = 1
    return wb


def write_template(path: Path, *, period: str | None = None) -> Path:
    """Write the blank template (报表期 pre-filled when a period is given) and return its path."""
    return write_return(path, {"info": {"period": period}} if period else {})


def write_return(path: Path, ret: Mapping[str, Any]) -> Path:
    """Write a filled return: the template with the literal values of ``ret``.

    ``ret`` is {"info": {code: value}, "classes": [{code: value}, ...], "teachers": [...],
    "facilities": [...], "rooms": [...], "quality": [...]} with codes from junheng.spec; any key
    may be left out. Values are written exactly as given, so fixtures can hold text like "45人"
    or a school code stored as a number. Unknown keys or codes raise ValueError.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(return_bytes(ret))
    return path


def return_bytes(ret: Mapping[str, Any]) -> bytes:
    """The .xlsx bytes of a filled return (see write_return)."""
    _check_codes(ret)
    fast = _fill_blank(ret)
    if fast is not None:
        return fast
    buf = io.BytesIO()
    _build(ret).save(buf)
    return buf.getvalue()


# --- Fast path -------------------------------------------------------------------------------
# openpyxl needs ~30 ms to build and save the styled template; benchmarks write thousands of
# returns. So the blank template is built once with openpyxl and its sheet XML is filled in
# directly (inline strings, the styles openpyxl chose), about 10x faster. Anything the fast
# path does not handle (a date outside a date field, an illegal character, more rows than the
# validated range) falls back to openpyxl, so both paths give the same workbook content.

_CELL_RE = re.compile(r'<c r="B(\d+)" s="(\d+)" t="n" />')
_COL_RE = re.compile(r'<col [^>]*?style="(\d+)" min="(\d+)" max="(\d+)" />')
_DIM_RE = re.compile(r'<dimension ref="[^"]*" />')


@dataclass(frozen=True)
class _Blank:
    parts: tuple[tuple[str, bytes], ...]  # zip members in order
    sheet_part: dict[str, str]  # sheet name -> zip member
    info_cells: dict[str, tuple[str, str]]  # code -> (empty cell element, style id)
    col_styles: dict[str, tuple[str, ...]]  # table sheet name -> style id per column


@lru_cache(maxsize=1)
def _blank() -> _Blank:
    buf = io.BytesIO()
    _build({}).save(buf)
    with zipfile.ZipFile(buf) as z:
        parts = tuple((n, z.read(n)) for n in z.namelist())
    # openpyxl stamps "modified" with the time of saving; pin it so equal returns are equal bytes.
    stamp = TEMPLATE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    modified = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*")
    parts = tuple((n, modified.sub(rb"\g<1>" + stamp, b) if n.endswith("core.xml") else b) for n, b in parts)
    # openpyxl names worksheet parts by sheet position; check rather than trust it.
    sheet_names = [README_SHEET, *(s.name for s in spec.SHEETS)]
    sheet_part = {name: f"xl/worksheets/sheet{i}.xml" for i, name in enumerate(sheet_names, start=1)}
    xml = {n: b.decode("utf-8") for n, b in parts if n.startswith("xl/worksheets/")}
    for name, part in sheet_part.items():
        first = spec.SHEETS_BY_NAME[name].fields[0].label if name in spec.SHEETS_BY_NAME else "填报说明"
        if first not in xml[part]:
            raise RuntimeError(f"模板结构与预期不符：{part} 不是工作表“{name}”")
    info_xml = xml[sheet_part[spec.INFO.name]]
    by_row = {int(m.group(1)): (m.group(0), m.group(2)) for m in _CELL_RE.finditer(info_xml)}
    info_cells = {f.code: by_row[INFO_FIRST_ROW + i] for i, f in enumerate(spec.INFO.fields)}
    col_styles: dict[str, tuple[str, ...]] = {}
    for sheet in spec.TABLE_SHEETS:
        styles: dict[int, str] = {}
        for m in _COL_RE.finditer(xml[sheet_part[sheet.name]]):
            for col in range(int(m.group(2)), int(m.group(3)) + 1):
                styles[col] = m.group(1)
        col_styles[sheet.name] = tuple(styles[j] for j in range(1, len(sheet.fields) + 1))
    return _Blank(parts, sheet_part, info_cells, col_styles)


def _cell_xml(ref: str, style: str, v: Any, kind: str) -> str | None:
    """One <c> element, or None when the fast path cannot write this value faithfully."""
    v = _literal(v)
    if v is None or v == "":
        return f'<c r="{ref}" s="{style}" t="n" />'
    if isinstance(v, str):
        if ILLEGAL_CHARACTERS_RE.search(v):
            return None  # openpyxl refuses it with its own error
        space = ' xml:space="preserve"' if v != v.strip() else ""
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{escape(v)}</t></is></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, date):
        if kind != "date":
            return None  # needs a date number format the blank does not have here
        return f'<c r="{ref}" s="{style}" t="n"><v>{to_excel(v)}</v></c>'
    return f'<c r="{ref}" s="{style}" t="n"><v>{v}</v></c>'


def _fill_blank(ret: Mapping[str, Any]) -> bytes | None:
    blank = _blank()
    new: dict[str, str] = {}
    info = ret.get("info") or {}
    if info:
        part = blank.sheet_part[spec.INFO.name]
        text = dict(blank.parts)[part].decode("utf-8")
        for f in spec.INFO.fields:
            if info.get(f.code) is None:
                continue
            empty, style = blank.info_cells[f.code]
            cell = _cell_xml(empty.split('"')[1], style, info[f.code], f.kind)
            if cell is None:
                return None
            text = text.replace(empty, cell, 1)
        new[part] = text
    for sheet in spec.TABLE_SHEETS:
        rows = list(ret.get(spec.FRAME_OF_SHEET[sheet.name]) or ())
        if not rows:
            continue
        if len(rows) > DATA_LAST_ROW - 1:
            return None  # the validation ranges must grow; openpyxl does that
        styles = blank.col_styles[sheet.name]
        letters = [get_column_letter(j) for j in range(1, len(sheet.fields) + 1)]
        out: list[str] = []
        for i, row in enumerate(rows, start=2):
            cells: list[str] = []
            for j, f in enumerate(sheet.fields):
                if row.get(f.code) is None:
                    continue
                cell = _cell_xml(f"{letters[j]}{i}", styles[j], row[f.code], f.kind)
                if cell is None:
                    return None
                cells.append(cell)
            out.append(f'<row r="{i}">{"".join(cells)}</row>' if cells else "")
        part = blank.sheet_part[sheet.name]
        text = dict(blank.parts)[part].decode("utf-8")
        text = text.replace("</sheetData>", "".join(out) + "</sheetData>", 1)
        text = _DIM_RE.sub(f'<dimension ref="A1:{letters[-1]}{len(rows) + 1}" />', text, count=1)
        new[part] = text
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in blank.parts:
            # A fixed member date keeps the bytes (and so the archive hash) stable for the same return.
            member = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(member, new[name].encode("utf-8") if name in new else data)
    return buf.getvalue()
