"""Checks before a run touches the warehouse: a run that cannot publish must not load."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path

from junheng.errors import ConfigError

PROBE_BYTES = 1 << 20  # a report run writes a few MB; a full disk usually fails this first
PERIOD_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # ASCII digits only: \d would take ０ or ٠
REREAD = ("new", "failed", "all")


def check_run_parameters(period: str, reread: str) -> None:
    """The flow's own parameters, checked however the flow is called (CLI, deployment, a script)."""
    if not isinstance(period, str) or not PERIOD_RE.fullmatch(period):
        raise ConfigError(
            f"报表期应为 YYYY-MM（半角数字，月份 01–12），收到 {period!r}", "例如 2026-10；本次运行没有改动任何数据"
        )
    if reread not in REREAD:
        raise ConfigError(
            f"reread 应为 new、failed 或 all，收到 {reread!r}", "new 只读新文件，failed 只重读被退回的文件"
        )


def _probe(folder: Path, what: str, keep: bool = False) -> None:
    """Write and delete a probe file in ``folder``; unless ``keep``, the folders created for it are
    removed again, so a run that stops later leaves no empty period folder behind."""
    missing = [] if keep else [p for p in (folder, *folder.parents) if not p.exists()]
    probe = folder / f".junheng-write-test-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as fh:
            fh.write(b"\0" * PROBE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise ConfigError(
            f"{what} {folder} 无法写入（{exc.strerror or type(exc).__name__}），本次运行没有改动数据仓库",
            "检查该目录的写权限和磁盘剩余空间，或用 --out / --data-dir 指定其他目录后重新运行",
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
        for p in missing:  # deepest first
            with contextlib.suppress(OSError):
                p.rmdir()


def check_output_writable(out_dir: Path, period: str | None = None, also: tuple[Path, ...] = ()) -> Path:
    """Write (then delete) a probe file in the output folder, in the period's folder below it (where
    the reports go) and in every folder of ``also`` (the period's quarantine); a clear error if any
    of them cannot be written. Returns ``out_dir``."""
    _probe(out_dir, "报告输出目录", keep=True)
    if period:
        _probe(out_dir / period, "本期报告目录")
    for folder in also:
        _probe(folder, "目录")
    return out_dir
