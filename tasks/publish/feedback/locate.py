"""Where a figure comes from in the school's own workbook: the cells of a resource (教师, 办学条件) and the
students (班级学生), found through the template contract (junheng.spec) and the reader's label matching,
so a finding never points at a sheet the workbook lacks."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from junheng import spec
from tasks.publish.feedback.book import Book
from tasks.read.labels import index_for, match_sheet_name

HEADER_SCAN_ROWS = 10
# The columns each indicator's resource comes from (R3 under the default 音乐+美术 choice).
RESOURCE_COLUMNS: dict[str, tuple[spec.Sheet, tuple[str, ...]]] = {
    "R1": (spec.TEACHERS, ("teachers_above_required_degree",)),
    "R2": (spec.TEACHERS, ("backbone_teachers",)),
    "R3": (spec.TEACHERS, ("pe_teachers", "music_teachers", "art_teachers")),
    "R4": (spec.FACILITIES, ("teaching_aux_area_m2", "indoor_sports_area_m2")),
    "R5": (spec.FACILITIES, ("sports_ground_area_m2", "indoor_sports_area_m2")),
    "R6": (spec.FACILITIES, ("equipment_value_yuan",)),
    "R7": (spec.FACILITIES, ("multimedia_classrooms",)),
}
# The facility and equipment columns whose cells a plausibility finding names.
FACILITY_COLUMN_OF = {"R4": "teaching_aux_area_m2", "R5": "sports_ground_area_m2", "R6": "equipment_value_yuan"}


@dataclass(frozen=True)
class Table:
    """A table sheet of the workbook: its tab, header row and the columns of the codes it has."""

    book: Book
    title: str
    header_row: int  # 1-based
    columns: dict[str, int]  # code → 1-based column

    def rows_of(self, section_label: str) -> list[int]:
        """Data rows whose 学段 is ``section_label`` (小学 / 初中 / 共用)."""
        return self.rows_where("section", section_label)

    def rows_where(self, code: str, text: str) -> list[int]:
        """Data rows whose ``code`` column reads ``text`` (学段 小学, 教室类型 音乐, ...)."""
        col = self.columns.get(code)
        if col is None:
            return []
        key = ("rows", self.title, code, text)
        if key not in self.book.found:
            start = self.header_row + 1
            values = self.book.column(self.title, col, start)
            rows = [r for r, v in enumerate(values, start=start) if isinstance(v, str) and v.strip() == text]
            self.book.found[key] = rows
        return list(self.book.found[key])

    def section_rows(self) -> list[int]:
        """Data rows of every 学段 (小学, 初中), top to bottom: the whole school."""
        return sorted(r for label in spec.SECTIONS for r in self.rows_of(label))

    def cell(self, code: str, row: int) -> str | None:
        col = self.columns.get(code)
        return f"{get_column_letter(col)}{row}" if col else None

    def cells(self, rows: list[int], codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """(tab, cell) of the codes' columns on each row, left to right as the school reads them."""
        cols = sorted(self.columns[c] for c in codes if c in self.columns)
        return tuple((self.title, f"{get_column_letter(c)}{r}") for r in rows for c in cols)

    def header_cell(self, code: str) -> str | None:
        return self.cell(code, self.header_row)


def table(wb: Book, sheet: spec.Sheet) -> Table | None:
    """The workbook's tab for a spec table sheet (by name or a known synonym) and its header."""
    key = ("table", sheet.name)
    if key not in wb.found:
        wb.found[key] = _table(wb, sheet)
    found: Table | None = wb.found[key]
    return found


def _table(wb: Book, sheet: spec.Sheet) -> Table | None:
    title = next((n for n in wb.sheetnames if n == sheet.name or match_sheet_name(n) == sheet.name), None)
    if title is None:
        return None
    idx = index_for(sheet.name)
    best: tuple[int, int, dict[str, int]] = (0, 0, {})
    for r, row in enumerate(wb.head(title, HEADER_SCAN_ROWS), start=1):
        cols: dict[str, int] = {}
        for c, v in enumerate(row, start=1):
            m = idx.match(v)
            if m is not None and m.code not in cols:
                cols[m.code] = c
        if len(cols) > best[0]:
            best = (len(cols), r, cols)
    if best[0] < 2:
        return None
    return Table(wb, title, best[1], best[2])


@dataclass(frozen=True)
class Place:
    """Cells behind one figure: ``cells`` (sheet title, A1) to mark, and a short text naming them."""

    cells: tuple[tuple[str, str], ...]
    text: str


def _listing(t: Table, cells: tuple[tuple[str, str], ...]) -> str:
    return f"「{t.title}」表 {'、'.join(ref for _, ref in cells)}"


def resource_place(wb: Book, indicator: str, section_label: str) -> Place | None:
    """The cells of a unit's resource: its own 学段 row, plus the 共用 row for facilities (apportioned)."""
    if indicator not in RESOURCE_COLUMNS:
        return None
    sheet, codes = RESOURCE_COLUMNS[indicator]
    t = table(wb, sheet)
    if t is None:
        return None
    rows = t.rows_of(section_label)
    if sheet is spec.FACILITIES:
        rows += t.rows_of("共用")
    cells = t.cells(rows, codes)
    return Place(cells, _listing(t, cells)) if cells else None


def students_place(wb: Book, section_label: str) -> Place | None:
    """The 学生数 cells of a section's class rows; the header cell carries the comment."""
    t = table(wb, spec.CLASSES)
    if t is None:
        return None
    head = t.header_cell("students")
    if head is None:
        return None
    rows = t.rows_of(section_label) if section_label else []
    letter = head.rstrip("0123456789")
    span = f" {letter}{rows[0]}–{letter}{rows[-1]} 中" if rows else f" {letter} 列中"
    what = f"{section_label}各班" if section_label else "各班"
    return Place(((t.title, head),), f"「{t.title}」表{span}{what}「学生数」之和")


def facility_cell(wb: Book, code: str, section_label: str) -> tuple[str, str] | None:
    """The cell of one 办学条件 value on a section's row."""
    t = table(wb, spec.FACILITIES)
    if t is None:
        return None
    rows = t.rows_of(section_label)
    ref = t.cell(code, rows[0]) if rows else None
    return (t.title, ref) if ref else None


def target_sheet(wb: Book, sheet: str) -> str | None:
    """The workbook's tab for a sheet named by a finding (the school may have renamed 教师 to 教师情况)."""
    if sheet in wb.sheetnames:
        return sheet
    return next((name for name in wb.sheetnames if match_sheet_name(name) == sheet), None)


# The 教师 columns behind the school-level teacher rates: 专任教师数 and the part counted.
RATE_COLUMNS = {"G9": "trained_360h_teachers", "G12": "certified_teachers"}


def teacher_rate_place(wb: Book, indicator: str) -> Place | None:
    """G9 / G12: 专任教师数 and the trained or certified count on every 学段 row of 教师 (the whole school)."""
    t = table(wb, spec.TEACHERS)
    if t is None or indicator not in RATE_COLUMNS:
        return None
    cells = t.cells(t.section_rows(), ("teachers", RATE_COLUMNS[indicator]))
    return Place(cells, _listing(t, cells)) if cells else None


def rooms_place(wb: Book, room_type: str) -> Place | None:
    """G3 rooms: the 教室类型 cells of the school's rooms of the type, else the column's header (no room of it)."""
    t = table(wb, spec.ROOMS)
    if t is None:
        return None
    rows = t.rows_where("room_type", room_type)
    if rows:
        cells = tuple((t.title, ref) for r in rows if (ref := t.cell("room_type", r)))
        return Place(cells, f"{_listing(t, cells)}（{room_type}教室 {len(cells)} 间）") if cells else None
    head = t.header_cell("room_type")
    if head is None:
        return None
    return Place(((t.title, head),), f"「{t.title}」表（没有{room_type}教室的行）")


def classes_place(wb: Book) -> Place | None:
    """The class rows of 班级学生, counted for G3: the 班级 header cell carries the comment."""
    t = table(wb, spec.CLASSES)
    if t is None:
        return None
    head = t.header_cell("class_name") or t.header_cell("students")
    if head is None:
        return None
    rows = t.section_rows()
    span = f"第 {rows[0]}–{rows[-1]} 行" if rows else ""
    return Place(((t.title, head),), f"「{t.title}」表{span}的班级行数")


def room_area_cell(wb: Book, cell: str) -> tuple[str, str] | None:
    """A room's 使用面积 cell on the school's own 专用教室 sheet, for the template's cell of its row."""
    t = table(wb, spec.ROOMS)
    digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if t is None or not digits.isdigit():
        return None
    ref = t.cell("area_m2", int(digits))
    return (t.title, ref) if ref else None
