"""Helpers for tests that start real processes: a Prefect server, workers, `junheng` runs.

Every process is started in its own session (process group) with a marker in its environment, so
a test can stop the whole group and then prove that nothing it started is still running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(home: Path, marker: str, **extra: str) -> dict[str, str]:
    """A clean environment: own PREFECT_HOME, no inherited Prefect API or result storage."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "JUNHENG_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90",
        JUNHENG_TEST_MARKER=marker,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start(cmd: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    fh = log.open("ab")
    try:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        fh.close()


def stop(proc: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and group_alive(proc.pid):
            time.sleep(0.2)
        if not group_alive(proc.pid):
            break
    if proc.poll() is None:
        proc.wait(timeout=5)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def processes_with_marker(marker: str) -> list[int]:
    """PIDs of live processes whose environment carries the marker (works across process groups)."""
    needle = f"JUNHENG_TEST_MARKER={marker}".encode()
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if needle in env.split(b"\0") and state != "Z":
            out.append(int(entry.name))
    return out


def wait_until(check: object, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


def healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@contextmanager
def prefect_server(home: Path, marker: str, log: Path) -> Iterator[str]:
    """`prefect server start` on a free loopback port with its own home; yields the API URL."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = base_env(home, marker, PREFECT_UI_ENABLED="false")
    proc = start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log)
    try:
        wait_until(lambda: healthy(api) or proc.poll() is not None, 120, "the Prefect server", log)
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        yield api
    finally:
        stop(proc)
