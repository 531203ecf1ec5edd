"""The `junheng` command: a thin layer over the flows and the template tools."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from junheng.errors import ConfigError, JunhengError

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _period(value: str) -> str:
    if not PERIOD_RE.match(value):
        raise argparse.ArgumentTypeError(f"报表期应为 YYYY-MM，例如 2026-10；收到 {value!r}")
    return value


def _prefect_env(data_dir: Path) -> None:
    """Without a configured Prefect API, keep the ephemeral server's state beside the data."""
    if not os.environ.get("PREFECT_API_URL") and not os.environ.get("PREFECT_HOME"):
        os.environ["PREFECT_HOME"] = str((data_dir / ".prefect").resolve())
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The ephemeral server's telemetry heartbeat only adds "database is locked" noise on SQLite.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def cmd_template(args: argparse.Namespace) -> int:
    from tasks.template import write_template

    path = write_template(Path(args.out))
    print(f"已生成空白报表模板：{path}")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from tasks.demo_data import make_demo_county

    paths = make_demo_county(
        Path(args.outdir), schools=args.schools, period=args.period, seed=args.seed, broken=args.broken
    )
    print(f"已生成 {len(paths)} 份演示报表：{args.outdir}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from junheng.settings import load_settings

    settings = load_settings(warehouse_url=args.warehouse, data_dir=Path(args.data_dir) if args.data_dir else None)
    if not Path(args.inbox).is_dir():
        raise ConfigError(f"收件目录不存在：{args.inbox}", "检查 --inbox 路径；本期收到的报表应放在这个目录里")
    _prefect_env(settings.data_dir)
    from flows.monthly import monthly_returns
    from tasks.summary import summary_lines

    result = monthly_returns(
        period=args.period,
        inbox=str(args.inbox),
        warehouse_url=args.warehouse,
        data_dir=args.data_dir,
        out_dir=args.out,
    )
    for line in summary_lines(result):
        print(line)
    reports = result["reports"]
    assert isinstance(reports, dict)
    print("报告：")
    for kind in ("xlsx", "html"):
        if kind in reports:
            print(f"  {reports[kind]}")
    print(f"数据仓库：{result['warehouse_url']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="junheng", description="义务教育优质均衡监测数据管道")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("template", help="生成空白学校报表模板（JH-2026.1）")
    t.add_argument("out", help="输出文件，如 template.xlsx")
    t.set_defaults(func=cmd_template)

    d = sub.add_parser("demo-data", help="生成一个演示县的学校报表")
    d.add_argument("outdir")
    d.add_argument("--schools", type=int, default=24)
    d.add_argument("--period", type=_period, default="2026-10")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--broken", action="store_true", help="另加几份有错误的报表，用来演示退回")
    d.set_defaults(func=cmd_demo_data)

    r = sub.add_parser("run", help="运行月度流程：归档、校验、入库、计算、发布")
    r.add_argument("--period", type=_period, required=True)
    r.add_argument("--inbox", required=True, help="本期收到的报表所在目录")
    r.add_argument("--warehouse", default=None, help="SQLAlchemy URL；默认 data/ 下的 DuckDB 文件")
    r.add_argument("--data-dir", default=None, help="归档和默认仓库所在目录（默认 ./data）")
    r.add_argument("--out", default=None, help="报告输出目录（默认 data/reports）")
    r.set_defaults(func=cmd_run)
    return p


def _quiet_interpreter_exit() -> None:
    """duckdb 2.0 (nanobind) prints a wall of benign "leaked instance" lines at interpreter exit
    when Great Expectations was imported in the same process (duckdb/duckdb-python#522). The run
    is over by then, so stderr is closed just before exit to keep the terminal readable."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
    except JunhengError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        code = 2
    if argv is None:  # only when run as the command, never inside a caller's process
        _quiet_interpreter_exit()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
