"""Retry only what a retry can fix: IO (database connection, file share), never data or config errors."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa

from junheng.errors import JunhengError, TransientIOError


def _delays() -> list[float]:
    """Backoff between attempts; JUNHENG_RETRY_DELAYS="0.2,0.2" shortens it (tests)."""
    raw = os.environ.get("JUNHENG_RETRY_DELAYS", "")
    return [float(x) for x in raw.split(",") if x.strip()] if raw else [2.0, 10.0, 30.0]


def is_io_error(exc: BaseException | None) -> bool:
    """True for transient IO: lost or refused database connections, OS-level file errors."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, TransientIOError):
            return True
        if isinstance(exc, JunhengError):  # DataError, FileRejected, ConfigError: the same input fails again
            return False
        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.DisconnectionError):
            return True
        if isinstance(exc, sa.exc.SQLAlchemyError):
            return False  # integrity, programming and data errors
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | NotADirectoryError):
            return True  # a missing inbox is a configuration problem, not a hiccup
        exc = exc.__cause__ or exc.__context__
    return False


def retry_on_io(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry the failed task run only when it failed on IO."""
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:
        return is_io_error(exc)
    return False


def io_retries() -> dict[str, Any]:
    """Keyword arguments for ``@task``: retries with backoff and jitter, for IO errors only."""
    delays = _delays()
    return {
        "retries": len(delays),
        "retry_delay_seconds": delays,
        "retry_jitter_factor": 0.2,
        "retry_condition_fn": retry_on_io,
    }
