"""Open a received file as sheets: format sniffing, size caps, encryption and a diagnosis people understand."""

from __future__ import annotations

import os
import zipfile

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from junheng.errors import FileRejected
from tasks.read.extent import check_extents
from tasks.read.file_result import RESEND
from tasks.read.formulas import overlay_error_cells, overlay_uncached_formulas
from tasks.read.grid import RawSheet
from tasks.read.html_tables import html_sheets
from tasks.read.zip_checks import ZIP_MAGIC, check_zip, zip_parts

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTION_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
MAX_FILE_BYTES = 64 << 20  # a school return is a few hundred KB: refused before any parser sees it


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
        parts = check_zip(path)  # one pass: the bomb check keeps the inflated sheet XML for the overlays
        if parts is not None or zipfile.is_zipfile(path):
            with zip_parts(path, parts) as (names, read):
                check_extents(names, read)  # before the parser allocates a grid for every sheet
    if _looks_like_html(head):
        return html_sheets(path)
    if head.startswith(b"%PDF"):
        raise FileRejected("这是 PDF 文件，不是 Excel 工作簿", RESEND)
    if head.lstrip().startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise FileRejected("这是“XML 电子表格 2003”格式，无法读取", RESEND)
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
        raise FileRejected(f"工作簿内容已损坏，无法读取（{str(e)[:120]}）", RESEND) from None
    finally:
        wb.close()
    if head.startswith(ZIP_MAGIC):
        overlay_error_cells(path, sheets, parts)
        overlay_uncached_formulas(path, sheets, parts)
    return sheets


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
        return FileRejected("文件已损坏，不是有效的 Excel 97-2003（.xls）工作簿", RESEND)
    if head.startswith(ZIP_MAGIC):
        if not zipfile.is_zipfile(path):
            return FileRejected("文件不完整（可能在下载或复制时被截断）", "请重新导出或重新下载完整文件后再发送")
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except Exception:  # a central directory Python cannot parse either
            return FileRejected("文件已损坏或不完整（压缩结构错误）", "请重新导出或重新下载完整文件后再发送")
        if "word/document.xml" in names:
            return FileRejected("这是 Word 文档，不是 Excel 工作簿", RESEND)
        if "xl/workbook.xml" not in names:
            return FileRejected("这是压缩包或其他文件，不是 Excel 工作簿", RESEND)
        return FileRejected(f"Excel 工作簿已损坏，无法读取（{str(err)[:120]}）", RESEND)
    return FileRejected("不是 Excel 工作簿（无法识别的文件格式）", RESEND)


def _looks_like_html(head: bytes) -> bool:
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return False  # compressed/binary workbook bytes can contain anything
    low = head[:1024].lower()
    if low.startswith(b"\xff\xfe") or low.startswith(b"\xfe\xff"):
        low = head[:1024].decode("utf-16", errors="ignore").lower().encode()
    return b"<html" in low or b"<table" in low
