"""The schools' pages in the county workbook: every school on one printable sheet, each from a new page.

A sheet per school made the workbook slow to write and to open at county scale (thousands of tabs). Here
the schools follow one another on one sheet (学校明细): the table header is frozen and repeated on every
printed page, a page break comes before each school, and the 学校 column carries the school on every row
of its page, so filtering it shows one school's page and filtering 达标 lists the rows not met with their
schools. Excel keeps at most 1,023 manual page breaks a sheet, so a county of more than
SCHOOLS_PER_SHEET schools gets several such sheets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from tasks.publish.cells import as_flag, num, safe_text, yes_no
from tasks.publish.county_report.book import BELOW_FILL, FLOOR_FILL
from tasks.publish.county_report.data import CountyData
from tasks.publish.county_report.pages import SchoolPage
from tasks.publish.county_report.text import FMT_PCT, SECTION_ZH, VERDICT_ZH, ind_label, need_format, value_format
from tasks.publish.xlsx import HEADER, Formats, display_width, print_setup

SCHOOL_SHEET = "学校明细"
SCHOOLS_PER_SHEET = 1000
SCHOOL_HEADERS = (
    *("学段", "指标", "本期值", "标准", "达标", "达到标准需增加", "达到85%需增加", "单位"),
    *("上期值", "变动率", "差异贡献占比", "改进方案", "学校"),
)
SCHOOL_WIDTHS = (6, 36, 10, 9, 6, 12, 12, 7, 10, 9, 11, 10, 32)
# The page spans 学段 … 改进方案 and prints as the sheet of one school did; 学校, the filter column, stays on screen.
PAGE_COLUMNS = len(SCHOOL_HEADERS) - 1
_PAGE_CHARS = sum(SCHOOL_WIDTHS[:PAGE_COLUMNS])
_TOP = {"valign": "top"}


def school_sheet_names(n_schools: int) -> list[str]:
    """One name per sheet of at most SCHOOLS_PER_SHEET schools: 学校明细, or 学校明细1-1000, 学校明细1001-2000 …"""
    if n_schools <= SCHOOLS_PER_SHEET:
        return [SCHOOL_SHEET] if n_schools else []
    return [
        f"{SCHOOL_SHEET}{i + 1}-{min(i + SCHOOLS_PER_SHEET, n_schools)}" for i in range(0, n_schools, SCHOOLS_PER_SHEET)
    ]


class _Styles:
    """The formats of the school pages, made once for the workbook (Formats keeps one per property set)."""

    def __init__(self, fmts: Formats) -> None:
        self.fmts = fmts
        self.text = fmts(**_TOP)
        self.wrap = fmts(**_TOP, text_wrap=True)
        self.school = fmts(**_TOP, font_color="#555555")
        self.title = fmts(bold=True, font_size=15)
        self.note = fmts(**_TOP, text_wrap=True, font_color="#555555")
        self.page_title = fmts(**_TOP, bold=True, font_size=13)
        self.bold = fmts(**_TOP, bold=True)
        self.bold_wrap = fmts(**_TOP, bold=True, text_wrap=True)
        self.header = fmts(**HEADER)
        self.pct = fmts(**_TOP, num_format=FMT_PCT)
        self.numbers: dict[tuple[str, str | None], Format] = {}

    def number(self, fmt: str, fill: str | None = None) -> Format:
        made = self.numbers.get((fmt, fill))
        if made is None:
            made = self.numbers[fmt, fill] = self.fmts(**_TOP, num_format=fmt, **({"bg_color": fill} if fill else {}))
        return made


@cache
def _label(code: str) -> tuple[str, int]:
    """An indicator's label and the lines it takes wrapped in the 指标 column."""
    label = ind_label(code)
    return label, math.ceil(0.9 * display_width(label) / (SCHOOL_WIDTHS[1] - 1))


def _lines(text: str, chars: float) -> int:
    return max(1, math.ceil(display_width(text) / max(20.0, chars)))


class _SchoolSheet:
    """One sheet of school pages, written top to bottom; ``row`` is the next free row (0-based)."""

    def __init__(self, wb: Workbook, st: _Styles, name: str) -> None:
        self.ws: Worksheet = wb.add_worksheet(name)
        self.st = st
        self.name = name
        self.row = 0
        self.last = 0  # the last row written
        self.breaks: list[int] = []

    def para(self, text: str, school: str, fmt: Format, wrap_fmt: Format) -> None:
        """A line of text across the page. Text that fits one line is written plain (it shows across the
        empty cells to its right); longer text is merged across the page and wrapped."""
        ws, row, text = self.ws, self.row, safe_text(text)
        if display_width(text) <= _PAGE_CHARS - 4:
            ws.write_string(row, 0, text, fmt)
        else:
            lines = _lines(text, _PAGE_CHARS)
            ws.set_row(row, 16 * lines + 2)
            ws.merge_range(row, 0, row, PAGE_COLUMNS - 1, text, wrap_fmt)
        ws.write_string(row, PAGE_COLUMNS, school, self.st.school)
        self.row += 1

    def header(self, first: int, last: int, total: int) -> int:
        """The sheet's title, a note, and the table header (frozen, repeated on each printed page); its row."""
        ws, st = self.ws, self.st
        part = f"（第 {first}–{last} 所，共 {total} 所）" if total > SCHOOLS_PER_SHEET else f"（共 {total} 所）"
        ws.set_row(0, 24)
        ws.write_string(0, 0, safe_text(f"各校一页：指标、达标差距、变动、差异贡献和问题{part}"), st.title)
        note = (
            "每所学校从新的一页开始打印；在“学校”列筛选一所学校，只看这一所的一页；在“达标”列筛选“否”，列出各校未达标的指标。"
            "浅红：低于标准；深红：低于标准的85%。"
        )
        ws.set_row(1, 16 * _lines(note, _PAGE_CHARS) + 2)
        ws.merge_range(1, 0, 1, PAGE_COLUMNS - 1, note, st.note)
        top = 3
        lines = 1
        for j, (h, w) in enumerate(zip(SCHOOL_HEADERS, SCHOOL_WIDTHS, strict=True)):
            ws.write_string(top, j, h, st.header)
            ws.set_column(j, j, w)
            lines = max(lines, math.ceil(display_width(h) / max(1, w - 1)))
        ws.set_row(top, 15 * lines + 5)
        self.row = top + 1
        return top

    def page(self, data: CountyData, page: SchoolPage) -> None:
        """One school's page: its verdict per section, its indicators (gaps, change, contribution, plan step),
        then its findings."""
        ws, st = self.ws, self.st
        school = safe_text(f"{page.name}（{page.code}）")
        if self.row > 4:  # the first school starts on the first page, under the table header
            self.breaks.append(self.row)
        ws.set_row(self.row, 22)
        ws.write_string(self.row, 0, safe_text(f"{page.name}（{page.code}） {data.period}"), st.page_title)
        ws.write_string(self.row, PAGE_COLUMNS, school, st.school)
        self.row += 1
        verdicts = "；".join(f"{SECTION_ZH[s]}：学校达标规则 {VERDICT_ZH[page.passes.get(s)]}" for s in page.sections)
        self.para(verdicts, school, st.bold, st.bold_wrap)
        write_string, write_number, number = ws.write_string, ws.write_number, st.number
        for sec, items in page.sections.items():
            sec_zh = SECTION_ZH[sec]
            for r in items:
                row, code = self.row, str(r["code"])
                meets = as_flag(r["meets"])
                vf, nf = value_format(code), need_format(code)
                label, lines = _label(code)
                write_string(row, 0, sec_zh, st.text)
                write_string(row, 1, label, st.wrap)
                if lines > 1:
                    ws.set_row(row, 14 * lines + 4)
                fill = (FLOOR_FILL if r["below_floor"] else BELOW_FILL) if meets is False else None
                cells: tuple[tuple[int, object, Format], ...] = (
                    (2, r["value"], number(vf, fill)),
                    (3, r["threshold"], number(vf)),
                    (5, r["need"], number(nf)),
                    (6, r["need_floor"], number(nf)),
                    (8, r["prev"], number(vf)),
                    (9, r["change"], st.pct),
                    (10, r["share"], st.pct),
                )
                for col, v, fmt in cells:
                    x = num(v)
                    if x is not None:
                        write_number(row, col, x, fmt)
                    elif col == 2 and fill:  # a missing value that fails keeps its fill
                        ws.write_blank(row, col, None, fmt)
                write_string(row, 4, yes_no(meets, missing="—"), st.text)
                if r["need"] is not None and r["unit"]:
                    write_string(row, 7, str(r["unit"]), st.text)
                if r["plan_step"] is not None:
                    write_string(row, 11, f"第 {int(num(r['plan_step']) or 0)} 步", st.text)
                write_string(row, PAGE_COLUMNS, school, st.school)
                self.row += 1
        self.para("问题与提醒", school, st.bold, st.bold_wrap)
        for kind, text in page.findings or [("", "本期没有问题记录。")]:
            self.para(f"【{kind}】{text}" if kind else text, school, st.text, st.wrap)
        self.last = self.row - 1
        self.row += 1  # a blank line before the next school (on screen; in print it starts a new page)

    def finish(self, header: str, top: int) -> None:
        ws = self.ws
        ws.freeze_panes(top + 1, 0)
        ws.autofilter(top, 0, max(top, self.last), len(SCHOOL_HEADERS) - 1)
        ws.set_h_pagebreaks(self.breaks)
        ws.print_area(0, 0, max(top, self.last), PAGE_COLUMNS - 1)
        print_setup(ws, header=header, title=self.name, landscape=True, repeat_row=top)


def write_school_sheets(
    wb: Workbook, fmts: Formats, data: CountyData, pages: Sequence[SchoolPage], header: str
) -> list[str]:
    """The schools' pages on sheets of at most SCHOOLS_PER_SHEET schools; the sheets' names."""
    st = _Styles(fmts)
    names = school_sheet_names(len(pages))
    for k, name in enumerate(names):
        chunk = pages[k * SCHOOLS_PER_SHEET : (k + 1) * SCHOOLS_PER_SHEET]
        sheet = _SchoolSheet(wb, st, name)
        top = sheet.header(k * SCHOOLS_PER_SHEET + 1, k * SCHOOLS_PER_SHEET + len(chunk), len(pages))
        for page in chunk:
            sheet.page(data, page)
        sheet.finish(header, top)
    return names
