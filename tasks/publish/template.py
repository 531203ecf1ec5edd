"""Write the blank JH-2026.1 school return and filled copies of it, driven entirely by junheng.spec."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from junheng import spec
from tasks.publish.files import write_atomic
from tasks.publish.xlsx import WORKBOOK_OPTIONS, print_setup, write_literal

TITLE = "XX县义务教育学校优质均衡发展监测报表"
VERSION_LINE = f"模板版本：{spec.TEMPLATE_VERSION}"
README_SHEET = "说明"
# The template's own date (document properties): a constant, so equal returns are equal bytes.
TEMPLATE_DATE = datetime(2026, 1, 1)
# Data validation and unlocked formats reach this row on table sheets (more if a return has more rows).
DATA_LAST_ROW = 500
# Key/value sheet: labels in A, values in B, from this row on (return-template.md).
INFO_FIRST_ROW = 3

# Keys of the dict given to write_return: one per sheet, as spec.FRAME_OF_SHEET names them.
RETURN_KEYS: tuple[str, ...] = tuple(spec.FRAME_OF_SHEET[s.name] for s in spec.SHEETS)

# Locked sheet without a password; columns and rows may still be resized.
_PROTECT = {"format_columns": True, "format_rows": True}

_KIND_TEXT = {
    "text": "文本",
    "int": "整数，不小于0",
    "number": "数字，不小于0",
    "code10": "10位数字（按文本填写，保留前导0）",
    "period": "年月（YYYY-MM）",
    "date": "日期，如 2026-10-08",
}

README_LINES = (
    f"本工作簿为 {TITLE}（{VERSION_LINE}）。每所学校（含教学点）每个报表期填报一份，"
    "文件名建议为“学校标识码_学校名称.xlsx”。",
    "请勿修改工作表名称、表头文字和列的顺序，请勿增删工作表；只在白色（未锁定）单元格中填写。",
    "基本信息：B列逐项填写学校情况。学校标识码为10位国家学校标识码，按文本填写，不要丢失前导0。",
    "班级学生：每个班级一行（学段、年级、班级、学生数、其中随迁子女数、其中残疾学生数），"
    "学校各学段在校生数按班级行相加得出；合计行可不填，填写时仅作核对。",
    "教师：每个学段一行，各“其中”人数不得大于专任教师数，“其中骨干教师数”不得大于本年度交流轮岗教师数。",
    "高于规定学历教师数：小学填专科及以上学历（专科、本科、研究生毕业）的专任教师人数，"
    "初中填本科及以上学历（本科、研究生毕业）的专任教师人数。",
    "办学条件：小学、初中各填一行。九年一贯制、十二年一贯制学校各学段共用的场地、设备（完全中学为初中与高中"
    "共用部分），填在学段为“共用”的一行，不要重复填入学段行；系统按折算在校生数分摊"
    "（1名初中生折合1.1名小学生，1名高中生折合1.32名小学生）。",
    "专用教室：每间音乐、美术专用教室一行，填写使用面积。",
    "质量监测（选填）：每个学段一行，填写体质健康测试和视力筛查人数。",
    "学段：每一行都必须写明学段（小学 / 初中 / 共用），六三制、五四制学校都按实际学段填写，系统不根据年级推断学段。",
    "单位：面积单位为平方米；教学仪器设备值单位为万元（如 35.6 万元填 35.6）。",
    "教学点：“是否教学点”填“是”的，必须填写“所属学校标识码”（所属学校的10位标识码）。",
    "十二年一贯制学校和完全中学必须填写“高中在校生数”，用于分摊共用资源。",
    "报表期：按“年-月”填写，如 2026-10；填报日期填写实际填报的日期。",
    "数字：人数、面积、金额必须填写数字，不要带单位或文字（如“45人”“3.5万”），为零时填 0，不要填“—”“/”或留作空格。",
)


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


def _validation(f: spec.Field) -> dict[str, Any] | None:
    """The Excel data validation for one field (Chinese error message), or None for free text."""
    if f.choices:
        dv: dict[str, Any] = {"validate": "list", "source": list(f.choices)}
        error = f"“{f.label}”只能从下拉列表中选择：{'、'.join(f.choices)}"
    elif f.kind in ("int", "number"):
        dv = {"validate": "integer" if f.kind == "int" else "decimal", "criteria": ">=", "value": 0}
        error = f"“{f.label}”必须是不小于0的{'整数' if f.kind == 'int' else '数字'}，不要带单位或文字"
    elif f.kind == "code10":
        dv = {"validate": "length", "criteria": "==", "value": 10}
        error = f"“{f.label}”必须是10位数字"
    else:
        return None
    return {**dv, "ignore_blank": True, "error_title": "输入有误", "error_message": error}


def _width(text: str) -> float:
    """Approximate Excel width of a label: CJK characters take two units."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2


class _Styles:
    """The template's cell formats, made once per workbook."""

    def __init__(self, wb: Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.title_center = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
        self.bold = wb.add_format({"bold": True})
        border = {"border": 1, "border_color": "#999999"}
        self.header = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center", "valign": "vcenter", **border}
        )
        self.readme_header = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
        self.label = wb.add_format({"bold": True, "bg_color": "#F2F2F2", **border})
        self.note = wb.add_format({"font_color": "#666666", "font_size": 9})
        self.wrap_top = wb.add_format({"text_wrap": True, "valign": "top"})
        self._wb = wb
        self._cells: dict[tuple[str, bool], Format] = {}

    def cell(self, num_format: str, *, border: bool = False) -> Format:
        """An unlocked value cell in the given number format."""
        key = (num_format, border)
        if key not in self._cells:
            props: dict[str, Any] = {"locked": False, "num_format": num_format}
            if border:
                props.update(border=1, border_color="#999999")
            self._cells[key] = self._wb.add_format(props)
        return self._cells[key]


def _readme(ws: Worksheet, st: _Styles) -> None:
    ws.merge_range(0, 0, 0, 4, f"填报说明（{VERSION_LINE}）", st.title)
    row = 2
    for i, text in enumerate(README_LINES, start=1):
        ws.write_number(row, 0, i, st.wrap_top)
        ws.merge_range(row, 1, row, 4, text, st.wrap_top)
        ws.set_row(row, 15 * (1 + len(text) // 60))
        row += 1
    row += 1
    for col, head in enumerate(("工作表", "项目", "是否必填", "填写要求", "说明")):
        ws.write_string(row, col, head, st.readme_header)
    for sheet in spec.SHEETS:
        for f in sheet.fields:
            row += 1
            values = (sheet.name, f.label, "必填" if f.required else "选填", _describe(f), f.note)
            for col, v in enumerate(values):
                ws.write_string(row, col, v, st.wrap_top) if v else ws.write_blank(row, col, None, st.wrap_top)
    for col, width in enumerate((12, 34, 10, 34, 40)):
        ws.set_column(col, col, width)
    print_setup(ws, header=TITLE, title=README_SHEET, landscape=False, repeat_row=None)
    ws.protect("", _PROTECT)


def _info_sheet(ws: Worksheet, st: _Styles, values: Mapping[str, Any]) -> None:
    ws.merge_range(0, 0, 0, 2, TITLE, st.title_center)
    ws.write_string(1, 0, VERSION_LINE)
    date_fmt = st.cell("yyyy-mm-dd", border=True)
    for i, f in enumerate(spec.INFO.fields):
        r = INFO_FIRST_ROW - 1 + i
        ws.write_string(r, 0, f.label, st.label)
        write_literal(ws, r, 1, values.get(f.code), st.cell(_number_format(f), border=True), date_fmt)
        note = ("必填" if f.required else "选填") + "；" + _describe(f) + (f"；{f.note}" if f.note else "")
        ws.write_string(r, 2, note, st.note)
        dv = _validation(f)
        if dv is not None:
            ws.data_validation(r, 1, r, 1, dv)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 50)
    print_setup(ws, header=TITLE, title=spec.INFO.name, landscape=False, repeat_row=None)
    ws.protect("", _PROTECT)


def _table_sheet(ws: Worksheet, st: _Styles, sheet: spec.Sheet, rows: Sequence[Mapping[str, Any]]) -> None:
    last = max(DATA_LAST_ROW, len(rows) + 1) - 1  # zero-based
    formats = [st.cell(_number_format(f)) for f in sheet.fields]
    date_fmt = st.cell("yyyy-mm-dd")
    for j, f in enumerate(sheet.fields):
        ws.write_string(0, j, f.label, st.header)
        # A column format unlocks (and formats) every empty data cell without writing 500 cells.
        ws.set_column(j, j, min(max(_width(f.label) * 0.6, 10), 24), formats[j])
        dv = _validation(f)
        if dv is not None:
            ws.data_validation(1, j, last, j, dv)
    ws.set_row(0, 45)
    ws.freeze_panes(1, 0)
    codes = sheet.codes
    for i, row in enumerate(rows, start=1):
        for j, code in enumerate(codes):
            if row.get(code) is not None:
                write_literal(ws, i, j, row[code], formats[j], date_fmt)
    print_setup(ws, header=TITLE, title=sheet.name)
    ws.protect("", _PROTECT)


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
    return write_atomic(Path(path), return_bytes(ret))


def return_bytes(ret: Mapping[str, Any]) -> bytes:
    """The .xlsx bytes of a filled return (see write_return)."""
    _check_codes(ret)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, WORKBOOK_OPTIONS)
    wb.set_properties({"author": "junheng", "created": TEMPLATE_DATE})
    st = _Styles(wb)
    _readme(wb.add_worksheet(README_SHEET), st)
    info = wb.add_worksheet(spec.INFO.name)
    _info_sheet(info, st, ret.get("info") or {})
    for sheet in spec.TABLE_SHEETS:
        rows = list(ret.get(spec.FRAME_OF_SHEET[sheet.name]) or ())
        _table_sheet(wb.add_worksheet(sheet.name), st, sheet, rows)
    info.activate()  # filling starts on 基本信息
    wb.close()
    return buf.getvalue()
