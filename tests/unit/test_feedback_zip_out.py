"""The feedback's own ZIP writer (tasks/publish/feedback/zip_out.py) checked on its own: what it writes is
read back by zipfile and tested by Info-ZIP's `unzip -t` (an independent implementation), copied members keep
their bytes, CRC and time, UTF-8 names are flagged, and anything it cannot copy safely is NotPlain."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tasks.publish.feedback.styles_xml import NotPlain
from tasks.publish.feedback.zip_out import ZipOut, raw_member

SHARED = b"<sst>" + "学校名称".encode() * 200 + b"</sst>"
PICTURE = bytes(range(256)) * 8  # stored, not deflated, as some writers keep images
WHEN = (2026, 12, 7, 10, 30, 58)


def source() -> bytes:
    """A package made by zipfile: a deflated member, a stored one, one with a UTF-8 name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("xl/sharedStrings.xml", WHEN), SHARED, zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("xl/media/image1.png", WHEN), PICTURE, zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("docProps/说明.xml", WHEN), "<说明/>".encode(), zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def rewritten(data: bytes, new: dict[str, bytes]) -> bytes:
    out = ZipOut()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            out.copy(info, raw_member(data, info))
    for name, content in new.items():
        out.deflate(name, content)
    return out.getvalue()


def test_copied_and_new_members_read_back_exactly() -> None:
    src = source()
    sheet = "<worksheet>" + "<c r='B3'><v>1</v></c>" * 500 + "</worksheet>"
    data = rewritten(src, {"xl/worksheets/sheet1.xml": sheet.encode(), "xl/worksheets/问题清单.xml": b"<x/>"})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None  # every member's CRC checked
        assert z.namelist() == [
            "xl/sharedStrings.xml",
            "xl/media/image1.png",
            "docProps/说明.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/问题清单.xml",
        ]
        assert z.read("xl/sharedStrings.xml") == SHARED
        assert z.read("xl/media/image1.png") == PICTURE
        assert z.read("docProps/说明.xml") == "<说明/>".encode()
        assert z.read("xl/worksheets/sheet1.xml") == sheet.encode()
        infos = {i.filename: i for i in z.infolist()}
    # copied as they were: method, time (two-second DOS resolution: 58 s stays 58) and compressed size
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        for before in z.infolist():
            after = infos[before.filename]
            assert (after.compress_type, after.date_time, after.CRC, after.compress_size) == (
                before.compress_type,
                WHEN,
                before.CRC,
                before.compress_size,
            )
    assert infos["xl/worksheets/sheet1.xml"].compress_type == zipfile.ZIP_DEFLATED
    assert infos["xl/worksheets/sheet1.xml"].compress_size < len(sheet) // 10  # really deflated
    # bit 11 (APPNOTE 4.4.4): the name is UTF-8, only where it is not ASCII
    assert infos["docProps/说明.xml"].flag_bits & 0x800
    assert infos["xl/worksheets/问题清单.xml"].flag_bits & 0x800
    assert not infos["xl/sharedStrings.xml"].flag_bits & 0x800
    # the entries readable and writable by their owner only, as a file on Unix
    assert all(i.external_attr >> 16 == 0o600 and i.create_system == 3 for i in infos.values())


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip not installed")
def test_info_zip_accepts_the_package(tmp_path: Path) -> None:
    path = tmp_path / "反馈.xlsx"
    path.write_bytes(rewritten(source(), {"xl/worksheets/问题清单.xml": "<工作表/>".encode()}))
    tested = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "No errors detected" in tested.stdout
    listed = subprocess.run(["unzip", "-Z1", str(path)], capture_output=True)
    assert "xl/worksheets/问题清单.xml".encode() in listed.stdout.splitlines()


def test_a_member_whose_header_is_not_where_the_directory_says_is_not_plain() -> None:
    src = source()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        info = z.infolist()[1]
    info.header_offset += 1
    with pytest.raises(NotPlain):
        raw_member(src, info)


def test_an_encrypted_member_is_not_plain() -> None:
    src = source()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        info = z.infolist()[0]
    info.flag_bits |= 0x1  # the encryption bit: its bytes cannot be copied as a plain member
    with pytest.raises(NotPlain):
        raw_member(src, info)


def test_a_member_running_past_the_end_is_not_plain() -> None:
    src = source()
    with zipfile.ZipFile(io.BytesIO(src)) as z:
        info = z.infolist()[-1]
    with pytest.raises(NotPlain):
        raw_member(src[: info.header_offset + 40], info)


def test_an_empty_package_is_a_valid_empty_zip() -> None:
    data = ZipOut().getvalue()
    assert data == b"PK\x05\x06" + bytes(18)  # APPNOTE 4.3.16: the end record alone
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == []
