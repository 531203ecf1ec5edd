"""Zip checks before any parser sees a workbook: bomb caps, corrupt parts, the inflated parts kept."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from junheng.errors import FileRejected
from tasks.read.file_result import RESEND

ZIP_MAGIC = b"PK\x03\x04"
# These bounds refuse zip bombs before any parser sees them (the unpacked size is measured by
# inflating, never taken from the zip headers).
MAX_UNPACKED_BYTES = 128 << 20
MAX_ZIP_MEMBERS = 5000
_INFLATE_STEP = 1 << 20


def _kept_part(name: str) -> bool:
    """The parts the overlays read: worksheet XML, the workbook and its relationships."""
    return (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name in _WORKBOOK_PARTS


_WORKBOOK_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")


def check_zip(path: str) -> dict[str, bytes] | None:
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
    except Exception:  # any broken central directory: calamine and tasks.read.workbook say what it is
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
    return FileRejected(f"文件不是正常的 Excel 工作簿（{what}，疑似压缩炸弹）", RESEND)


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


@contextmanager
def zip_parts(path: str, parts: dict[str, bytes] | None) -> Iterator[tuple[set[str], Callable[[str], bytes]]]:
    """(part names, read) from the parts check_zip kept, else from the zip itself."""
    if parts is not None:
        yield set(parts), parts.__getitem__
        return
    with zipfile.ZipFile(path) as z:
        yield set(z.namelist()), z.read
