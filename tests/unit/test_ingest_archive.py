"""Files as they come (issue 13 item 6): hidden files are received, names of any legal length are
archived under a bounded name, and links and special files are refused without being opened or
copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from junheng.errors import ConfigError
from tasks.ingest.archive import MAX_NAME_BYTES, archive_inbox, bounded_name, discover
from tasks.ingest.preflight import check_output_writable, check_run_parameters


def archived_bytes(archive: Path) -> list[bytes]:
    return [p.read_bytes() for p in archive.rglob("*") if p.is_file()]


def test_a_link_to_the_environment_is_refused_and_never_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_TEST_SECRET", "smtp-password-7b1f")
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    (inbox / "3708300001_甲小学.xlsx").symlink_to("/proc/self/environ")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the archive", encoding="utf-8")
    (inbox / "link.xlsx").symlink_to(secret)
    [env, link] = sorted(archive_inbox(inbox, archive), key=lambda f: f.file_name)
    assert env.file_name == "3708300001_甲小学.xlsx" and "符号链接" in env.refused and env.archive_path == ""
    assert link.refused and link.archive_path == ""
    assert not any(b"smtp-password-7b1f" in b or b"not for the archive" in b for b in archived_bytes(archive))


def test_a_linked_folder_is_refused_not_walked(tmp_path: Path) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    (outside / "其他县.xlsx").write_bytes(b"PK other county")
    (inbox / "共享").symlink_to(outside, target_is_directory=True)
    [entry] = archive_inbox(inbox, tmp_path / "archive")
    assert entry.file_name == "共享" and "符号链接" in entry.refused
    assert archived_bytes(tmp_path / "archive") == []


def test_a_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "管道.xlsx")  # opening it for reading would wait forever for a writer
    [entry] = archive_inbox(inbox, tmp_path / "archive")
    assert "不是普通文件" in entry.refused


def test_hidden_files_are_received_like_any_other(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / ".隐藏").mkdir(parents=True)
    (inbox / ".3708300001_甲小学.xlsx").write_bytes(b"a")
    (inbox / ".隐藏" / "b.xlsx").write_bytes(b"b")
    (inbox / "~$锁文件.xlsx").write_bytes(b"lock")  # Office's lock file of an open workbook
    names = sorted(f.file_name for f in archive_inbox(inbox, tmp_path / "archive"))
    assert names == [".3708300001_甲小学.xlsx", "b.xlsx"]
    assert sorted(p.name for p in discover(inbox)) == [".3708300001_甲小学.xlsx", "b.xlsx"]


def test_a_255_byte_name_is_archived_under_a_bounded_name(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = "报" * 83 + "a.xlsx"  # 83 × 3 + 6 = 255 bytes, the longest legal name
    assert len(name.encode()) == 255
    (inbox / name).write_bytes(b"return")
    [entry] = archive_inbox(inbox, tmp_path / "archive")
    assert entry.file_name == name and not entry.refused
    archived = Path(entry.archive_path)
    assert archived.read_bytes() == b"return" and archived.parent.name == entry.file_id
    assert archived.name.endswith("….xlsx") and len(archived.name.encode()) <= MAX_NAME_BYTES


def test_bounded_name_keeps_short_names_and_extensions() -> None:
    assert bounded_name("甲小学.xlsx") == "甲小学.xlsx"
    cut = bounded_name("学" * 100 + ".xlsx", 40)
    assert cut == "学" * 10 + "….xlsx"  # 10 × 3 + 3 (…) + 5 = 38 bytes; one more 学 would make 41
    assert bounded_name("报" * 60, 40) == "报" * 12 + "…"  # no extension: 12 × 3 + 3 = 39


def test_the_period_folder_is_checked_before_the_run(tmp_path: Path) -> None:
    """A period folder the reports cannot be written into fails the check, not the publishing after
    the load. (A file stands where the folder should be: chmod does not stop root.)"""
    out = tmp_path / "reports"
    out.mkdir()
    (out / "2026-10").write_text("not a folder", encoding="utf-8")
    assert check_output_writable(out) == out  # the old check looked at the reports folder only
    fresh = tmp_path / "fresh"
    assert check_output_writable(fresh, "2026-10", (tmp_path / "q" / "2026-10",)) == fresh
    assert fresh.is_dir() and not (fresh / "2026-10").exists() and not (tmp_path / "q").exists()  # left as found
    with pytest.raises(ConfigError, match="2026-10"):
        check_output_writable(out, "2026-10")
    quarantine = tmp_path / "quarantine"
    quarantine.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="quarantine"):
        check_output_writable(tmp_path / "ok", "2026-10", (quarantine / "2026-10",))


@pytest.mark.parametrize("period", ["2026-010", "2026-13", "2026-1０", "٢٠٢٦-١٠", "2026-10\n", "26-10", ""])
def test_the_flow_parameters_are_checked(period: str) -> None:
    with pytest.raises(ConfigError, match="报表期"):
        check_run_parameters(period, "new")
    check_run_parameters("2026-10", "all")
    with pytest.raises(ConfigError):
        check_run_parameters("2026-10", "everything")


def test_a_failed_copy_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(b"return")

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", disk_full)
    with pytest.raises(OSError):
        archive_inbox(inbox, tmp_path / "archive")
    assert [p for p in (tmp_path / "archive").rglob("*") if p.is_file()] == []
