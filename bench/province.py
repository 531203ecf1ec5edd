"""Benchmark: a province's month through one command (`junheng city run`) against a running Prefect server.

python -m bench.province --counties 100 --schools 200            # N = 20,000; slope from 10 counties (N = 2,000)
python -m bench.province --counties 10 --schools 200 --small 2   # quicker: N = 2,000, slope from N = 400
python -m bench.province --counties 4 --schools 50 --profile     # time inside each task, in-process

The inputs are C demo counties (plan and county codes written beside them, JUNHENG_PLAN_DIR), each
inbox <data>/inbox/<code>/<period>/ with S school returns (each with a finding or two unless --clean) and
the county's own return; generated once under bench/out/ and reused. Each run gets a fresh data folder and
DuckDB warehouse (or --warehouse, used as it is).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from bench.run import OUT, PERIOD, ROOT, _prefect_env, measure_naive, prefect_server

PLAN = "bench-province"
CITY_CODE = "539900"  # not a real city: the plan and its code table live beside the inputs
TARGET_S, TARGET_RSS_MB, TARGET_MARGINAL_MS, TARGET_NAIVE_X = 60.0, 2048.0, 2.0, 50.0
TARGET_FINDINGS_X = 1.5  # returns that all carry findings cost at most 1.5× clean ones per file (issue 14 item 3)


def county_codes(n: int) -> list[str]:
    """n six-digit county codes under CITY_CODE's province prefix (53), unique, stable."""
    return [f"53{i // 50 + 1:02d}{i % 50 + 1:02d}" for i in range(n)]


def _write_plan(folder: Path, codes: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    names = {c: f"基准县{i + 1:03d}" for i, c in enumerate(codes)}
    counties = "\n".join(f'      "{c}": {n}' for c, n in names.items())
    (folder / "divisions.yaml").write_text(
        "source: 基准测试（虚构的县级代码）\nchecked_on: 2026-12-06\ncities:\n"
        f'  "{CITY_CODE}":\n    name: 基准省\n    counties:\n{counties}\n',
        encoding="utf-8",
    )
    rows = "\n".join(f'  - {{code: "{c}", name: {n}, target_year: 2027}}' for c, n in names.items())
    (folder / f"{PLAN}.yaml").write_text(
        f"plan: {PLAN}\ntitle: 基准测试计划\nissuer: 基准省人民政府办公室\nissued_on: 2026-01-01\n"
        f'source: bench/province.py\ncity_code: "{CITY_CODE}"\ncity_name: 基准省\n'
        f"valid_from: 2026-01-01\nvalid_to: null\ncounties:\n{rows}\n",
        encoding="utf-8",
    )


def _gen_county(job: tuple[Path, str, int, int, bool]) -> int:
    """One county's inbox: S demo returns (school codes moved to the county's code; with ``findings`` each
    return has a finding or two, as a real county's do) and the county return."""
    from tasks.demo.county import demo_county_return
    from tasks.demo.returns import COUNTY_CODE, make_demo_returns
    from tasks.publish.county_template import write_county_return
    from tasks.publish.template import write_return

    inbox, code, schools, seed, findings = job
    inbox.mkdir(parents=True, exist_ok=True)
    for name, ret in make_demo_returns(schools=schools, period=PERIOD, seed=seed, findings=findings):
        info = ret["info"]
        for key in ("school_code", "parent_school_code"):
            if isinstance(info.get(key), str):
                info[key] = code + info[key][len(COUNTY_CODE) :]
        write_return(inbox / (code + name[len(COUNTY_CODE) :]), ret)
    write_county_return(inbox / f"{code}_县级报表.xlsx", demo_county_return(PERIOD))
    return schools


def inputs(counties: int, schools: int, seed: int, findings: bool) -> Path:
    """bench/out/province-C-S-seed-findings|clean/: plans/ and inbox/<code>/<period>/, generated once."""
    d = OUT / f"province-{counties}-{schools}-{seed}-{'findings' if findings else 'clean'}"
    if (d / ".complete").exists():
        return d
    shutil.rmtree(d, ignore_errors=True)
    codes = county_codes(counties)
    _write_plan(d / "plans", codes)
    t = time.perf_counter()
    jobs = [(d / "inbox" / c / PERIOD, c, schools, seed + i, findings) for i, c in enumerate(codes)]
    with Pool(os.cpu_count() or 1) as pool:
        pool.map(_gen_county, jobs, chunksize=1)
    print(f"  生成 {counties} 个县 × {schools} 所学校：{time.perf_counter() - t:.1f} s → {d}", flush=True)
    (d / ".complete").write_text(f"{counties} {schools}")
    return d


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants now (MB)."""
    kids: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            kids.setdefault(int(fields[1]), []).append(int(p.name))
            rss[int(p.name)] = int(fields[21])
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(kids.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_command(
    src: Path, label: str, url: str | None, api: str, profile: bool, service: int | None = None
) -> dict[str, Any]:
    """`junheng city run` in a fresh process on a fresh data folder; wall time, peak RSS (largest process, and
    the whole process tree sampled every 0.1 s, with the checks service's tree when ``service`` is its pid)."""
    data = OUT / f"province-run-{label}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    (data / "inbox").symlink_to(src / "inbox", target_is_directory=True)
    env = {**_prefect_env(), "PREFECT_API_URL": api, "JUNHENG_PLAN_DIR": str(src / "plans")}
    args = ["city", "run", "--plan", PLAN, "--period", PERIOD, "--data-dir", str(data)]
    args += ["--warehouse", url] if url else []
    prof = data / "profile.json"
    cmd = (
        [sys.executable, "-m", "bench.province", "--child-profile", str(prof), "--", *args]
        if profile
        else [str(Path(sys.executable).parent / "junheng"), *args]
    )
    load = os.getloadavg()[0]
    log = (data / "command.log").open("w")
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    peak_tree = 0.0
    while True:
        peak_tree = max(peak_tree, _tree_rss_mb(proc.pid) + (_tree_rss_mb(service) if service else 0.0))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.1)
    wall = time.perf_counter() - t
    log.close()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        tail = "\n".join((data / "command.log").read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"junheng city run 失败（退出码 {code}）：\n{tail}")
    res: dict[str, Any] = {
        "seconds": wall,
        "load_before": load,
        "peak_rss_largest_process_mb": usage.ru_maxrss / 1024,
        "peak_rss_tree_mb": peak_tree,
        "files": sum(1 for p in (src / "inbox").rglob("*.xlsx")),
    }
    if profile and prof.exists():
        res["stages"] = json.loads(prof.read_text(encoding="utf-8"))
    return res


@contextmanager
def _checks_service(wanted: bool) -> Iterator[int | None]:
    """The checks service in the runs' Prefect home, as `junheng server start` leaves it beside the server;
    its pid (its memory counts in the runs' peak), or None."""
    from cli.server import read_checks_state, start_checks_service, stop_checks_service

    home = Path(_prefect_env()["PREFECT_HOME"])
    if not wanted:
        yield None
        return
    if not start_checks_service(home):
        raise SystemExit(f"数据校验服务未能启动，见 {home / 'checks.log'}")
    try:
        state = read_checks_state(home)
        yield int(state["pid"]) if state else None
    finally:
        stop_checks_service(home)


def profile_child(out_json: str, argv: list[str]) -> int:
    """The command in this process with every Prefect task's function timed (bench.run's wrapper)."""
    import importlib

    from bench.run import Span, _timed_tasks

    t0 = time.perf_counter()
    mods = ["flows.monthly", "flows.city"] + [f"tasks.{s}.prefect_tasks" for s in ("read", "model", "publish")]
    spans: list[Span] = []
    _timed_tasks([importlib.import_module(m) for m in mods], spans)
    from cli import main

    t1 = time.perf_counter()
    code = main(argv)
    t2 = time.perf_counter()
    stages: dict[str, dict[str, float]] = {}
    for name, a, b, _rss, peak in spans:
        st = stages.setdefault(name, {"calls": 0, "sum_s": 0.0, "peak_after_mb": 0.0})
        st["calls"] += 1
        st["sum_s"] += b - a
        st["peak_after_mb"] = max(st["peak_after_mb"], peak)
    inside = sum(st["sum_s"] for st in stages.values())
    out = {"import_s": t1 - t0, "command_s": t2 - t1, "outside_tasks_s": t2 - t1 - inside, "tasks": stages}
    Path(out_json).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return code


def _naive_sample(src: Path, k: int) -> Path:
    """A flat folder of k school returns (links to the inputs) for bench.run's naive pipeline."""
    d = src / f"naive-sample-{k}"
    if not d.is_dir():
        d.mkdir()
        files = sorted(p for p in (src / "inbox").rglob("*.xlsx") if "县级报表" not in p.name)[:k]
        for p in files:
            (d / p.name).symlink_to(p)
    return d


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.province")
    p.add_argument("--counties", type=int, default=100)
    p.add_argument("--schools", type=int, default=200)
    p.add_argument("--small", type=int, default=None, help="县数较少的一次运行（边际成本），默认 counties/10（至少 2）")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--clean", action="store_true", help="不带问题的报表（默认每份报表有一两处问题，如实际的县）")
    p.add_argument("--naive-sample", type=int, default=100)
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--profile", action="store_true", help="在同一进程内计时每个任务（略慢；看时间花在哪里）")
    p.add_argument("--warehouse", default=None, help="SQLAlchemy URL（默认每次运行各自的 DuckDB）")
    p.add_argument(
        "--no-checks-service", action="store_true", help="不启动数据校验服务（默认与 junheng server start 一样启动）"
    )
    p.add_argument("--child-profile", default=None, help=argparse.SUPPRESS)
    a, rest = p.parse_known_args(argv)
    if a.child_profile:
        return profile_child(a.child_profile, [x for x in rest if x != "--"])
    small_c = a.small or max(2, a.counties // 10)
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"省级基准：{a.counties} 个县 × {a.schools} 所学校；边际成本对照 {small_c} 个县；CPU {os.cpu_count()} 核")
    big, small = inputs(a.counties, a.schools, a.seed, not a.clean), inputs(small_c, a.schools, a.seed, not a.clean)
    res: dict[str, Any] = {"counties": a.counties, "schools": a.schools, "small_counties": small_c}
    res["findings"] = not a.clean
    res["started"] = datetime.now().isoformat(timespec="seconds")
    res["checks_service"] = not a.no_checks_service
    with prefect_server() as api, _checks_service(not a.no_checks_service) as service:
        # An unmeasured first run: Prefect's database and the plan's first use, as on a bureau's kept server.
        run_command(small, "warmup", a.warehouse, api, False, service) if not a.warehouse else None
        res["small"] = run_command(small, f"{small_c}x{a.schools}", a.warehouse, api, a.profile, service)
        res["big"] = run_command(big, f"{a.counties}x{a.schools}", a.warehouse, api, a.profile, service)
    b, s = res["big"], res["small"]
    slope_ms = (b["seconds"] - s["seconds"]) / (b["files"] - s["files"]) * 1000 if b["files"] > s["files"] else None
    res["marginal_ms_per_file"] = slope_ms
    if not a.skip_naive:
        nv = measure_naive(_naive_sample(big, a.naive_sample), b["files"], a.naive_sample)
        res["naive"] = nv
        res["speedup_over_naive"] = nv["estimated_seconds_n"] / b["seconds"]
    if a.clean:
        res["findings_run"] = _latest_findings_run(a.counties, a.schools)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = OUT / f"province-{a.counties}x{a.schools}-{stamp}.json"
    path.write_text(json.dumps(res, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    report(res)
    print(f"结果 JSON：{path}")
    return 0


def _latest_findings_run(counties: int, schools: int) -> dict[str, Any] | None:
    """The newest run of the same shape with findings (make bench runs it just before the clean one)."""
    for path in sorted(OUT.glob(f"province-{counties}x{schools}-*.json"), reverse=True):
        res = json.loads(path.read_text(encoding="utf-8"))
        if res.get("findings") and res.get("marginal_ms_per_file"):
            return {"file": path.name, "marginal_ms_per_file": res["marginal_ms_per_file"]}
    return None


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def report(res: dict[str, Any]) -> None:
    b, s = res["big"], res["small"]
    print()
    for key, run in (("small", s), ("big", b)):
        n = res["counties"] if key == "big" else res["small_counties"]
        print(
            f"{n} 个县（{run['files']} 个文件，开始时负载 {run['load_before']:.1f}）：{run['seconds']:.1f} s，"
            f"每县 {run['seconds'] / n:.2f} s；峰值内存 最大进程 {run['peak_rss_largest_process_mb']:,.0f} MB，"
            f"进程树合计 {run['peak_rss_tree_mb']:,.0f} MB"
        )
    if res.get("checks_service"):
        print("数据校验服务在运行（junheng server start 的做法），其进程的内存计入进程树合计")
    rss = max(b["peak_rss_tree_mb"], b["peak_rss_largest_process_mb"])
    slope = res["marginal_ms_per_file"]
    print("目标：")
    print(f"  端到端 ≤ {TARGET_S:.0f} s：{b['seconds']:.1f} s {_mark(b['seconds'] <= TARGET_S)}")
    print(f"  峰值内存 < 2 GB：{rss:,.0f} MB {_mark(rss < TARGET_RSS_MB)}")
    if slope is not None and slope <= 0:  # the smaller run took longer: the machine's load changed between them
        print("  边际成本：无法测定（较小的一次运行反而更慢，两次运行之间机器负载不同；请在空闲时重测）")
    elif slope is not None:
        print(f"  边际成本 ≤ {TARGET_MARGINAL_MS:.0f} ms/文件：{slope:.2f} ms {_mark(slope <= TARGET_MARGINAL_MS)}")
    found = res.get("findings_run")
    if found and slope is not None and slope > 0:
        with_findings = found["marginal_ms_per_file"]
        x = with_findings / slope
        print(
            f"  带问题的报表成本 ≤ {TARGET_FINDINGS_X:.1f}× 无问题的：{x:.2f}×（边际 {with_findings:.2f} 对"
            f" {slope:.2f} ms/文件；带问题的一次见 {found['file']}）{_mark(x <= TARGET_FINDINGS_X)}"
        )
    if "speedup_over_naive" in res:
        x = res["speedup_over_naive"]
        print(
            f"  ≥ {TARGET_NAIVE_X:.0f}× 朴素流程：{x:.1f}×（朴素 {res['naive']['per_file_s'] * 1000:.0f} ms/文件，"
            f"按 {res['naive']['sampled_files']} 个抽样外推）{_mark(x >= TARGET_NAIVE_X)}"
        )
    for key in ("small", "big"):
        st = res[key].get("stages")
        if not st:
            continue
        head = f"各任务（{key}；函数内时间合计，调用次数）：导入 {st['import_s']:.1f} s"
        print(f"{head}，任务外 {st['outside_tasks_s']:.1f} s")
        for name, v in sorted(st["tasks"].items(), key=lambda kv: -kv[1]["sum_s"]):
            print(f"  {name:<24}{v['sum_s']:>8.2f} s ×{v['calls']}")


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # duckdb 2.0 nanobind exit noise (see cli)
    raise SystemExit(code)
