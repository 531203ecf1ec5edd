"""Discover the inbox and archive every received file by content hash before anything else."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

from junheng.contract import ReceivedFile

IGNORED_PREFIXES = (".", "~$")  # hidden files and Office lock files are not returns


def discover(inbox: Path) -> list[Path]:
    """Every regular file below the inbox, in a stable order."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"收件目录不存在：{inbox}")
    return sorted(p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(IGNORED_PREFIXES))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def archive(paths: list[Path], archive_dir: Path) -> list[ReceivedFile]:
    """Copy each file to archive/<sha[:2]>/<sha>/<original name> (once) and describe it.

    The received time is the file's modification time in the inbox: it orders two returns of
    one school when their 填报日期 are equal.
    """
    out: list[ReceivedFile] = []
    for path in paths:
        digest = sha256_of(path)
        target = archive_dir / digest[:2] / digest / path.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            shutil.copy2(path, tmp)
            tmp.replace(target)  # atomic: a crash never leaves a half-copied archive entry
        stat = path.stat()
        out.append(
            ReceivedFile(
                file_id=digest,
                file_name=path.name,
                source_path=str(path),
                archive_path=str(target),
                received_at=datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0),
                size_bytes=stat.st_size,
            )
        )
    return out


def archive_inbox(inbox: Path, archive_dir: Path) -> list[ReceivedFile]:
    return archive(discover(inbox), archive_dir)


# IO on a file share can fail transiently: retried with backoff (data errors never are).
