"""Discover the inbox and archive every received file by content hash before anything else.

Files are taken as they come: any legal name (hidden ones too), archived under a bounded name. What is
not a regular file — a symbolic link, a device, a pipe, a socket, an unreadable file — is never
opened or copied (a link to /proc/self/environ would copy the run's secrets into the archive): it is
received as a refused file, so 报送情况 lists it with the reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from datetime import datetime
from pathlib import Path

from junheng.contract import ReceivedFile

# Office's lock files (~$报表.xlsx) exist only while someone has the return open: not a return.
IGNORED_PREFIXES = ("~$",)
# Archived names are cut to this many bytes (UTF-8), keeping the extension; the folder is the hash.
MAX_NAME_BYTES = 150


def discover(inbox: Path) -> list[Path]:
    """Every entry below the inbox that is not a folder, in a stable order; links are not followed."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"收件目录不存在：{inbox}")
    found: list[Path] = []
    for root, dirs, files in os.walk(inbox, followlinks=False):
        base = Path(root)
        # A link to a folder is listed (and refused) like any other link, never walked into.
        found.extend(base / d for d in dirs if (base / d).is_symlink())
        found.extend(base / f for f in files if not f.startswith(IGNORED_PREFIXES))
    return sorted(found)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bounded_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` cut to at most ``limit`` UTF-8 bytes, its extension kept (e.g. "很长的…名字….xlsx")."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    tail = f"….{ext}" if ext else "…"
    room = limit - len(tail.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut + tail


def _refusal(path: Path) -> str:
    """Why a directory entry is not read (empty for a regular, readable file)."""
    try:
        st = path.lstat()
    except OSError as exc:
        return f"文件无法访问（{exc.strerror or type(exc).__name__}）"
    if stat.S_ISLNK(st.st_mode):
        return "这是一个符号链接（快捷方式），不是报表文件本身；为安全起见没有打开，也没有复制"
    if not stat.S_ISREG(st.st_mode):
        return "这不是普通文件（设备、管道或套接字），没有打开"
    if not os.access(path, os.R_OK):
        return "文件没有读取权限，无法打开"
    return ""


def _refused(path: Path, inbox: Path | None, why: str) -> ReceivedFile:
    """A received entry that is not read: its id is the hash of its place in the inbox, not of its bytes."""
    where = str(path.relative_to(inbox)) if inbox is not None and path.is_relative_to(inbox) else str(path)
    try:
        st = path.lstat()
        mtime, size = st.st_mtime, st.st_size
    except OSError:
        mtime, size = datetime.now().timestamp(), 0
    return ReceivedFile(
        file_id=hashlib.sha256(f"refused:{where}".encode("utf-8", "surrogateescape")).hexdigest(),
        file_name=path.name,
        source_path=str(path),
        archive_path="",  # nothing was copied
        received_at=datetime.fromtimestamp(mtime).replace(microsecond=0),
        size_bytes=size,
        refused=why,
    )


def archive(paths: list[Path], archive_dir: Path, inbox: Path | None = None) -> list[ReceivedFile]:
    """Copy each regular file to archive/<sha[:2]>/<sha>/<name, bounded> (once) and describe it;
    describe every other entry as refused (never opened, never copied).

    The received time is the file's modification time in the inbox: it orders two returns of
    one school when their 填报日期 are equal.
    """
    out: list[ReceivedFile] = []
    for path in paths:
        why = _refusal(path)
        if why:
            out.append(_refused(path, inbox, why))
            continue
        # O_NOFOLLOW: a file swapped for a link after the check above is refused by the kernel.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                out.append(_refused(path, inbox, "这不是普通文件（设备、管道或套接字），没有打开"))
                continue
            h = hashlib.sha256()
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
            digest = h.hexdigest()
            target = archive_dir / digest[:2] / digest / bounded_name(path.name)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.parent / f".{digest[:16]}.part"  # short: the name may already be at the limit
                fh.seek(0)
                try:
                    with tmp.open("wb") as dst:
                        shutil.copyfileobj(fh, dst, 1 << 20)
                    os.utime(tmp, (st.st_atime, st.st_mtime))
                    tmp.replace(target)  # atomic: a crash never leaves a half-copied archive entry
                except BaseException:
                    tmp.unlink(missing_ok=True)  # a full disk leaves no partial copy behind
                    raise
        out.append(
            ReceivedFile(
                file_id=digest,
                file_name=path.name,
                source_path=str(path),
                archive_path=str(target),
                received_at=datetime.fromtimestamp(st.st_mtime).replace(microsecond=0),
                size_bytes=st.st_size,
            )
        )
    return out


def archive_inbox(inbox: Path, archive_dir: Path) -> list[ReceivedFile]:
    return archive(discover(inbox), archive_dir, inbox)


# IO on a file share can fail transiently: retried with backoff (data errors never are).
