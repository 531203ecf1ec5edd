"""write_atomic: the whole file or the old one, never a half-written file or a stray temporary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tasks.publish import files
from tasks.publish.files import write_atomic


def test_writes_bytes_and_text_and_replaces(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "a.txt"
    assert write_atomic(p, "第一版") == p
    assert p.read_text(encoding="utf-8") == "第一版"
    write_atomic(p, b"\x00\x01")
    assert p.read_bytes() == b"\x00\x01"
    assert sorted(x.name for x in p.parent.iterdir()) == ["a.txt"]


def test_permissions_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        p = write_atomic(tmp_path / "r.html", "x")
    finally:
        os.umask(old)
    assert p.stat().st_mode & 0o777 == 0o644


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write_atomic(tmp_path / "a.xlsx", b"old")

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(p, b"new")
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["a.xlsx"]
