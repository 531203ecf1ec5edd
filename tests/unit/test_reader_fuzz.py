"""Random bytes, truncated and corrupted archives, zip bombs: the reader answers, never crashes or hangs."""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
import zipfile
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tasks.read.zip_checks as zip_checks
from junheng.contract import ReceivedFile, ReturnBatch
from tasks.publish.template import return_bytes
from tasks.read.returns import read_returns
from tasks.read.zip_checks import MAX_UNPACKED_BYTES
from tests.fixtures import messy

PER_FILE_SECONDS = 2.0  # generous for a 2-core CI machine; a clean return reads in milliseconds
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def good_bytes() -> bytes:
    return return_bytes(messy.clean_return("3708300001", 0))


def read_bytes(data: bytes, name: str = "f.xlsx") -> ReturnBatch:
    """Read one file's bytes; asserts the answer came in bounded time and has the batch's shape."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        rf = ReceivedFile(hashlib.sha256(data).hexdigest(), name, str(p), str(p), datetime(2026, 11, 5), len(data))
        start = time.perf_counter()
        batch = read_returns([rf])
        assert time.perf_counter() - start < PER_FILE_SECONDS
    assert set(batch.frames) == {"classes", "teachers", "facilities", "rooms", "quality"}
    assert all(f.file_name == name and f.message for f in batch.findings)
    return batch


def assert_answered(batch: ReturnBatch) -> None:
    """Either read (one info row) or rejected with an error a school can act on."""
    errors = [f for f in batch.findings if f.severity == "error"]
    if batch.info.empty:
        assert errors and all("请" in f.message for f in errors), batch.findings


MAGICS = [b"", b"PK\x03\x04", bytes.fromhex("D0CF11E0A1B11AE1"), b"<html><table>", b"%PDF-1.7", b"\xef\xbb\xbf<table>"]


@FUZZ
@given(st.sampled_from(MAGICS), st.binary(max_size=4096), st.sampled_from(["f.xlsx", "f.xls", "f.xlsm", "f"]))
def test_random_bytes_behind_any_magic(magic: bytes, body: bytes, name: str) -> None:
    assert_answered(read_bytes(magic + body, name))


@FUZZ
@given(st.floats(min_value=0, max_value=1, exclude_max=True))
def test_truncated_archives(fraction: float) -> None:
    data = good_bytes()
    assert_answered(read_bytes(data[: int(len(data) * fraction)]))


@FUZZ
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=30))
def test_corrupted_archives(flips: list[tuple[float, int]]) -> None:
    data = bytearray(good_bytes())
    for where, byte in flips:
        data[int(where * len(data))] = byte
    assert_answered(read_bytes(bytes(data)))


def test_zip_bomb_is_refused_quickly() -> None:
    bomb = messy.zip_bomb_bytes()
    assert len(bomb) < (4 << 20) and (200 << 20) > MAX_UNPACKED_BYTES  # small file, huge inside
    batch = read_bytes(bomb)
    assert [f.rule for f in batch.findings] == ["file.unreadable"]
    assert "压缩炸弹" in batch.findings[0].message


def _zip(members: dict[str, bytes], *, lie: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in members.items():
            z.writestr(n, d)
    data = buf.getvalue()
    if lie:  # claim every member unpacks to 1 KB: the guard must count, not trust the headers
        out = bytearray(data)
        for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            i = out.find(sig)
            while i != -1:
                out[i + off : i + off + 4] = (1024).to_bytes(4, "little")
                i = out.find(sig, i + 4)
        data = bytes(out)
    return data


@pytest.mark.parametrize(
    "case",
    ["many_parts_each_small", "sizes_in_headers_lie", "bomb_beside_a_real_workbook"],
)
def test_zip_bomb_variants(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same guard with a 4 MB cap: building 128 MB variants would only slow the suite down.
    monkeypatch.setattr(zip_checks, "MAX_UNPACKED_BYTES", 4 << 20)
    blank = b" " * ((4 << 20) // 100 + 1)
    if case == "many_parts_each_small":
        data = _zip({f"xl/worksheets/sheet{i}.xml": blank for i in range(101)})
    elif case == "sizes_in_headers_lie":
        data = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": blank * 101}, lie=True)
    else:
        with zipfile.ZipFile(io.BytesIO(good_bytes())) as z:
            members = {n: z.read(n) for n in z.namelist()}
        members["xl/media/image1.xml"] = blank * 101
        data = _zip(members)
    batch = read_bytes(data)
    errors = [f for f in batch.findings if f.severity == "error"]
    assert [f.rule for f in errors] == ["file.unreadable"], batch.findings
    assert batch.info.empty


def test_a_batch_of_broken_files_still_reads_the_good_one() -> None:
    with tempfile.TemporaryDirectory() as d:
        files = []
        for i, data in enumerate([b"", b"PK\x03\x04junk", messy.zip_bomb_bytes(), good_bytes()[:999], good_bytes()]):
            p = Path(d) / f"{i}.xlsx"
            p.write_bytes(data)
            files.append(ReceivedFile(f"{i}" * 64, p.name, str(p), str(p), datetime(2026, 11, 5), len(data)))
        batch = read_returns(files)
    assert batch.info["file_id"].tolist() == ["4" * 64]
    assert {f.file_id for f in batch.findings if f.rule == "file.unreadable"} == {f"{i}" * 64 for i in range(4)}
