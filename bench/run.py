"""Benchmark: the parsing limit, junheng end to end and the naive pipeline on N generated returns.

python -m bench.run --n 2000            # N and a smaller N (N/10) for the slope; results in bench/out/
python -m bench.run --n 20000 --small 2000 --naive-sample 200
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PERIOD = "2026-10"
# The pipeline (ingest, read, validate, load + compute, policy check, marts, publish); the
# flow's other tasks (county report, school feedback, alerts …) are reported apart.
CORE_TASKS = (
    "archive-inbox",
    "read-returns",
    "validate-returns",
    "load-and-compute",
    "policy-violations",
    "read-marts",
    "publish-reports",
)
GEN_CHUNK = 5000  # schools per generated "county" (demo school codes have a 4-digit serial)


# --------------------------------------------------------------------------- inputs


def _gen_chunk(job: tuple[Path, int, int, int]) -> int:
    """Write one chunk of demo returns; chunk c gets county code 370830 + c so codes stay unique."""
    from tasks.demo.returns import COUNTY_CODE, make_demo_returns
    from tasks.publish.template import write_return

    outdir, chunk, schools, seed = job
    county = f"{int(COUNTY_CODE) + chunk:06d}"
    for name, ret in make_demo_returns(schools=schools, period=PERIOD, seed=seed + chunk):
        info = ret["info"]
        for key in ("school_code", "parent_school_code"):
            if isinstance(info.get(key), str):
                info[key] = county + info[key][len(COUNTY_CODE) :]
        write_return(outdir / (county + name[len(COUNTY_CODE) :]), ret)
    return schools


def inputs(n: int, seed: int) -> Path:
    """bench/out/inputs-N-seed: N returns, generated once and reused by later runs."""
    d = OUT / f"inputs-{n}-{seed}"
    done = d / ".complete"
    if done.exists():
        return d
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    sizes = [min(GEN_CHUNK, n - i) for i in range(0, n, GEN_CHUNK)]
    if sizes[-1] < 6 and len(sizes) > 1:  # the demo county needs at least 6 schools
        sizes[-2] -= 6 - sizes[-1]
        sizes[-1] = 6
    t = time.perf_counter()
    with Pool(os.cpu_count() or 1) as pool:
        pool.map(_gen_chunk, [(d, c, k, seed) for c, k in enumerate(sizes)], chunksize=1)
    print(f"  生成 {n} 份报表：{time.perf_counter() - t:.1f} s → {d}", flush=True)
    done.write_text(str(n))
    return d


def _files(inbox: Path) -> list[str]:
    return sorted(str(p) for p in inbox.iterdir() if p.suffix == ".xlsx")


# --------------------------------------------------------------------------- (a) the limit


def _read_all_sheets(path: str) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    try:
        return sum(len(wb.get_sheet_by_name(s).to_python()) for s in wb.sheet_names)
    finally:
        wb.close()


def measure_limit(inbox: Path) -> dict[str, Any]:
    """python-calamine reading every sheet of every file, one process per core, no logic."""
    files = _files(inbox)
    procs = os.cpu_count() or 1
    load = os.getloadavg()[0]
    t = time.perf_counter()
    with Pool(procs) as pool:
        rows = sum(pool.map(_read_all_sheets, files, chunksize=64))
    seconds = time.perf_counter() - t
    return {"files": len(files), "processes": procs, "rows": rows, "seconds": seconds, "load_before": load}


# --------------------------------------------------------------------------- (b) junheng


def _rss_now_mb() -> float:
    """The process's resident memory now (peak RSS only ever grows, so it cannot show what a stage keeps)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Span = tuple[str, float, float, float, float]  # task, start, end, RSS after (MB), peak RSS so far (MB)


def _timed_tasks(modules: list[Any], spans: list[Span]) -> None:
    """Wrap the .fn of every Prefect task the flow uses: stage times (and memory) of the real flow run."""
    import functools
    import threading

    from prefect import Task

    lock = threading.Lock()
    seen: set[int] = set()
    for mod in modules:
        for obj in list(vars(mod).values()):
            if not isinstance(obj, Task) or id(obj) in seen:
                continue
            seen.add(id(obj))
            fn, name = obj.fn, obj.name

            @functools.wraps(fn)
            def timed(*a: Any, __fn: Any = fn, __name: str = name, **k: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return __fn(*a, **k)
                finally:
                    t1 = time.perf_counter()
                    with lock:
                        spans.append((__name, t0, t1, _rss_now_mb(), _peak_mb()))

            obj.fn = timed


def e2e_child(inbox: str, data_dir: str, url: str | None, out_json: str) -> None:
    """Runs in a fresh process: imports, Prefect start-up and the monthly flow, timed."""
    t_start = time.perf_counter()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    import flows.monthly as monthly

    try:  # every stage's Prefect tasks (older trees kept them elsewhere: then the flow's imports only)
        import importlib

        extra = [importlib.import_module(f"tasks.{s}.prefect_tasks") for s in ("read",)]
    except ImportError:
        extra = []
    t_import = time.perf_counter()
    spans: list[Span] = []
    _timed_tasks([monthly, *extra], spans)
    t_flow = time.perf_counter()
    state = monthly.monthly_returns(
        period=PERIOD,
        inbox=inbox,
        warehouse_url=url,
        data_dir=data_dir,
        out_dir=str(Path(data_dir) / "reports"),
        return_state=True,
    )
    t_end = time.perf_counter()
    result = state.result()
    stages: dict[str, dict[str, float]] = {}
    for name, a, b, rss, peak in spans:
        st = stages.setdefault(name, {"calls": 0, "sum_s": 0.0, "first": a, "last": b})
        st["calls"] += 1
        st["sum_s"] += b - a
        st["first"], st["last"] = min(st["first"], a), max(st["last"], b)
        st["rss_after_mb"], st["peak_after_mb"] = rss, peak
    first_task = min((a for _, a, *_ in spans), default=t_flow)
    out = {
        "seconds_total": t_end - t_start,
        "import_s": t_import - t_start,
        "flow_s": t_end - t_flow,
        "flow_start_to_first_task_s": first_task - t_flow,
        "stages": {
            k: {
                "calls": v["calls"],
                "sum_s": v["sum_s"],
                "wall_s": v["last"] - v["first"],
                "rss_after_mb": v["rss_after_mb"],
                "peak_after_mb": v["peak_after_mb"],
            }
            for k, v in sorted(stages.items(), key=lambda kv: kv[1]["first"])
        },
        "files_loaded": result.get("files_loaded"),
        "files_received": result.get("files_received"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    Path(out_json).write_text(json.dumps(out, ensure_ascii=False, default=str), encoding="utf-8")


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    out_json = OUT / f"child-{os.getpid()}-{time.time_ns()}.json"
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", *args, "--child-out", str(out_json)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0 or not out_json.exists():
        noise = ("leaked", "nanobind", "skipped remainder", "refleaks")  # duckdb 2.0 exit noise
        lines = [ln for ln in proc.stderr.splitlines() if not any(w in ln for w in noise)]
        tail = "\n".join(lines[-30:])
        raise SystemExit(f"子进程失败（{' '.join(args)}）：\n{tail}")
    res = json.loads(out_json.read_text(encoding="utf-8"))
    out_json.unlink()
    res["process_wall_s"] = wall
    res["load_before"] = load
    return res


def _prefect_env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
        # A kept Prefect home: its database is migrated once (first run ~6 s more), as on a real server.
        "PREFECT_HOME": str(OUT / "prefect-home"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }


@contextmanager
def prefect_server() -> Iterator[str]:
    """A running `prefect server` (the production set-up: flows run against a long-lived server),
    started before the measurement and not timed; yields its API URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    log = (OUT / "prefect-server.log").open("ab")
    cmd = [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-ui", "--no-services"]
    proc = subprocess.Popen(cmd, env=_prefect_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as r:  # noqa: S310 - our loopback URL
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"Prefect 服务器未能启动，见 {OUT / 'prefect-server.log'}")
            time.sleep(0.5)
        yield api
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def measure_e2e(inbox: Path, n: int, url: str | None, api: str | None = None) -> dict[str, Any]:
    data_dir = OUT / f"run-{n}"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = _prefect_env()
    if api:
        env["PREFECT_API_URL"] = api
    args = ["--child-e2e", str(inbox), "--data-dir", str(data_dir)]
    if url:
        args += ["--warehouse", url]
    return _child(args, env)


# --------------------------------------------------------------------------- (c) naive


def naive_child(inbox: str, sample: int, out_json: str) -> None:
    from bench.naive import run_naive

    t0 = time.perf_counter()
    files = [Path(p) for p in _files(Path(inbox))[:sample]]
    db = OUT / "naive.duckdb"
    db.unlink(missing_ok=True)
    res = run_naive(files, f"duckdb:///{db}")
    res["import_s"] = time.perf_counter() - t0 - res["setup_s"] - res["files_s"]
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out_json).write_text(json.dumps(res), encoding="utf-8")


def measure_naive(inbox: Path, n: int, sample: int) -> dict[str, Any]:
    k = min(n, sample)
    res = _child(["--child-naive", str(inbox), "--sample", str(k)], dict(os.environ))
    per_file = res["files_s"] / k
    res["sampled_files"] = k
    res["per_file_s"] = per_file
    fixed = res["process_wall_s"] - res["files_s"]  # imports and set-up, paid once
    res["estimated_seconds_n"] = fixed + per_file * n
    res["extrapolated"] = k < n
    return res


# --------------------------------------------------------------------------- report


def _fmt(x: float) -> str:
    return f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"


def run(
    n: int, small: int, seed: int, naive_sample: int, url: str | None, skip_naive: bool, prefect: str = "server"
) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"基准测试：N = {n}（斜率用 N = {small} 与 N = {n}），CPU 核数 {os.cpu_count()}", flush=True)
    big_in, small_in = inputs(n, seed), inputs(small, seed)
    res: dict[str, Any] = {
        "n": n,
        "small_n": small,
        "seed": seed,
        "cpus": os.cpu_count(),
        "started": datetime.now().isoformat(timespec="seconds"),
        "warehouse": url or "duckdb (data dir under bench/out)",
        "prefect": prefect,
    }
    print("(a) 解析极限：python-calamine 读每个文件的每张表，每核一个进程 …", flush=True)
    res["limit"] = {"n": measure_limit(big_in), "small": measure_limit(small_in)}
    how = "对已运行的 Prefect 服务器" if prefect == "server" else "Prefect 临时服务器，含其启动"
    print(f"(b) junheng 端到端（monthly_returns 流程，新进程，含导入；{how}）…", flush=True)
    if not (OUT / "prefect-home").exists():  # a first run migrates Prefect's database: not measured
        measure_e2e(small_in, small, url)
    if prefect == "server":
        with prefect_server() as api:
            res["junheng"] = {"small": measure_e2e(small_in, small, url, api), "n": measure_e2e(big_in, n, url, api)}
    else:
        res["junheng"] = {"small": measure_e2e(small_in, small, url), "n": measure_e2e(big_in, n, url)}
    if not skip_naive:
        k = min(n, naive_sample)
        print(f"(c) 朴素流程（openpyxl 逐表读、每个文件一次 GX、每个文件 to_sql），抽样 {k} 份 …", flush=True)
        res["naive"] = measure_naive(big_in, n, naive_sample)
    res["summary"] = summarise(res)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = OUT / f"results-{n}-{stamp}.json"
    text = json.dumps(res, ensure_ascii=False, indent=2, default=str)
    path.write_text(text, encoding="utf-8")
    (OUT / "latest.json").write_text(text, encoding="utf-8")
    print_report(res)
    print(f"结果 JSON：{path}")
    return res


def summarise(res: dict[str, Any]) -> dict[str, Any]:
    n, small = res["n"], res["small_n"]
    lim, jh = res["limit"], res["junheng"]
    lim_pf = lim["n"]["seconds"] / n
    lim_slope = (lim["n"]["seconds"] - lim["small"]["seconds"]) / (n - small) if n > small else lim_pf
    e2e_n, e2e_small = jh["n"]["process_wall_s"], jh["small"]["process_wall_s"]
    slope = (e2e_n - e2e_small) / (n - small) if n > small else e2e_n / n
    s: dict[str, Any] = {
        "limit_files_per_s": n / lim["n"]["seconds"],
        "limit_s_per_file": lim_pf,
        "limit_slope_s_per_file": lim_slope,
        "junheng_seconds": e2e_n,
        "junheng_seconds_after_startup": jh["n"]["flow_s"],
        "junheng_files_per_s": n / e2e_n,
        "junheng_slope_s_per_file": slope,
        "junheng_marginal_files_per_s": 1 / slope if slope > 0 else None,
        "startup_s": e2e_n - jh["n"]["flow_s"] + jh["n"]["flow_start_to_first_task_s"],
        "ratio_b_over_a_time": e2e_n / lim["n"]["seconds"],
        "ratio_marginal_b_over_a": slope / lim_pf,
        "peak_rss_mb": jh["n"]["peak_rss_mb"],
        "core_stages_s": sum(v["wall_s"] for k, v in jh["n"]["stages"].items() if k in CORE_TASKS),
        "core_stages_small_s": sum(v["wall_s"] for k, v in jh["small"]["stages"].items() if k in CORE_TASKS),
        "other_stages_s": {k: v["wall_s"] for k, v in jh["n"]["stages"].items() if k not in CORE_TASKS},
        "linear_per_file_small_vs_n": [jh["small"]["flow_s"] / small, jh["n"]["flow_s"] / n],
    }
    if "naive" in res:
        naive = res["naive"]["estimated_seconds_n"]
        s["naive_files_per_s"] = 1 / res["naive"]["per_file_s"]
        s["naive_seconds_n"] = naive
        s["ratio_b_over_c_speedup"] = naive / e2e_n
    s["targets"] = {
        "marginal_cost_le_4x_limit": s["ratio_marginal_b_over_a"] <= 4,
        "peak_rss_lt_2gb": s["peak_rss_mb"] < 2048,
        **({"speedup_ge_50x_naive": s["ratio_b_over_c_speedup"] >= 50} if "naive" in res else {}),
        **({"n20000_lt_60s": e2e_n < 60} if n >= 20000 else {}),
    }
    return s


def print_report(res: dict[str, Any]) -> None:
    n, s = res["n"], res["summary"]
    jh = res["junheng"]["n"]
    print()
    mode = "已运行的 Prefect 服务器" if res.get("prefect") == "server" else "Prefect 临时服务器（计入启动）"
    print(f"== N = {n} 份报表（{res['cpus']} 核；开始时负载 {jh['load_before']:.1f}；{mode}）==")
    print(f"(a) 极限      {_fmt(res['limit']['n']['seconds'])} s   {s['limit_files_per_s']:,.0f} 份/秒")
    print(
        f"(b) junheng   {_fmt(s['junheng_seconds'])} s   {s['junheng_files_per_s']:,.0f} 份/秒"
        f"（含启动 {_fmt(s['startup_s'])} s；启动后 {_fmt(s['junheng_seconds_after_startup'])} s）"
    )
    if "naive" in res:
        nv = res["naive"]
        how = f"按 {nv['sampled_files']} 份抽样线性外推" if nv["extrapolated"] else "全量实测"
        print(f"(c) 朴素流程  {_fmt(s['naive_seconds_n'])} s   {s['naive_files_per_s']:,.1f} 份/秒（{how}）")
        print(
            f"    朴素流程每份：读 {nv['stage_s']['read'] / nv['files'] * 1000:.0f} ms，"
            f"GX {nv['stage_s']['validate'] / nv['files'] * 1000:.0f} ms，"
            f"to_sql {nv['stage_s']['load'] / nv['files'] * 1000:.0f} ms"
        )
    print(
        f"比值 b/a（总时间）{s['ratio_b_over_a_time']:.1f}×；"
        f"边际成本 b/a {s['ratio_marginal_b_over_a']:.1f}×（目标 ≤ 4×）"
    )
    if "ratio_b_over_c_speedup" in s:
        print(f"比值 b/c（朴素/junheng，加速）{s['ratio_b_over_c_speedup']:.1f}×（目标 ≥ 50×）")
    print(
        f"斜率：junheng {s['junheng_slope_s_per_file'] * 1000:.2f} ms/份（N={res['small_n']}→{n}），"
        f"极限 {s['limit_slope_s_per_file'] * 1000:.2f} ms/份；"
        f"每份流程时间 N={res['small_n']}: {s['linear_per_file_small_vs_n'][0] * 1000:.2f} ms，"
        f"N={n}: {s['linear_per_file_small_vs_n'][1] * 1000:.2f} ms"
    )
    print(
        f"峰值内存（流程进程）{s['peak_rss_mb']:,.0f} MB；"
        f"Prefect 临时服务器等子进程 {jh['peak_rss_children_mb']:,.0f} MB"
    )
    core_slope = (s["core_stages_s"] - s["core_stages_small_s"]) / (n - res["small_n"]) if n > res["small_n"] else 0
    print(
        f"其中本议题的核心阶段（归档、读取、校验、入库计算、政策检查、读 mart、发布）{_fmt(s['core_stages_s'])} s，"
        f"斜率 {core_slope * 1000:.2f} ms/份（{core_slope / s['limit_s_per_file']:.1f}× 极限）"
    )
    print("各阶段（任务函数内的时间；* = 核心阶段；阶段结束时的内存 / 至此的峰值）：")
    for name, st in jh["stages"].items():
        calls = f" ×{st['calls']}" if st["calls"] > 1 else ""
        mark = "*" if name in CORE_TASKS else " "
        mem = f"{st.get('rss_after_mb', 0):>7,.0f} / {st.get('peak_after_mb', 0):,.0f} MB"
        print(f" {mark}{name:<22}{_fmt(st['wall_s']):>8} s   {mem}{calls}")
    orchestration = jh["flow_s"] - sum(st["wall_s"] for st in jh["stages"].values())
    print(f"  {'import':<22}{_fmt(jh['import_s']):>8} s")
    print(f"  {'Prefect 启动/编排':<18}{_fmt(orchestration):>8} s")
    print("目标：" + "，".join(f"{k} {'✓' if v else '✗'}" for k, v in s["targets"].items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--small", type=int, default=None, help="第二个 N（斜率），默认 N/10（至少 200）")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--naive-sample", type=int, default=200)
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--warehouse", default=None, help="SQLAlchemy URL（默认 bench/out 下的 DuckDB）")
    p.add_argument(
        "--prefect",
        choices=("server", "ephemeral"),
        default="server",
        help="server：流程连接一个事先启动的 prefect server（生产方式，启动不计时）；ephemeral：每次临时启动（计时）",
    )
    p.add_argument("--child-e2e", default=None, help=argparse.SUPPRESS)
    p.add_argument("--child-naive", default=None, help=argparse.SUPPRESS)
    p.add_argument("--child-out", default=None, help=argparse.SUPPRESS)
    p.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    p.add_argument("--sample", type=int, default=200, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child_e2e:
        e2e_child(a.child_e2e, a.data_dir, a.warehouse, a.child_out)
    elif a.child_naive:
        naive_child(a.child_naive, a.sample, a.child_out)
    else:
        small = a.small or max(200, a.n // 10)
        run(a.n, min(small, a.n), a.seed, a.naive_sample, a.warehouse, a.skip_naive, a.prefect)
    sys.stdout.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # duckdb 2.0 nanobind exit noise (see cli)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
