"""Files as the read stage meets them (issue 13 items 2 and 6): identical copies are one return, a
school code in the file name that is not the return's own is a finding, refused entries are rejected."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from junheng.contract import ReceivedFile, ReturnBatch
from tasks.demo.returns import make_demo_county
from tasks.ingest.archive import archive_inbox
from tasks.read.file_names import name_code_findings
from tasks.read.incremental import identical_copies, read_incremental
from tasks.read.returns import read_returns
from tasks.validate.decide import decide


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return sorted(make_demo_county(tmp_path_factory.mktemp("demo"), schools=6, period="2026-10"))


def test_a_byte_identical_copy_is_read_once_and_named(returns: list[Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    original = inbox / returns[0].name
    shutil.copy2(returns[0], original)
    copy = inbox / (original.stem + "(1).xlsx")  # as a mail client saves a second download
    shutil.copy2(returns[0], copy)
    shutil.copy2(returns[1], inbox / returns[1].name)
    files = archive_inbox(inbox, tmp_path / "archive")
    batch = read_incremental("unused://", "2026-10", files, "all")
    assert len(batch.files) == 2 and len(batch.info) == 2
    [note] = [f for f in batch.findings if f.rule == "file.duplicate"]
    assert note.file_name == copy.name and note.severity == "info"
    assert f"与「{original.name}」内容完全相同" in note.message
    status = decide(batch, batch.findings)  # crashed with "truth value of a Series is ambiguous"
    assert sorted(status["status"]) == ["loaded", "loaded"]
    assert set(status["file_name"]) == {original.name, returns[1].name}


def test_the_copy_received_first_then_the_shorter_name_is_kept() -> None:
    t = datetime(2026, 11, 1)
    files = [ReceivedFile("a" * 64, name, name, name, t, 1) for name in ("x(1).xlsx", "x.xlsx")]
    files.append(ReceivedFile("a" * 64, "y.xlsx", "y", "y", datetime(2026, 10, 31), 1))
    kept, notes = identical_copies(files)
    assert [f.file_name for f in kept] == ["y.xlsx"]
    assert sorted(n.file_name for n in notes) == ["x(1).xlsx", "x.xlsx"]


def test_a_file_named_for_another_school_is_a_located_warning(returns: list[Path], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    src = returns[2]
    batch0 = read_returns(archive_inbox(src.parent, tmp_path / "a0")[2:3])
    own = str(batch0.info["school_code"].iloc[0])
    other = "3708300999" if own != "3708300999" else "3708300998"
    shutil.copy2(src, inbox / f"{other}_某小学.xlsx")
    shutil.copy2(returns[3], inbox / returns[3].name)  # named for its own school: no finding
    batch = read_returns(archive_inbox(inbox, tmp_path / "archive"))
    [w] = name_code_findings(batch)
    assert (w.severity, w.sheet, w.rule) == ("warning", "基本信息", "school_code.file_name_mismatch")
    assert w.cell and w.cell in w.message
    assert f"文件名中的学校标识码 {other} 与报表中填写的 {own} 不一致" in w.message


def test_codes_in_names_are_ten_ascii_digits_standing_alone() -> None:
    t = datetime(2026, 11, 1)
    files = [
        ReceivedFile("1" * 64, "13912345678901_电话.xlsx", "", "", t, 1),  # 14 digits: not a code
        ReceivedFile("2" * 64, "٣٧٠٨٣٠٠٠٠٩_甲.xlsx", "", "", t, 1),  # Arabic-Indic digits: not a code
    ]
    info = pd.DataFrame({"file_id": ["1" * 64, "2" * 64], "school_code": ["3708300001", "3708300002"]})
    assert name_code_findings(ReturnBatch(files=files, info=info, frames={})) == []


def test_a_refused_entry_is_rejected_with_its_reason(tmp_path: Path) -> None:
    refused = ReceivedFile(
        "f" * 64, "x.xlsx", "/inbox/x.xlsx", "", datetime(2026, 11, 1), 0, refused="这是一个符号链接"
    )
    batch = read_returns([refused])
    [f] = batch.findings
    assert f.severity == "error" and f.message.startswith("文件「x.xlsx」：这是一个符号链接。")
    assert decide(batch, batch.findings)["status"].tolist() == ["rejected"]
