"""The feedback package written member by member on zlib and the ZIP format's own records: the school's
members that are not edited (shared strings, theme, properties, pictures …) are copied as they were
compressed, located through zipfile's public ZipInfo (header_offset, compress_size, CRC); edited ones
are deflated. zipfile's writer cannot take a member's compressed bytes, and deflating every member again
was most of the time an edit took. Plain ZIP only: members over 4 GB or ZIP64 records are NotPlain."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from functools import lru_cache

from tasks.publish.feedback.styles_xml import CACHED_PARTS, check

_LOCAL = struct.Struct("<4s5H3L2H")  # signature … name length, extra length (APPNOTE 4.3.7)
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # APPNOTE 4.3.12
_END = struct.Struct("<4s4H2LH")  # APPNOTE 4.3.16
_LIMIT = 0xFFFFFFFF
_UTF8 = 0x800  # general purpose bit 11: the name is UTF-8
# A small deflate state (memLevel 5): the parts are a few KB, where the state's set-up costs more than
# the compression; the output is as valid and within a few bytes as small.
_MEM_LEVEL = 5


def raw_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of ``info``'s member in the package ``data``."""
    o = info.header_offset
    check(data[o : o + 4] == b"PK\x03\x04" and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))
    check(max(info.compress_size, info.file_size, o) < _LIMIT and not info.flag_bits & 0x1)
    name_len, extra_len = struct.unpack_from("<2H", data, o + 26)
    start = o + 30 + name_len + extra_len
    check(start + info.compress_size <= len(data))
    return data[start : start + info.compress_size]


@lru_cache(maxsize=CACHED_PARTS)  # an edited part is often the same in every school's file
def _deflated(content: bytes) -> tuple[bytes, int]:
    c = zlib.compressobj(1, zlib.DEFLATED, -15, _MEM_LEVEL)
    return c.compress(content) + c.flush(), zlib.crc32(content)


def _dos(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time[:6]
    return (h << 11) | (mi << 5) | (s // 2), (max(y, 1980) - 1980) << 9 | (mo << 5) | d


class ZipOut:
    """A package built in memory: ``copy`` a member as compressed, ``deflate`` a new text, ``getvalue``."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._central: list[bytes] = []
        self._now = _dos(time.localtime()[:6])

    def copy(self, info: zipfile.ZipInfo, payload: bytes) -> None:
        self._add(info.filename, info.compress_type, info.CRC, payload, info.file_size, _dos(info.date_time))

    def deflate(self, name: str, content: bytes) -> None:
        payload, crc = _deflated(content)
        self._add(name, zipfile.ZIP_DEFLATED, crc, payload, len(content), self._now)

    def _add(self, name: str, method: int, crc: int, payload: bytes, size: int, when: tuple[int, int]) -> None:
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else _UTF8
        offset = self._buf.tell()
        check(max(len(payload), size, offset) < _LIMIT)
        head = (20, flags, method, *when, crc, len(payload), size, len(raw))
        self._buf.write(_LOCAL.pack(b"PK\x03\x04", *head, 0) + raw + payload)
        # made by: 3.0 on Unix (as zipfile writes it); the entry readable and writable by its owner
        self._central.append(_CENTRAL.pack(b"PK\x01\x02", 0x31E, *head, 0, 0, 0, 0, 0o600 << 16, offset) + raw)

    def getvalue(self) -> bytes:
        start = self._buf.tell()
        central = b"".join(self._central)
        n = len(self._central)
        check(n < 0xFFFF and start + len(central) < _LIMIT)
        self._buf.write(central + _END.pack(b"PK\x05\x06", 0, 0, n, n, len(central), start, 0))
        return self._buf.getvalue()
