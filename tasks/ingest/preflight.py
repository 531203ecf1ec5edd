"""Checks before a run touches the warehouse: a run that cannot publish must not load."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from junheng.errors import ConfigError

PROBE_BYTES = 1 << 20  # a report run writes a few MB; a full disk usually fails this first


def check_output_writable(out_dir: Path) -> Path:
    """Create the output folder and write (then delete) a probe file; a clear error if that fails."""
    probe = out_dir / f".junheng-write-test-{uuid.uuid4().hex}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as fh:
            fh.write(b"\0" * PROBE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise ConfigError(
            f"报告输出目录 {out_dir} 无法写入（{exc.strerror or type(exc).__name__}），本次运行没有改动数据仓库",
            "检查该目录的写权限和磁盘剩余空间，或用 --out 指定其他目录后重新运行",
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return out_dir
