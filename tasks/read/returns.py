"""Read received returns (xlsx/xls, and HTML tables saved as .xls) into one located ReturnBatch."""

from __future__ import annotations

import math
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from junheng import spec
from junheng.contract import Finding, ReceivedFile, ReturnBatch, Severity
from junheng.errors import FileRejected
from tasks.read.extent import check_extents
from tasks.read.isolation import (
    CPU_BASE_SECONDS,
    CPU_SECONDS_PER_FILE,
    MEMORY_MB,
    PoolUnavailable,
    run_in_workers,
)
from tasks.read.labels import LabelMatch, index_for, match_sheet_name, normalise_label, unit_of
from tasks.read.numbers import (
    NumberError,
    ValueFormatError,
    is_excel_error,
    parse_date,
    parse_number,
    parse_period,
)

Cell = Any  # what calamine returns: str, float, int, bool, date, datetime, time, timedelta

HEADER_SCAN_ROWS = 12  # the header is searched for in this many top rows
KV_LABEL_COLUMNS = 6  # key/value labels are searched for in this many left columns
VERSION_SCAN_ROWS = 6
NOTE_PREFIXES = ("注", "说明", "备注", "填表说明")
TOTAL_WORDS = ("合计", "总计", "小计")  # also as a suffix: 小学合计, 初中小计
GRAND_TOTALS = frozenset({"合计", "总计", "全校合计", "全校总计"})  # checked against all class rows
END_MARKS = ("以下空白", "以下无数据")  # the paper-form convention for "table ends here"
NUMERIC_KINDS = frozenset({"int", "number"})
ENUM_KINDS = frozenset({"enum", "yesno"})
MONEY_CODE = "equipment_value_yuan"
DEFAULT_MONEY_UNIT = "万元"  # the unit printed in the template label
# `<code>__raw` marker for a column the sheet lacks (same text as expectations.gx_suite.COLUMN_ABSENT):
# the reader reports the missing header once, so validation must not call every row empty.
COLUMN_ABSENT = "(列缺失)"

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTION_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_RESEND = "请用本县下发的 JH-2026.1 模板重新填写，在 Excel/WPS 中“另存为 .xlsx”后重新发送"
# A school return is a few hundred KB; these bounds refuse zip bombs and runaway files before any
# parser sees them (the unpacked size is measured by inflating, never taken from the zip headers).
MAX_FILE_BYTES = 64 << 20
MAX_UNPACKED_BYTES = 128 << 20
MAX_ZIP_MEMBERS = 5000
_INFLATE_STEP = 1 << 20


@dataclass
class RawSheet:
    """One sheet as a grid: rows[i][j] is Excel cell (row i+1, column j+1)."""

    name: str
    rows: list[list[Cell]]
    from_html: bool = False
    # Merged areas (first row, first col, last row, last col), 0-based; HTML rowspans too.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class _FileResult:
    """What one file contributes to the batch; merged only when the file was read to the end."""

    rf: ReceivedFile
    findings: list[Finding] = field(default_factory=list)
    info: dict[str, Any] | None = None
    info_cells: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[list[Any]]] = field(default_factory=dict)
    columns: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    school_code: str | None = None
    county: bool = False  # the county's own return (县级报表), not a school's

    def add(self, sheet: str, cell: str, rule: str, severity: Severity, value: object, what: str, fix: str) -> None:
        where = f"文件「{self.rf.file_name}」" + (f"工作表「{sheet}」" if sheet else "")
        where += f"{cell} 单元格" if cell else ""
        self.findings.append(
            Finding(
                file_id=self.rf.file_id,
                file_name=self.rf.file_name,
                sheet=sheet,
                cell=cell,
                rule=rule,
                severity=severity,
                value="" if value is None else str(value),
                message=f"{where}：{what}。{fix}",
            )
        )


# --- public entry point -----------------------------------------------------------------------


# Parse in worker processes from this many files on (the parser holds the GIL, so threads would not
# help); below it starting the workers costs more than it saves, unless the caller asks
# for isolation (the flow does: a file that kills its worker must not kill the run). 0 = never.
PARALLEL_MIN_FILES = int(os.environ.get("JUNHENG_PARALLEL_READ_MIN", "400"))
# Files per worker call: each returns a batch of frames (cheap to pickle, and the parent never holds
# 20,000 files' rows as Python lists), merged in file order.
PARALLEL_CHUNK = 250


def read_returns(files: list[ReceivedFile], *, isolate: bool = False) -> ReturnBatch:
    """Read every file; unreadable files become findings, never exceptions.

    In worker processes with memory and CPU caps (tasks.read.isolation) for large batches, or for
    any batch when ``isolate``: then a file that crashes, balloons or hangs its worker is rejected
    with a finding and the other files are read. Like every multiprocessing user, the workers
    import the main module: a script calling the flow needs `if __name__ == "__main__":`; where
    workers cannot start at all, the files are read here (same result, without the isolation).
    """
    procs = min(os.cpu_count() or 1, 8)
    large = procs >= 2 and PARALLEL_MIN_FILES > 0 and len(files) >= PARALLEL_MIN_FILES
    if not files or not (large or isolate):
        return read_returns_here(files)
    parts = [files[i : i + PARALLEL_CHUNK] for i in range(0, len(files), PARALLEL_CHUNK)]
    try:
        done = run_in_workers(
            parts, read_returns_here, crashed_file, merge_batches, workers=procs, preload=["tasks.read.returns"]
        )
    except PoolUnavailable:
        return read_returns_here(files)
    return merge_batches(done)


def crashed_file(rf: ReceivedFile) -> ReturnBatch:
    """The batch of a file whose worker died even when it was parsed alone."""
    res = _FileResult(rf)
    res.add(
        "",
        "",
        "file.reader_crashed",
        "error",
        "",
        f"读取这个文件时读取进程异常中止（超出 {MEMORY_MB:,} MB 内存或 {CPU_BASE_SECONDS + CPU_SECONDS_PER_FILE} 秒"
        "计算时间的限制，或文件内部结构异常），文件没有读取",
        "请在 Excel 或 WPS 中打开文件，删除模板表格以外的内容，另存为 .xlsx 后重新发送",
    )
    return _assemble([res])


def read_returns_here(files: list[ReceivedFile]) -> ReturnBatch:
    """read_returns in this process."""
    return _assemble([_read_file(rf) for rf in files])


def _assemble(results: list[_FileResult]) -> ReturnBatch:
    """One batch from the files' results, in their order."""
    info_rows: list[dict[str, Any]] = []
    tables: dict[str, list[list[Any]]] = {spec.FRAME_OF_SHEET[s.name]: [] for s in spec.TABLE_SHEETS}
    batch = ReturnBatch(
        files=[r.rf for r in results if not r.county],
        info=pd.DataFrame(),
        frames={},
        county_files=[r.rf for r in results if r.county],
    )
    for res in results:
        if res.info is not None:
            info_rows.append(res.info)
            batch.info_cells[res.rf.file_id] = res.info_cells
        for name, rows in res.tables.items():
            tables[name].extend(rows)
        batch.columns.update(res.columns)
        for f in res.findings:
            f.school_code = res.school_code
        batch.findings.extend(res.findings)
    batch.info = _info_frame(info_rows)
    batch.frames = {
        s_name: _table_frame(s, tables[s_name])
        for s, s_name in ((s, spec.FRAME_OF_SHEET[s.name]) for s in spec.TABLE_SHEETS)
    }
    return batch


def merge_batches(parts: list[ReturnBatch]) -> ReturnBatch:
    """One batch from batches read in chunks, in chunk order (what read_returns gives for all files)."""
    if len(parts) == 1:
        return parts[0]
    out = ReturnBatch(files=[], info=pd.DataFrame(), frames={})
    for p in parts:
        out.files.extend(p.files)
        out.county_files.extend(p.county_files)
        out.columns.update(p.columns)
        out.info_cells.update(p.info_cells)
        out.findings.extend(p.findings)
    out.info = _concat([p.info for p in parts])
    out.frames = {k: _concat([p.frames[k] for p in parts]) for k in parts[0].frames} if parts else {}
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    filled = [f for f in frames if not f.empty]
    if not filled:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(filled, ignore_index=True)


def _read_file(rf: ReceivedFile) -> _FileResult:
    res = _FileResult(rf)
    if rf.refused or not rf.archive_path:  # a link, a device, an unreadable entry: never opened
        res.add(
            "",
            "",
            "file.not_regular",
            "error",
            "",
            rf.refused or "文件没有归档，无法读取",
            "请把报表文件本身（不是快捷方式、文件夹或设备）放进收件目录后重新运行",
        )
        return res
    try:
        sheets = load_sheets(rf.archive_path)
        if county_sheet(sheets) is not None:  # the county return: read by tasks.read.county_return
            res.county = True
            return res
        _read_workbook(sheets, res)
    except FileRejected as e:
        res = _FileResult(rf)
        res.add(e.sheet, e.cell, e.rule, "error", "", e.reason, e.fix)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # one bad file must not stop the batch (a Rust panic is a BaseException)
        res = _FileResult(rf)
        res.add(
            "",
            "",
            "file.unreadable",
            "error",
            type(e).__name__,
            f"文件无法读取（{type(e).__name__}: {str(e)[:200]}）",
            _RESEND,
        )
    return res


# --- opening files ----------------------------------------------------------------------------


def load_sheets(path: str) -> list[RawSheet]:
    """All sheets of a workbook (hidden ones too) as grids; raises FileRejected when unreadable."""
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if not head:
        raise FileRejected("文件是空的（0 字节）", "请重新导出完整的报表文件后再发送")
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise FileRejected(
            f"文件过大（{size / 2**20:.0f} MB，报表文件一般不超过 1 MB）",
            "请删除工作簿中的图片和与报表无关的工作表，只保留模板中的工作表后重新发送",
        )
    parts: dict[str, bytes] | None = None
    if head.startswith(ZIP_MAGIC):
        parts = _check_zip(path)  # one pass: the bomb check keeps the inflated sheet XML for the overlays
        if parts is not None or zipfile.is_zipfile(path):
            with _zip_parts(path, parts) as (names, read):
                check_extents(names, read)  # before the parser allocates a grid for every sheet
    if _looks_like_html(head):
        return _html_sheets(path)
    if head.startswith(b"%PDF"):
        raise FileRejected("这是 PDF 文件，不是 Excel 工作簿", _RESEND)
    if head.lstrip().startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise FileRejected("这是“XML 电子表格 2003”格式，无法读取", _RESEND)
    try:
        wb = CalamineWorkbook.from_path(path)
    except PasswordError:
        raise _encrypted() from None
    except CalamineError as e:
        raise _diagnose(path, head, e) from None
    try:
        sheets = []
        for n in wb.sheet_names:
            sh = wb.get_sheet_by_name(n)
            merged = [(a[0], a[1], b[0], b[1]) for a, b in sh.merged_cell_ranges or ()]
            sheets.append(RawSheet(n, sh.to_python(skip_empty_area=False), merged=merged))
    except CalamineError as e:
        raise FileRejected(f"工作簿内容已损坏，无法读取（{str(e)[:120]}）", _RESEND) from None
    finally:
        wb.close()
    if head.startswith(ZIP_MAGIC):
        _overlay_error_cells(path, sheets, parts)
        _overlay_uncached_formulas(path, sheets, parts)
    return sheets


def _kept_part(name: str) -> bool:
    """The parts the overlays read: worksheet XML, the workbook and its relationships."""
    return (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name in _WORKBOOK_PARTS


_WORKBOOK_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")


def _check_zip(path: str) -> dict[str, bytes] | None:
    """Refuse a zip whose parts unpack to more than MAX_UNPACKED_BYTES (a zip bomb) or are corrupt.

    Every part is inflated in bounded steps and counted, so neither a huge compression ratio nor
    a lying size field gets past. Archives Python cannot open at all are left to the parser's own
    diagnosis (truncated, not a workbook).

    Returns the inflated parts the overlays need (sheet XML, workbook, relationships), so they do
    not inflate them again; None when any of them could not be kept as zipfile would read it
    (stored, another method, a CRC or size mismatch): then the overlays read the zip themselves.
    """
    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # any broken central directory: calamine and _diagnose say what it is
        return None
    kept: dict[str, bytes] | None = {}
    with zf, open(path, "rb") as fh:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise _zip_bomb(f"压缩包内有 {len(members)} 个部件")
        total = 0
        for m in members:
            sink: list[bytes] | None = [] if kept is not None and _kept_part(m.filename) else None
            try:
                total += _inflated_size(fh, m, MAX_UNPACKED_BYTES - total, sink)
            except (zlib.error, struct.error, ValueError, OSError):
                raise FileRejected(
                    f"工作簿的压缩数据已损坏（部件 {m.filename[:80]}）",
                    "请重新导出或重新下载完整文件后再发送",
                ) from None
            if total > MAX_UNPACKED_BYTES:
                raise _zip_bomb(f"解压后超过 {MAX_UNPACKED_BYTES >> 20} MB")
            if sink is not None and kept is not None:
                data = b"".join(sink)
                ok = m.compress_type == zipfile.ZIP_DEFLATED and len(data) == m.file_size
                if ok and zlib.crc32(data) == m.CRC and m.filename not in kept:
                    kept[m.filename] = data
                else:
                    kept = None
    return kept


def _zip_bomb(what: str) -> FileRejected:
    return FileRejected(f"文件不是正常的 Excel 工作簿（{what}，疑似压缩炸弹）", _RESEND)


def _inflated_size(fh: Any, m: zipfile.ZipInfo, budget: int, sink: list[bytes] | None = None) -> int:
    """Bytes one zip member unpacks to, counting at most budget + 1 of them (kept in ``sink`` if given)."""
    fh.seek(m.header_offset)
    local = fh.read(30)
    if len(local) < 30 or local[:4] != ZIP_MAGIC:
        raise ValueError("bad local header")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    fh.seek(m.header_offset + 30 + name_len + extra_len)
    if m.compress_type == zipfile.ZIP_STORED:
        return m.compress_size
    if m.compress_type != zipfile.ZIP_DEFLATED:
        return m.file_size  # other methods are rare in workbooks; the parser refuses what it cannot read
    d = zlib.decompressobj(-15)
    left, total = m.compress_size, 0
    while left > 0 and not d.eof:
        data = fh.read(min(left, 1 << 16))
        if not data:
            break
        left -= len(data)
        while data:
            out = d.decompress(data, _INFLATE_STEP)
            total += len(out)
            if total > budget:
                return total
            if sink is not None:
                sink.append(out)
            data = d.unconsumed_tail
    rest = d.flush()
    if sink is not None:
        sink.append(rest)
    return total + len(rest)


def _encrypted() -> FileRejected:
    return FileRejected(
        "文件设置了打开密码（已加密），无法读取",
        "请在 Excel 中打开文件，选择“文件→信息→保护工作簿→用密码进行加密”，清空密码并保存后重新发送",
    )


def _diagnose(path: str, head: bytes, err: Exception) -> FileRejected:
    """Turn a calamine failure into a reason people understand."""
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as fh:
            data = fh.read()
        if any(m in data for m in _ENCRYPTION_MARKERS):
            return _encrypted()
        return FileRejected("文件已损坏，不是有效的 Excel 97-2003（.xls）工作簿", _RESEND)
    if head.startswith(ZIP_MAGIC):
        if not zipfile.is_zipfile(path):
            return FileRejected("文件不完整（可能在下载或复制时被截断）", "请重新导出或重新下载完整文件后再发送")
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except Exception:  # a central directory Python cannot parse either
            return FileRejected("文件已损坏或不完整（压缩结构错误）", "请重新导出或重新下载完整文件后再发送")
        if "word/document.xml" in names:
            return FileRejected("这是 Word 文档，不是 Excel 工作簿", _RESEND)
        if "xl/workbook.xml" not in names:
            return FileRejected("这是压缩包或其他文件，不是 Excel 工作簿", _RESEND)
        return FileRejected(f"Excel 工作簿已损坏，无法读取（{str(err)[:120]}）", _RESEND)
    return FileRejected("不是 Excel 工作簿（无法识别的文件格式）", _RESEND)


def _overlay_error_cells(path: str, sheets: list[RawSheet], parts: dict[str, bytes] | None = None) -> None:
    """Put Excel error values (#REF! ...) back into the grid: calamine reads error cells as ''.

    A byte search for error-typed cells keeps clean files on the fast path; only files that
    have such cells are opened a second time with openpyxl.
    """
    with _zip_parts(path, parts) as (names, read):
        has_errors = any(b't="e"' in read(n) for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    if not has_errors:
        return
    import openpyxl  # only for the rare file with error cells

    by_name = {s.name: s for s in sheets}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            target = by_name.get(ws.title)
            if target is None:
                continue
            for row in ws.iter_rows():
                for c in row:
                    if getattr(c, "data_type", None) == "e" and c.value is not None:
                        r, col = c.row - 1, c.column - 1
                        while len(target.rows) <= r:
                            target.rows.append([])
                        line = target.rows[r]
                        line.extend([""] * (col + 1 - len(line)))
                        line[col] = str(c.value)
    finally:
        wb.close()


@contextmanager
def _zip_parts(path: str, parts: dict[str, bytes] | None) -> Iterator[tuple[set[str], Callable[[str], bytes]]]:
    """(part names, read) from the parts _check_zip kept, else from the zip itself."""
    if parts is not None:
        yield set(parts), parts.__getitem__
        return
    with zipfile.ZipFile(path) as z:
        yield set(z.namelist()), z.read


class FormulaNoValue(str):
    """A formula cell saved without its result (written by a program that does not calculate)."""


# A cell element with content (never a self-closing <c .../>, whose "</c>" would be a neighbour's).
_FORMULA_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"(?:\s[^>]*)?(?<!/)>((?:(?!</c>).)*?)</c>', re.DOTALL)
_F_RE = re.compile(rb"<f(?:\s[^>]*)?>([^<]*)</f>")
_V_RE = re.compile(rb"<v>[^<]+</v>|<is>")
_SHEET_RE = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL_RE = re.compile(
    rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"'
)


def _overlay_uncached_formulas(path: str, sheets: list[RawSheet], parts: dict[str, bytes] | None = None) -> None:
    """Mark formula cells that have no cached result: calamine reads them as empty, which would
    turn a formula the school typed into "not reported" instead of a located error."""
    from html import unescape

    by_name = {s.name: s for s in sheets}
    with _zip_parts(path, parts) as (names, read):
        sheet_parts = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        xml = {n: read(n) for n in sheet_parts}
        has_formula = {n for n, x in xml.items() if b"<f>" in x or b"<f " in x}  # not <formula1> of validations
        if not has_formula:
            return
        rels: dict[bytes, bytes] = {}
        if "xl/_rels/workbook.xml.rels" in names:
            for m in _REL_RE.finditer(read("xl/_rels/workbook.xml.rels")):
                rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                rels[rid] = target
        sheet_of_part: dict[str, str] = {}
        if "xl/workbook.xml" in names:
            for m in _SHEET_RE.finditer(read("xl/workbook.xml")):
                target = rels.get(m.group(2), b"").decode("utf-8", "replace").lstrip("/")
                part = target if target.startswith("xl/") else f"xl/{target}"
                sheet_of_part[part] = unescape(m.group(1).decode("utf-8", "replace"))
    for part, data in xml.items():
        target = by_name.get(sheet_of_part.get(part, ""))
        if target is None or part not in has_formula:
            continue
        for m in _FORMULA_CELL_RE.finditer(data):
            inner = m.group(3)
            f = _F_RE.search(inner)
            if f is None or _V_RE.search(inner) or not f.group(1):
                continue  # no formula text (shared formula follower), or it has a cached result
            col = 0
            for ch in m.group(1):
                col = col * 26 + ch - 64
            r, c = int(m.group(2)) - 1, col - 1
            while len(target.rows) <= r:
                target.rows.append([])
            line = target.rows[r]
            line.extend([""] * (c + 1 - len(line)))
            if _blank(line[c]):
                line[c] = FormulaNoValue("=" + unescape(f.group(1).decode("utf-8", "replace")))


def _no_value_finding(res: _FileResult, sheet: str, cell: str, label: str, value: FormulaNoValue) -> None:
    res.add(
        sheet,
        cell,
        "value.formula_no_value",
        "error",
        str(value),
        f"「{label}」是公式「{value}」，但文件中没有保存计算结果",
        "请在 Excel 或 WPS 中打开文件，确认公式算出了结果后保存再发送（或直接填写数值）",
    )


def _looks_like_html(head: bytes) -> bool:
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return False  # compressed/binary workbook bytes can contain anything
    low = head[:1024].lower()
    if low.startswith(b"\xff\xfe") or low.startswith(b"\xfe\xff"):
        low = head[:1024].decode("utf-16", errors="ignore").lower().encode()
    return b"<html" in low or b"<table" in low


# --- HTML tables saved as .xls ----------------------------------------------------------------


class _TableParser(HTMLParser):
    """Collects every <table> as a grid (colspan/rowspan padded) with its caption or heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]], list[tuple[int, int, int, int]]]] = []
        self._stack: list[dict[str, Any]] = []
        self._heading: list[str] | None = None
        self._last_heading = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._stack.append(
                {
                    "rows": [],
                    "row": None,
                    "cell": None,
                    "caption": None,
                    "spans": {},
                    "merged": [],
                    "title": self._last_heading,
                }
            )
            self._last_heading = ""
        elif not self._stack:
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "title"):
                self._heading = []
            return
        t = self._stack[-1]
        if tag == "tr":
            t["row"] = []
        elif tag in ("td", "th"):
            if t["row"] is None:
                t["row"] = []
            self._fill_spans(t)
            t["cell"] = []
            t["colspan"] = _span(a.get("colspan"))
            t["rowspan"] = _span(a.get("rowspan"))
        elif tag == "caption":
            t["caption"] = []
        elif tag == "br" and t["cell"] is not None:
            t["cell"].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "title") and self._heading is not None:
                self._last_heading = "".join(self._heading).strip()
                self._heading = None
            return
        t = self._stack[-1]
        if tag in ("td", "th") and t["cell"] is not None:
            self._end_cell(t)
        elif tag == "tr" and t["row"] is not None:
            if t["cell"] is not None:
                self._end_cell(t)
            self._fill_spans(t, to_end=True)
            t["rows"].append(t["row"])
            t["row"] = None
        elif tag == "caption" and isinstance(t["caption"], list):
            t["caption"] = "".join(t["caption"]).strip()
        elif tag == "table":
            if t["row"]:
                t["rows"].append(t["row"])
            self._stack.pop()
            name = t["caption"] if isinstance(t["caption"], str) and t["caption"] else t["title"]
            self.tables.append((name, t["rows"], t["merged"]))

    def handle_data(self, data: str) -> None:
        if self._stack:
            t = self._stack[-1]
            if t["cell"] is not None:
                t["cell"].append(data)
            elif isinstance(t["caption"], list):
                t["caption"].append(data)
        elif self._heading is not None:
            self._heading.append(data)

    def _end_cell(self, t: dict[str, Any]) -> None:
        text = "".join(t["cell"]).replace("\xa0", " ").strip()
        col = len(t["row"])
        t["row"].append(text)
        for k in range(1, t["colspan"]):
            t["row"].append("")
            if t["rowspan"] > 1:
                t["spans"][col + k] = t["rowspan"] - 1
        if t["rowspan"] > 1:
            t["spans"][col] = t["rowspan"] - 1
            r0 = len(t["rows"])
            t["merged"].append((r0, col, r0 + t["rowspan"] - 1, col + t["colspan"] - 1))
        t["cell"] = None

    @staticmethod
    def _fill_spans(t: dict[str, Any], to_end: bool = False) -> None:
        """Pad the cells that a rowspan from a row above covers."""
        spans: dict[int, int] = t["spans"]
        row: list[str] = t["row"]
        while spans:
            col = len(row)
            if col not in spans:
                if not to_end or col > max(spans):
                    break
                row.append("")
                continue
            row.append("")
            spans[col] -= 1
            if spans[col] <= 0:
                del spans[col]


def _span(v: str | None) -> int:
    try:
        return max(1, min(int(v or 1), 200))
    except ValueError:
        return 1


def _html_sheets(path: str) -> list[RawSheet]:
    with open(path, "rb") as fh:
        data = fh.read()
    parser = _TableParser()
    parser.feed(_decode_html(data))
    parser.close()
    sheets = [
        RawSheet(name or f"表{i + 1}", [list(r) for r in rows], from_html=True, merged=merged)
        for i, (name, rows, merged) in enumerate(parser.tables)
    ]
    if not sheets:
        raise FileRejected("这是网页（HTML）文件，但里面没有表格", _RESEND)
    return sheets


def _decode_html(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    m = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", data[:4096], re.IGNORECASE)
    declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    if declared in ("gb2312", "gbk"):
        declared = "gb18030"  # GB2312 declared, GBK/GB18030 characters used: common in exports
    try:
        return data.decode(declared)
    except (LookupError, UnicodeDecodeError):
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


# --- the county's own return -----------------------------------------------------------------


def county_sheet(sheets: list[RawSheet]) -> RawSheet | None:
    """The 县级指标 sheet: by name, or any sheet whose top rows carry the county template version."""
    for s in sheets:
        if normalise_label(s.name) == normalise_label(spec.COUNTY_SHEET):
            return s
    for s in sheets:
        for row in s.rows[:VERSION_SCAN_ROWS]:
            for c in row:
                if isinstance(c, str) and has_county_version(c):
                    return s
    return None


def has_county_version(text: str) -> bool:
    t = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    return spec.COUNTY_TEMPLATE_VERSION.upper() in t


# --- workbook → sheets of the spec ------------------------------------------------------------


def _read_workbook(sheets: list[RawSheet], res: _FileResult) -> None:
    assigned = _assign_sheets(sheets, res)
    info_raw = assigned.get(spec.INFO.name)
    if info_raw is not None:
        _check_version(info_raw, res)
        _read_info(info_raw, res)
    for s in spec.SHEETS:
        if s.name not in assigned and s.required:
            res.add(
                s.name,
                "",
                "sheet.missing",
                "error",
                "",
                f"缺少必填工作表「{s.name}」",
                f"请使用 {spec.TEMPLATE_VERSION} 模板，补上工作表「{s.name}」并按模板填写（不要删除或改名工作表）",
            )
    for s in spec.TABLE_SHEETS:
        raw = assigned.get(s.name)
        if raw is not None:
            _read_table(s, raw, res)


# Tabs that explain the template (they list every label) are never taken for a data sheet.
_NOT_DATA_SHEET_RE = re.compile(r"说明|readme|目录|封面")


def _assign_sheets(sheets: list[RawSheet], res: _FileResult) -> dict[str, RawSheet]:
    """Spec sheet name → workbook sheet: by (tolerant) name first, then by header content."""
    assigned: dict[str, RawSheet] = {}
    left: list[RawSheet] = []
    for raw in sheets:
        name = match_sheet_name(raw.name)
        if name is not None and name not in assigned:
            assigned[name] = raw
        else:
            left.append(raw)
    left = [raw for raw in left if not _NOT_DATA_SHEET_RE.search(normalise_label(raw.name))]
    missing = [s for s in spec.SHEETS if s.name not in assigned]
    if not missing or not left:
        return assigned
    # Content fallback (renamed tabs, HTML tables without names): best header score wins.
    scored = sorted(
        ((_content_score(s, raw), i, s, raw) for s in missing for i, raw in enumerate(left)),
        key=lambda t: (-t[0], t[1]),
    )
    used: set[int] = set()
    for score, i, s, raw in scored:
        # Named tabs need a clear match; unnamed HTML tables only need a header.
        if s.name in assigned or i in used or score < (2 if raw.from_html else 3):
            continue
        assigned[s.name] = raw
        used.add(i)
        if not raw.from_html:
            res.add(
                raw.name,
                "",
                "sheet.renamed",
                "info",
                raw.name,
                f"工作表「{raw.name}」按表头内容识别为「{s.name}」",
                f"建议把工作表名称改回模板中的「{s.name}」",
            )
    return assigned


def _content_score(s: spec.Sheet, raw: RawSheet) -> int:
    if s.form == "keyvalue":
        idx = index_for(s.name)
        codes = {m.code for row in raw.rows[:40] for c in row[:KV_LABEL_COLUMNS] if (m := idx.match(c)) is not None}
        return len(codes)
    return _find_header(s, raw.rows)[1]


# --- 基本信息 (key/value) ---------------------------------------------------------------------

_VERSION_RE = re.compile(r"JH-[0-9A-Za-z.\-_]+[^\s,，;；)）]*", re.IGNORECASE)


def _check_version(raw: RawSheet, res: _FileResult) -> None:
    found: tuple[str, str] | None = None  # (version text, cell)
    for r, row in enumerate(raw.rows[:VERSION_SCAN_ROWS]):
        for c, cell in enumerate(row):
            if not isinstance(cell, str) or "版本" not in cell:
                continue
            text = unicodedata.normalize("NFKC", cell)
            after = text.split(":", 1)[1] if ":" in text else ""
            m = _VERSION_RE.search(text)
            version = m.group(0) if m else after.strip()
            addr = _a1(r, c)
            if not version:  # label and value in two cells
                nxt = next(((j, v) for j, v in enumerate(row[c + 1 :], c + 1) if not _blank(v)), None)
                if nxt is not None:
                    version, addr = str(nxt[1]).strip(), _a1(r, nxt[0])
            found = (version, addr)
            break
        if found:
            break
    if found is None:
        res.add(
            raw.name,
            "",
            "template.version",
            "warning",
            "",
            f"未找到模板版本（应为“模板版本：{spec.TEMPLATE_VERSION}”）",
            f"请使用本县下发的 {spec.TEMPLATE_VERSION} 模板填写，不要删除第 2 行的版本说明",
        )
        return
    version, addr = found
    if "".join(version.split()).upper() != spec.TEMPLATE_VERSION.upper():
        res.add(
            raw.name,
            addr,
            "template.version",
            "error",
            version,
            f"模板版本是「{version}」，不是本期要求的 {spec.TEMPLATE_VERSION}",
            f"请下载 {spec.TEMPLATE_VERSION} 模板，把数据填入新模板后重新发送",
        )


def _read_info(raw: RawSheet, res: _FileResult) -> None:
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
            found[m.code] = (row[vc] if vc < len(row) else "", _a1(r, vc))
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


def _info_value(f: spec.Field, value: Cell, sheet: str, addr: str, info: dict[str, Any], res: _FileResult) -> Any:
    if isinstance(value, FormulaNoValue):
        info[f"{f.code}__raw"] = str(value)
        _no_value_finding(res, sheet, addr, f.label, value)
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
            return _enum_text(value)
        return _text(value)
    except (NumberError, ValueFormatError) as e:
        info[f"{f.code}__raw"] = _text(value)
        res.add(sheet, addr, e.rule, "error", value, _what(f, e), e.fix)
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


# --- table sheets -----------------------------------------------------------------------------


@dataclass
class _Header:
    row: int  # 0-based index of the (last) header row
    cols: dict[str, tuple[int, str | None]]  # code → (column index, unit from the header)
    extras: list[tuple[int, str]]
    duplicates: list[tuple[int, str, str]]  # (column, text, code)


def _find_header(s: spec.Sheet, rows: list[list[Cell]]) -> tuple[int, int]:
    """(row index, number of distinct codes matched) of the best header row among the top rows."""
    idx = index_for(s.name)
    best, best_row = 0, -1
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        codes = {m.code for c in row if (m := idx.match(c)) is not None}
        if len(codes) > best:
            best, best_row = len(codes), r
    return best_row, best


def _parse_header(s: spec.Sheet, rows: list[list[Cell]], r: int) -> _Header:
    idx = index_for(s.name)
    cols: dict[str, tuple[int, str | None]] = {}
    unmatched: dict[int, str] = {}
    dups: list[tuple[int, str, str]] = []

    def take(row: list[Cell], allow_new_only: bool) -> int:
        n = 0
        for c, cell in enumerate(row):
            m: LabelMatch | None = idx.match(cell)
            if m is None:
                if not allow_new_only and not _blank(cell):
                    unmatched[c] = str(cell).strip()
                continue
            if m.code in cols:
                if not allow_new_only:
                    dups.append((c, str(cell).strip(), m.code))
                continue
            cols[m.code] = (c, m.unit)
            unmatched.pop(c, None)
            n += 1
        return n

    take(rows[r], allow_new_only=False)
    # A second header row (sub-labels under a merged 其中 cell) adds the codes still missing.
    if r + 1 < len(rows) and not any(_is_number(v) for v in rows[r + 1]) and take(rows[r + 1], True):
        r += 1
    extras = sorted((c, t) for c, t in unmatched.items() if c not in {v[0] for v in cols.values()})
    extras = [(c, t) for c, t in extras if unit_of(t) is None]
    return _Header(r, cols, extras, dups)


def _read_table(s: spec.Sheet, raw: RawSheet, res: _FileResult) -> None:
    rows = raw.rows
    frame = spec.FRAME_OF_SHEET[s.name]
    hr, score = _find_header(s, rows)
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
    h = _parse_header(s, rows, hr)
    idx = index_for(s.name)
    data_start = h.row + 1
    units = {code: unit for code, (_, unit) in h.cols.items()}
    # A unit row directly below the header: every non-empty cell is a unit such as （人）.
    if data_start < len(rows):
        # Header cells merged down into this row are not units, so they are left out.
        cand = [v for v in rows[data_start] if not _blank(v) and idx.match(v) is None]
        if cand and all(unit_of(v) is not None for v in cand):
            for code, (c, unit) in h.cols.items():
                cell = rows[data_start][c] if c < len(rows[data_start]) else ""
                if unit is None and unit_of(cell) is not None:
                    units[code] = unit_of(cell)
            data_start += 1

    _fill_merged_down(rows, raw.merged, data_start)
    header_row_no = h.row + 1
    if h.extras:
        listed = "、".join(f"「{t}」（{_col(c)}列）" for c, t in h.extras)
        res.add(
            raw.name,
            _a1(h.row, h.extras[0][0]),
            "sheet.extra_column",
            "info",
            listed,
            f"有模板以外的列 {listed}，这些列不会被读取",
            "如无需要可删除这些列；需要上报的内容请填入模板中的对应列",
        )
    for c, text, code in h.duplicates:
        first = _col(h.cols[code][0])
        res.add(
            raw.name,
            _a1(h.row, c),
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
                _a1(h.row, mc),
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
                _a1(h.row, mc),
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
                _a1(h.row, c),
                "header.bad_unit",
                "error",
                unit,
                f"「{s.by_code(code).label}」的单位“{unit}”不是平方米",
                "请把面积换算成平方米填写，表头单位写“平方米”",
            )

    sheet_cols = {code: _col(c) for code, (c, _) in h.cols.items()}
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
        filled = [v for v in row if not _blank(v)]
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
                _no_value_finding(res, raw.name, _a1(r, ci), f.label, cell)
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
                        bad = _text(cell)
                row_nums[f.code] = v
                values.append(v)
            elif isinstance(cell, str) and cell[:1] == "#" and is_excel_error(cell):
                bad = cell.strip()
                res.add(
                    raw.name,
                    _a1(r, ci),
                    "value.excel_error",
                    "error",
                    bad,
                    f"「{f.label}」是 Excel 错误值「{bad}」",
                    "请检查公式或引用，直接填写正确内容",
                )
                values.append(None)
            elif f.kind in ENUM_KINDS:
                values.append(_enum_text(cell))
            else:
                values.append(_text(cell))
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
            if _blank(value):
                continue
            for r in range(r0 + 1, r1 + 1):
                while len(rows) <= r:
                    rows.append([])
                line = rows[r]
                if len(line) <= c:
                    line.extend([""] * (c + 1 - len(line)))
                if _blank(line[c]):
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
    h: _Header,
    sheet: str,
    r: int,
    word: str,
    got: dict[str, float],
    expected: dict[str, float],
    res: _FileResult,
) -> None:
    for code, v in got.items():
        if math.isnan(v):
            continue
        want = expected.get(code, 0.0)
        if abs(v - want) > 1e-6:
            label = s.by_code(code).label
            res.add(
                sheet,
                _a1(r, h.cols[code][0]),
                "total.mismatch",
                "error",
                _fmt(v),
                f"{word}行的「{label}」是 {_fmt(v)}，但上面各班之和是 {_fmt(want)}",
                f"请核对各班数据，把{word}改为 {_fmt(want)}（或删除{word}行）",
            )


def _number_cell(
    f: spec.Field, cell: Cell, unit: str | None, sheet: str, r: int, c: int, res: _FileResult
) -> tuple[float, str | None]:
    """(value, raw text when it could not be read); NaN when empty or unreadable."""
    if cell is None or cell == "":
        return math.nan, None
    try:
        v = parse_number(cell, unit)
    except NumberError as e:
        res.add(sheet, _a1(r, c), e.rule, "error", cell, _what(f, e), e.fix)
        return math.nan, e.text or str(cell)
    return (math.nan if v is None else v), None


def _what(f: spec.Field, e: NumberError | ValueFormatError) -> str:
    """「学生数」填写的「abc」不是数字 / 「学生数」是 Excel 错误值「#REF!」."""
    joiner = "" if e.rule == "value.excel_error" else "填写的"
    return f"「{f.label}」{joiner}{e.reason}"


# --- cell helpers -----------------------------------------------------------------------------


def _blank(v: Cell) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


def _is_number(v: Cell) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _text(x: Cell) -> str | None:
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


def _enum_text(x: Cell) -> str | None:
    t = _text(x)
    if t is None:
        return None
    return "".join(unicodedata.normalize("NFKC", t).split()) or None


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _col(c: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def _a1(r: int, c: int) -> str:
    return f"{_col(c)}{r + 1}"


# --- frames -----------------------------------------------------------------------------------


def _info_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
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


def _table_frame(s: spec.Sheet, rows: list[list[Any]]) -> pd.DataFrame:
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
