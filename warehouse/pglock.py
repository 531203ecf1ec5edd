"""Bounded lock waits on PostgreSQL: no reader, no stray session and no other run can make a run wait
forever. Advisory locks are polled with pg_try_advisory_xact_lock* (a run stays stoppable: Python
handles SIGTERM and Ctrl-C between polls) until a deadline; DDL runs under SET LOCAL lock_timeout.
When the deadline passes the run stops with who holds the lock and what to do.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from junheng.errors import JunhengError

INIT_LOCK_KEY = 0x4A48_494E_4954  # "JHINIT": held while the schema is set up or upgraded
DEFAULT_WAIT_SECONDS = 900.0
LOCK_TIMEOUT_SQLSTATE = "55P03"


class LockWaitTimeout(JunhengError):
    """Another connection held a lock this run needs for longer than the run may wait."""


def lock_wait_seconds() -> float:
    """How long a run waits for a lock in all: JUNHENG_LOCK_WAIT_SECONDS (default 900 s, a long load of
    the same county's period by another run fits in it)."""
    raw = os.environ.get("JUNHENG_LOCK_WAIT_SECONDS", "").strip()
    if not raw:
        return DEFAULT_WAIT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise JunhengError(
            f"JUNHENG_LOCK_WAIT_SECONDS 的值「{raw}」不是正数", "请设为等待锁的秒数，例如 900；或删除此设置"
        )
    return value


def holders(conn: Connection, *, key: int | None = None, relations: list[str] | None = None) -> str:
    """Who holds the advisory lock ``key`` or a lock on ``relations`` (schema.name): user, process, since."""
    where = []
    params: dict[str, object] = {}
    if key is not None:
        where.append("(l.locktype = 'advisory' AND l.classid::bigint = :hi AND l.objid::bigint = :lo)")
        params.update(hi=(key >> 32) & 0xFFFFFFFF, lo=key & 0xFFFFFFFF)
    if relations:
        where.append("(l.locktype = 'relation' AND l.relation::regclass::text = ANY(:rels))")
        params["rels"] = relations
    if not where:
        return ""
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT a.pid, a.usename, a.application_name, a.xact_start, a.backend_start "
            "FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
            f"WHERE l.granted AND a.pid <> pg_backend_pid() AND ({' OR '.join(where)}) ORDER BY a.pid"
        ),
        params,
    ).all()
    parts = []
    for r in rows:
        since = r.xact_start or r.backend_start
        when = f"，自 {since:%Y-%m-%d %H:%M:%S} 起" if isinstance(since, datetime) else ""
        app = f"，程序 {r.application_name}" if r.application_name else ""
        parts.append(f"用户 {r.usename}（进程号 {r.pid}{app}{when}）")
    return "；".join(parts)


def timeout_error(what: str, waited: float, who: str) -> LockWaitTimeout:
    held = f"，持有者：{who}" if who else ""
    return LockWaitTimeout(
        f"{what}需要的数据库锁被其他连接占用，已等待 {waited:.0f} 秒，本次运行停止，未写入任何数据{held}",
        "请持有者结束其事务（关闭打开的查询或分析窗口；管理员可执行 SELECT pg_terminate_backend(进程号)），"
        "然后重新运行；等待上限由 JUNHENG_LOCK_WAIT_SECONDS 设置（秒）",
    )


def acquire(conn: Connection, key: int, what: str, *, shared: bool = False, wait: float | None = None) -> None:
    """Take a transaction-level advisory lock, polling until ``wait`` seconds have passed."""
    fn = "pg_try_advisory_xact_lock_shared" if shared else "pg_try_advisory_xact_lock"
    limit = lock_wait_seconds() if wait is None else wait
    start = time.monotonic()
    delay = 0.02
    while not conn.execute(sa.text(f"SELECT {fn}(:k)"), {"k": key}).scalar_one():
        waited = time.monotonic() - start
        if waited >= limit:
            raise timeout_error(what, waited, holders(conn, key=key))
        time.sleep(min(delay, max(limit - waited, 0.0)))
        delay = min(delay * 2, 1.0)


def is_lock_timeout(exc: BaseException) -> bool:
    """A statement that gave up on lock_timeout (SQLSTATE 55P03), under SQLAlchemy's wrapper."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == LOCK_TIMEOUT_SQLSTATE


def set_lock_timeout(conn: Connection, seconds: float) -> None:
    """SET LOCAL lock_timeout for the rest of the transaction (milliseconds, a whole number)."""
    conn.execute(sa.text(f"SET LOCAL lock_timeout = {max(int(seconds * 1000), 1)}"))
