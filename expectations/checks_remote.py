"""The run's side of the checks service (`junheng server start` keeps one running beside the Prefect server).

A county's rerun spends most of its time on GX's fixed costs: its import and context (about 5 s on a
slow machine, 1.8 s on a fast one) before the first validation can start. The checks service is a
process that has paid them once and validates what runs send it. It holds no policy of its own: a run
sends its frames and the policy rules it loaded, and the service builds (and caches) the suites of
exactly those rules. What it could hold stale is code: the service and the run each compute a
fingerprint of the checks' code (junheng/ and expectations/, Python and library versions), and a run
uses the service only when the two are equal. Otherwise, or when the service is gone, the run checks
in its own processes as before: the service is a shortcut, never a requirement.

Loopback TCP with multiprocessing's authenticated connections (an HMAC challenge on a random key that
only the bureau's account can read, `checks.key` in the Prefect home); the messages are pickles, as
between any two processes of one program. One connection per call, so Prefect's task threads need no
shared connection.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from importlib import metadata
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from pathlib import Path
from typing import Any

STATE_FILE = "junheng-checks.json"  # {"pid", "port", "fingerprint"}, written by the service once it listens
KEY_FILE = "checks.key"
HOST = "127.0.0.1"
# A call that gets no answer in this long is given up and checked here (a service stopped with SIGSTOP,
# say). A county's validation takes seconds; the service takes a county's frames only (see gx_suite).
ANSWER_TIMEOUT_SECONDS = 600.0
# What the fingerprint covers besides our own code: the libraries whose behaviour decides a finding.
LIBRARIES = ("great-expectations", "pandas", "numpy", "pydantic")
OK, STALE, FAILED = "ok", "stale", "failed"


class ServiceUnavailable(Exception):
    """The service cannot answer this call (gone, stale, unreachable): check in this process instead."""


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A hash of everything that decides what the checks find: the source of junheng/ and expectations/
    (code, the template spec, the bundled policy and plan files), the library versions and Python's."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for root in (here, here.parent / "junheng"):
        for path in sorted(root.rglob("*")):
            if path.suffix in {".py", ".yaml"} and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root.parent)).encode())
                h.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            h.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name} absent".encode())
    h.update(sys.version.encode())
    return h.hexdigest()


def read_state(home: Path) -> dict[str, Any] | None:
    """The service's state file under ``home``, if it names a port and a fingerprint."""
    try:
        state = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(state, dict) and isinstance(state.get("port"), int) and isinstance(state.get("fingerprint"), str)
    return state if ok else None


def write_key(home: Path) -> bytes:
    """A new random key, readable by this account only."""
    key = os.urandom(32)
    path = home / KEY_FILE
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


class Service:
    """The checks service under a Prefect home, as a run sees it."""

    def __init__(self, port: int, key: bytes) -> None:
        self.port = port
        self.key = key

    @classmethod
    def find(cls, home: Path) -> Service | None:
        """The service `junheng server start` left running under ``home``, if it answers and runs this code."""
        state = read_state(home)
        if state is None or state["fingerprint"] != fingerprint():
            return None
        try:
            service = cls(int(state["port"]), (home / KEY_FILE).read_bytes())
            service.call("ping")
        except (OSError, ServiceUnavailable):
            return None
        return service

    def call(self, name: str, *args: Any) -> Any:
        """Run the service's function ``name`` on ``args``; its error is raised here as it was raised there."""
        try:
            with Client((HOST, self.port), authkey=self.key) as conn:
                conn.send((fingerprint(), name, args))
                if not conn.poll(ANSWER_TIMEOUT_SECONDS):
                    raise ServiceUnavailable(f"检查服务 {ANSWER_TIMEOUT_SECONDS:.0f} 秒内没有回应")
                status, value = conn.recv()
        except (OSError, EOFError, AuthenticationError) as e:  # refused, reset, another key, the service died mid-call
            raise ServiceUnavailable(str(e)) from e
        if status == STALE:
            raise ServiceUnavailable("检查服务运行的程序版本与本次运行不同")
        if status == FAILED:
            raise value
        return value
