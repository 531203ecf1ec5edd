"""Benchmark: a county's rerun end to end, process start included (issue 14 item 1).

python -m bench.county_rerun                  # 30 schools, returns with findings, best of 2 per mode
python -m bench.county_rerun --repeat 3 --keep /tmp/county

A 30-school county (`junheng demo-data --findings`: every return has a finding or two) is run once
with `junheng run` (set-up: the Prefect database, the warehouse; not timed), then its rerun
`junheng rerun --all` (every return read, validated, loaded and published again) is timed as a
subprocess, the way a bureau starts it: with a local Prefect server running (`junheng server start`,
target ≤ 5 s) and with none (Prefect's ephemeral server, target ≤ 12 s). Each figure is printed with
the machine's load average and where the time went (the CLI's stage lines, timestamped as they come).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PERIOD = "2026-10"
TARGETS = {"server": 5.0, "ephemeral": 12.0}
MODES = {"server": "本地 Prefect 服务在运行", "ephemeral": "没有服务（临时服务）"}


def _env() -> dict[str, str]:
    """A clean environment: no inherited Prefect API or home, no junheng settings from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "JUNHENG_"))}
    env["PYTHONUNBUFFERED"] = "1"  # stage lines arrive as they are printed
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _check(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(
            f"失败（退出码 {done.returncode}）：{' '.join(cmd)}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )


def timed(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall time of one command from process start to exit, with the time of each stage line."""
    load = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines: list[tuple[float, str]] = [(time.perf_counter() - start, line.rstrip()) for line in proc.stdout]
    code = proc.wait()
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"失败（退出码 {code}）：{' '.join(cmd)}\n" + "\n".join(t for _, t in lines[-30:]))
    stages = [(t, text.strip()) for t, text in lines if text.lstrip().startswith("[")]
    return {"seconds": seconds, "load_before": load, "load_after": os.getloadavg(), "stages": stages}


def _stage_breakdown(run: dict[str, Any]) -> list[str]:
    """Start-up (process start to the first finished stage), each stage, and the tail (last stage to exit)."""
    out: list[str] = []
    prev = 0.0
    for i, (t, text) in enumerate(run["stages"]):
        label = text.split("]", 1)[1].split("：", 1)[0].strip() if "]" in text else text
        what = "启动（进程、导入、Prefect、直到第一个阶段结束）：" + label if i == 0 else label
        out.append(f"    {t - prev:6.2f} s  {what}")
        prev = t
    out.append(f"    {run['seconds'] - prev:6.2f} s  摘要、报告列表、退出")
    return out


def bench(schools: int, repeat: int, work: Path) -> dict[str, Any]:
    env = _env()
    inbox, data = work / "inbox", work / "data"
    common = ["--period", PERIOD, "--inbox", str(inbox), "--data-dir", str(data)]
    t = time.perf_counter()
    _check(_cli("demo-data", str(inbox), "--schools", str(schools), "--period", PERIOD, "--findings"), env)
    print(f"  生成 {schools} 所学校的报表（每份带一两个问题）：{time.perf_counter() - t:.1f} s → {inbox}", flush=True)
    t = time.perf_counter()
    _check(_cli("run", *common), env)  # set-up: the Prefect database and the warehouse (not timed)
    print(f"  首次运行（建立 Prefect 数据库和数据仓库，不计时）：{time.perf_counter() - t:.1f} s", flush=True)

    rerun = _cli("rerun", "--all", *common)
    results: dict[str, Any] = {"schools": schools, "command": "junheng rerun --all", "cpus": os.cpu_count()}
    for mode in ("ephemeral", "server"):
        port = _free_port()
        if mode == "server":
            t = time.perf_counter()
            _check(_cli("server", "start", "--data-dir", str(data), "--port", str(port)), env)
            print(f"  启动本地 Prefect 服务（一次性，不计时）：{time.perf_counter() - t:.1f} s", flush=True)
            _check(rerun, env)  # the first run against the new server registers the flow: not timed
        try:
            runs = []
            for i in range(repeat):
                print(f"  {MODES[mode]}：第 {i + 1}/{repeat} 次 …", flush=True)
                runs.append(timed(rerun, env))
        finally:
            if mode == "server":
                _check(_cli("server", "stop", "--data-dir", str(data)), env)
        best = min(runs, key=lambda r: r["seconds"])
        results[mode] = {
            "best_s": best["seconds"],
            "median_s": statistics.median(r["seconds"] for r in runs),
            "runs": runs,
            "target_s": TARGETS[mode],
        }
    return results


def report(res: dict[str, Any]) -> None:
    print()
    print(f"== 县级重跑：{res['schools']} 所学校（{res['command']}，含进程启动；{res['cpus']} 核）==")
    for mode in ("server", "ephemeral"):
        r = res[mode]
        best = min(r["runs"], key=lambda x: x["seconds"])
        verdict = "达到" if r["best_s"] <= r["target_s"] else "未达到"
        every = "、".join(f"{x['seconds']:.1f}" for x in r["runs"])
        load = "/".join(f"{x:.1f}" for x in best["load_before"])
        print(
            f"{MODES[mode]}：{r['best_s']:.1f} s（目标 ≤ {r['target_s']:.0f} s：{verdict}）"
            f"  各次 {every} s；开始时负载 {load}（1/5/15 分钟）"
        )
        print("  最快一次的各阶段：")
        for line in _stage_breakdown(best):
            print(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="县级重跑基准（含进程启动；有/没有本地 Prefect 服务）")
    ap.add_argument("--schools", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=2, help="每种情况计时的次数（取最快一次）")
    ap.add_argument("--keep", metavar="DIR", default=None, help="在这个目录里运行并保留（默认临时目录，结束后删除）")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="junheng-county-rerun-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)  # mkdtemp made it already
    print(f"县级重跑基准：{args.schools} 所学校，每种情况 {args.repeat} 次，目录 {work}", flush=True)
    try:
        res = bench(args.schools, args.repeat, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(res)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "county-rerun.json"
    path.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"结果 JSON：{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
