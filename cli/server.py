"""`junheng server start|stop|status`: a local Prefect server kept running between runs.

Without a server every `junheng run` starts Prefect's ephemeral one (a second Python process that
imports the whole Prefect server and checks its database) and pays that start-up on every run. A
bureau that keeps one running pays it once; `junheng run` finds it through a small file in the
project's Prefect home (the same home the ephemeral server uses, `<data-dir>/.prefect` unless
PREFECT_HOME is set) and talks to it instead. PREFECT_API_URL, when set, always wins.

The server runs `prefect server start` in a session of its own, so a run's clean-up (cli.supervise
stops the run's process group) and a closed terminal leave it alone, with its output in
`<home>/server.log` rather than a pipe nobody reads once the starting command has exited.

Beside it runs the checks service (expectations.checks_service, log `<home>/checks.log`): GX loaded
once, so a run's validation does not wait seconds for GX's import. A run uses it only when it runs the
same code as the run (expectations.checks_remote); `junheng server start` replaces one that does not.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from expectations.checks_remote import KEY_FILE as CHECKS_KEY_FILE
from expectations.checks_remote import STATE_FILE as CHECKS_STATE_FILE
from expectations.checks_remote import Service
from expectations.checks_remote import read_state as read_checks_state
from junheng.errors import ConfigError

STATE_FILE = "junheng-server.json"  # {"pid": ..., "api_url": ...}, written by `junheng server start`
LOG_FILE = "server.log"
CHECKS_LOG_FILE = "checks.log"
DEFAULT_PORT = 4200  # Prefect's own default
HOST = "127.0.0.1"  # the bureau's machine only: nothing outside it needs the API
START_TIMEOUT_SECONDS = 120.0
STOP_GRACE_SECONDS = 10.0
# Telemetry off on both sides: the server's heartbeat and the client's usage events (Prefect's
# documented switches). Without them the ephemeral server logs an error when it cannot send.
QUIET_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def prefect_home(data_dir: Path) -> Path:
    """The project's Prefect home: PREFECT_HOME when set, else `<data-dir>/.prefect`."""
    home = os.environ.get("PREFECT_HOME")
    return Path(home).expanduser().resolve() if home else (data_dir / ".prefect").resolve()


def healthy(api_url: str, timeout: float = 1.0) -> bool:
    """True when a Prefect API answers its health check at ``api_url`` (http://host:port/api)."""
    rest = api_url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit() or api_url == rest:
        return False
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", f"/{path}/health".replace("//", "/"))
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _state(home: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("api_url"), str) else None


def running_api_url(home: Path) -> str | None:
    """The API of the server `junheng server start` left running under ``home``, if it answers."""
    state = _state(home)
    if state is None or not healthy(state["api_url"], timeout=0.5):
        return None
    return str(state["api_url"])


def _alive(pid: int, marker: bytes = b"prefect") -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:  # a recycled pid is not ours to stop
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the state file


def _pid_of(state: dict[str, Any] | None) -> int:
    """The pid a state file names, 0 when none."""
    return int(state["pid"]) if state and isinstance(state.get("pid"), int) else 0


def _stop(pid: int, marker: bytes = b"prefect", group: bool = False) -> bool:
    """SIGTERM, then SIGKILL after STOP_GRACE_SECONDS; False when ``pid`` was not running (or not ours).
    ``group``: the whole process group ``pid`` leads (a process started in a session of its own, with its
    children)."""
    if not pid or not _alive(pid, marker):
        return False
    kill = os.killpg if group else os.kill
    kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline and _alive(pid, marker):
        time.sleep(0.1)
    if _alive(pid, marker):
        kill(pid, signal.SIGKILL)
    return True


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _home_of(args: argparse.Namespace) -> Path:
    from junheng.settings import load_settings

    settings = load_settings(data_dir=Path(args.data_dir) if args.data_dir else None)
    return prefect_home(settings.data_dir)


def start_server(home: Path, port: int = DEFAULT_PORT) -> str:
    """Start a Prefect server for ``home`` on loopback and wait until it answers; its API URL."""
    url = running_api_url(home)
    if url:
        return url
    if not _port_free(port):
        raise ConfigError(
            f"端口 {port} 已被占用，本地 Prefect 服务没有启动",
            "用 --port 换一个端口（如 4201），或先停止占用这个端口的程序",
        )
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://{HOST}:{port}/api"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(QUIET_ENV, PREFECT_HOME=str(home))
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)]
    with open(home / LOG_FILE, "ab") as log:
        proc = subprocess.Popen(
            [*command, "--analytics-off"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not in the caller's process group: a run's clean-up leaves it running
        )
    (home / STATE_FILE).write_text(json.dumps({"pid": proc.pid, "api_url": api_url}), encoding="utf-8")
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            (home / STATE_FILE).unlink(missing_ok=True)
            raise ConfigError(
                f"本地 Prefect 服务启动失败（退出码 {proc.returncode}）", f"查看日志 {home / LOG_FILE} 后重新启动"
            )
        if healthy(api_url):
            return api_url
        time.sleep(0.2)
    stop_server(home)
    raise ConfigError(
        f"本地 Prefect 服务 {START_TIMEOUT_SECONDS:.0f} 秒内没有就绪，已停止", f"查看日志 {home / LOG_FILE} 后重新启动"
    )


def stop_server(home: Path) -> bool:
    """Stop the server `junheng server start` started for ``home``; False when none was running."""
    state = _state(home)
    (home / STATE_FILE).unlink(missing_ok=True)
    return _stop(_pid_of(state))


# --------------------------------------------------------------------------- the checks service

CHECKS_MARKER = b"expectations.checks_service"


def start_checks_service(home: Path) -> bool:
    """Start the checks service (expectations.checks_service) for ``home`` unless one with this code runs
    there already, and wait until it listens; False when it could not start (runs then check in their own
    processes, as without it)."""
    if Service.find(home):
        return True
    stop_checks_service(home)  # one left by an earlier version of the code
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    with open(home / CHECKS_LOG_FILE, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "expectations.checks_service", "--home", str(home)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and proc.poll() is None:
        state = read_checks_state(home)
        if state is not None and state.get("pid") == proc.pid:
            return Service.find(home) is not None
        time.sleep(0.1)
    _stop(proc.pid, CHECKS_MARKER, group=True)
    return False


def stop_checks_service(home: Path) -> bool:
    """Stop the checks service under ``home``; False when none was running."""
    state = read_checks_state(home)
    for name in (CHECKS_STATE_FILE, CHECKS_KEY_FILE):
        (home / name).unlink(missing_ok=True)
    return _stop(_pid_of(state), CHECKS_MARKER, group=True)  # with its validation processes


CHECKS_UP = "数据校验服务正在运行（已载入校验程序），junheng run 的校验交给它做"
CHECKS_DOWN = "数据校验服务没有运行；junheng run 每次自己载入校验程序（较慢）"


def cmd_server_start(args: argparse.Namespace) -> int:
    home = _home_of(args)
    # The checks service first: it loads GX while the Prefect server starts.
    checks = start_checks_service(home)
    url = start_server(home, args.port)
    print(f"本地 Prefect 服务正在运行：{url}（数据目录的 Prefect 主目录 {home}，日志 {home / LOG_FILE}）")
    print(CHECKS_UP if checks else f"{CHECKS_DOWN}：启动失败，见日志 {home / CHECKS_LOG_FILE}")
    print("此后 junheng run 自动使用它们；停止：junheng server stop")
    return 0


def cmd_server_stop(args: argparse.Namespace) -> int:
    home = _home_of(args)
    checks = stop_checks_service(home)
    print("本地 Prefect 服务已停止" if stop_server(home) else "没有正在运行的本地 Prefect 服务")
    if checks:
        print("数据校验服务已停止")
    return 0


def cmd_server_status(args: argparse.Namespace) -> int:
    home = _home_of(args)
    url = running_api_url(home)
    if url:
        print(f"本地 Prefect 服务正在运行：{url}；junheng run 会使用它")
    else:
        print("本地 Prefect 服务没有运行；junheng run 每次启动临时服务（较慢）。启动：junheng server start")
    if Service.find(home):
        print(CHECKS_UP)
    elif read_checks_state(home):
        print(
            "数据校验服务不可用：它运行的是另一版本的程序，或已无响应；junheng run 暂时自己载入校验程序（较慢）。"
            "重新运行 junheng server start 即可换成当前版本"
        )
    else:
        print(CHECKS_DOWN)
    return 0


def add_server_parser(sub: Any, sub_parser: Any) -> None:
    """`server start|stop|status` (sub: the top-level add_subparsers(); sub_parser: cli's _sub helper)."""
    what = "本地 Prefect 服务和数据校验服务：常驻后台，每次运行省去启动它们的时间"
    sv = sub_parser(sub, "server", what, "junheng server start")
    sv_sub = sv.add_subparsers(dest="server_command", required=True, title="命令", metavar="命令")
    for name, what, func in (
        ("start", "在后台启动本地 Prefect 服务和数据校验服务（已在运行则直接返回）", cmd_server_start),
        ("stop", "停止本地 Prefect 服务和数据校验服务", cmd_server_stop),
        ("status", "查看本地 Prefect 服务和数据校验服务是否在运行", cmd_server_status),
    ):
        p = sub_parser(sv_sub, name, what, f"junheng server {name} --data-dir data")
        p.add_argument("--data-dir", metavar="目录", default=None, help="数据目录（默认 ./data；服务的状态保存在其中）")
        if name == "start":
            p.add_argument("--port", metavar="端口", type=int, default=DEFAULT_PORT, help="监听端口（默认 4200）")
        p.set_defaults(func=func)
