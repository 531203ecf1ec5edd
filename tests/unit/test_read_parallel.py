"""Reading a large batch in worker processes gives exactly the batch the one-process reader gives."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import tasks.read.returns as read_mod
from junheng.contract import ReceivedFile
from tasks.demo.returns import make_demo_county
from tasks.read.file_result import FileResult


def _received(path: Path) -> ReceivedFile:
    data = path.read_bytes()
    return ReceivedFile(
        file_id=hashlib.sha256(data).hexdigest(),
        file_name=path.name,
        source_path=str(path),
        archive_path=str(path),
        received_at=datetime(2026, 11, 3, 9, 0),
        size_bytes=len(data),
    )


def _inputs(tmp_path: Path) -> list[ReceivedFile]:
    paths = make_demo_county(tmp_path / "in", schools=24, period="2026-10", broken=True)
    junk = tmp_path / "in" / "随机字节.xlsx"
    junk.write_bytes(bytes(range(256)) * 40)
    bomb = tmp_path / "in" / "压缩炸弹.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 << 20))
    # Bad files in the middle: the order of results must follow the files, not the workers.
    return [_received(p) for p in [*paths[:10], junk, bomb, *paths[10:]]]


def test_parallel_read_equals_sequential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _inputs(tmp_path)
    monkeypatch.setattr(read_mod, "PARALLEL_MIN_FILES", 0)  # 0 = never in processes
    one = read_mod.read_returns(files)
    monkeypatch.setattr(read_mod, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(read_mod, "PARALLEL_CHUNK", 5)  # 6 chunks, the bad files in the 3rd
    many = read_mod.read_returns(files)

    assert len(files) == 28
    pd.testing.assert_frame_equal(one.info, many.info)
    assert one.frames.keys() == many.frames.keys()
    for name in one.frames:
        pd.testing.assert_frame_equal(one.frames[name], many.frames[name])
    assert one.columns == many.columns
    assert one.info_cells == many.info_cells
    assert one.findings == many.findings
    rules = {f.file_name: f.rule for f in many.findings if f.file_name in ("随机字节.xlsx", "压缩炸弹.xlsx")}
    assert rules["随机字节.xlsx"].startswith("file.")
    assert rules["压缩炸弹.xlsx"].startswith("file.")
    assert len(many.info) == 26  # 24 good + 2 broken-but-readable returns, each with its 基本信息 row


def test_parallel_read_is_used_only_above_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(read_mod, "_read_file", lambda rf: calls.append(rf.file_id) or FileResult(rf))
    files = [
        ReceivedFile(f"{i:064x}", f"{i}.xlsx", "/nonexistent", "/nonexistent", datetime(2026, 11, 3), 0)
        for i in range(5)
    ]
    monkeypatch.setattr(read_mod, "PARALLEL_MIN_FILES", 6)
    read_mod.read_returns(files)
    assert len(calls) == 5  # read here, in this process (a worker's calls would not show up in this list)
