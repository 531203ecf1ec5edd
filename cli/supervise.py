"""A pipeline command runs in a child process group of its own, so whatever the run starts (the
ephemeral Prefect server, the reader's worker processes) stops with it, even when the run is killed
(the kernel's OOM killer, a parser abort, kill -9) and no clean-up of its own can run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

SUPERVISED_ENV = "JUNHENG_SUPERVISED"  # set in the child: it runs the command itself
EXIT_CRASHED = 1
GRACE_SECONDS = 5.0


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs. A zombie does not count: an orphan that has exited stays
    in the group until init reaps it, which some inits do only every second or two (measured here: 2.0 s
    of every run's exit spent waiting for two exited reader processes), and it holds nothing to stop."""
    import psutil  # here, not at the top: the supervising parent imports nothing it does not need

    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, PermissionError):
            continue
    return False


def stop_group(pgid: int, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every process left in the group, then SIGKILL what is still there after ``grace``."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_alive(pgid):
        time.sleep(0.1)
    if _group_alive(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def run_supervised(argv: list[str]) -> int:
    """Run ``junheng <argv>`` in a new process group and return its exit code; stop the group after it."""
    child = subprocess.Popen(
        [sys.executable, "-m", "cli", *argv],
        env={**os.environ, SUPERVISED_ENV: "1"},
        start_new_session=True,
    )

    def forward(signum: int, _frame: FrameType | None) -> None:
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    code = child.wait()
    stop_group(child.pid)
    if code >= 0:
        return code
    name = signal.Signals(-code).name
    print(
        f"错误：运行异常中止（进程被信号 {name} 终止，可能是内存不足或被人为结束）；"
        "本次运行启动的后台服务已停止。入库在一个事务中完成，不会留下半写的数据。"
        "处理办法：检查内存和磁盘后重新运行；同一文件反复导致中止时，把它移出收件目录并告知学校",
        file=sys.stderr,
    )
    return EXIT_CRASHED
