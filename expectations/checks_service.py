"""The checks service: a long-lived process with GX loaded that validates what county runs send it.

`junheng server start` starts it beside the Prefect server (`python -m expectations.checks_service
--home <Prefect home>`); expectations.checks_remote is the run's side and says what may and may not
travel. It answers three calls: ``ping``, and gx_suite's ``validate_returns`` and ``check_policy``,
which here run in this process (the service itself has no service to send them to).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import traceback
from collections.abc import Callable
from datetime import date
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

from expectations import gx_suite
from expectations.checks_remote import FAILED, HOST, OK, STALE, STATE_FILE, fingerprint, write_key

# A run's validations (each suite in as many parts) go to this many processes of the service's own. The run
# waits idle meanwhile, so on two cores they take about half as long (bench/README.md, session 6).
VALIDATION_PROCESSES = 2


def _ping() -> None:
    return None


CALLS: dict[str, Callable[..., Any]] = {
    "ping": _ping,
    "validate_returns": gx_suite.validate_returns,
    "check_policy": gx_suite.check_policy,
}


def recent_periods(today: date) -> list[str]:
    """This month and the one before: the periods a bureau runs (a month's returns arrive in the next)."""
    before = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return [f"{d.year:04d}-{d.month:02d}" for d in (today, before)]


def _warm_up(periods: list[str]) -> None:
    """GX's import and context, and the recent periods' suites; another period's are built on its first call."""
    for period in periods:
        try:
            gx_suite.warm_up(period)
        except Exception:  # a broken policy file: the run that sends it gets the error in its own stage
            traceback.print_exc()


def _answer(conn: Connection) -> None:
    with conn:
        try:
            code, name, args = conn.recv()
        except Exception:  # not one of our runs' messages; nothing to answer
            return
        if code != fingerprint() or name not in CALLS:
            conn.send((STALE, None))
            return
        try:
            result = (OK, CALLS[name](*args))
        except Exception as e:  # the run raises it in its own stage, as if it had checked there
            result = (FAILED, e)
        try:
            conn.send(result)
        except Exception as e:  # an exception that does not pickle: its text still reaches the run
            conn.send((FAILED, RuntimeError(f"{type(e).__name__}: {e}")))


def serve(home: Path) -> None:
    """Listen on a free loopback port until stopped; the state file says where, once it listens."""
    home.mkdir(parents=True, exist_ok=True)
    key = write_key(home)
    with Listener((HOST, 0), authkey=key) as listener:
        periods = recent_periods(date.today())
        threading.Thread(target=_warm_up, args=(periods,), daemon=True).start()
        if (os.cpu_count() or 1) >= VALIDATION_PROCESSES:
            gx_suite.validate_in_processes(VALIDATION_PROCESSES, periods)
        state = {"pid": os.getpid(), "port": listener.address[1], "fingerprint": fingerprint()}
        tmp = home / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(home / STATE_FILE)
        while True:
            try:
                conn = listener.accept()
            except (AuthenticationError, OSError, EOFError):  # a caller without the key, or one that hung up
                continue
            threading.Thread(target=_answer, args=(conn,), daemon=True).start()


def main() -> None:
    ap = argparse.ArgumentParser(description="junheng 检查服务（由 junheng server start 启动）")
    ap.add_argument("--home", required=True, help="Prefect 主目录：状态文件和密钥写在这里")
    serve(Path(ap.parse_args().home))


if __name__ == "__main__":
    main()
