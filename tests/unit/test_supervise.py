"""The CLI's supervisor (cli/supervise.py): what counts as a process still running in the run's group."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from cli.supervise import _group_alive, stop_group


def _zombie_of_own_group() -> subprocess.Popen[bytes]:
    """A process that leads its own group and has exited, not yet reaped: a zombie in that group."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    for _ in range(200):
        with open(f"/proc/{proc.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return proc
        time.sleep(0.05)
    raise AssertionError("the child did not exit")


def test_a_group_of_exited_unreaped_processes_is_not_running() -> None:
    proc = _zombie_of_own_group()
    try:
        assert not _group_alive(proc.pid)  # a zombie is still in the group; it is not waited for
    finally:
        proc.wait()


def test_a_running_group_is_running_until_stopped() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        assert _group_alive(proc.pid)
        stop_group(proc.pid, grace=10.0)
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
