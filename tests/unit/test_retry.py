"""Retries are for IO only: a data or configuration error fails at once."""

from __future__ import annotations

import sqlalchemy as sa

from junheng.errors import ConfigError, DataError, FileRejected, TransientIOError
from junheng.retry import io_retries, is_io_error, retry_on_io
from tasks.ingest.prefect_tasks import archive_inbox_task
from tasks.model.prefect_tasks import check_policy_task, load_run_task


def op_error() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("connect", {}, ConnectionRefusedError(111, "Connection refused"))


def test_io_errors_are_retried() -> None:
    assert is_io_error(op_error())
    assert is_io_error(TransientIOError("网络中断"))
    assert is_io_error(ConnectionResetError())
    assert is_io_error(PermissionError("share"))
    try:
        try:
            raise op_error()
        except sa.exc.OperationalError as e:
            raise RuntimeError("wrapped") from e
    except RuntimeError as wrapped:
        assert is_io_error(wrapped)


def test_data_and_config_errors_are_not() -> None:
    assert not is_io_error(DataError("坏数据"))
    assert not is_io_error(FileRejected("加密", "去掉密码"))
    assert not is_io_error(ConfigError("设置错误"))
    assert not is_io_error(FileNotFoundError("收件目录不存在"))
    assert not is_io_error(sa.exc.IntegrityError("insert", {}, Exception("dup")))
    assert not is_io_error(ValueError("bug"))


def test_the_io_tasks_use_the_condition(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for t in (archive_inbox_task, load_run_task, check_policy_task):
        assert t.retry_condition_fn is retry_on_io and t.retries == 3
    monkeypatch.setenv("JUNHENG_RETRY_DELAYS", "0.5,1")
    assert io_retries()["retry_delay_seconds"] == [0.5, 1.0] and io_retries()["retries"] == 2
