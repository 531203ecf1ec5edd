"""The `junheng` command: a thin layer over the flows and the template tools."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from junheng.errors import ConfigError, JunhengError

if TYPE_CHECKING:
    from junheng.settings import Settings

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _period(value: str) -> str:
    if not PERIOD_RE.match(value):
        raise argparse.ArgumentTypeError(f"报表期应为 YYYY-MM，例如 2026-10；收到 {value!r}")
    return value


def _county_code(value: str) -> str:
    if not re.fullmatch(r"\d{6}", value):
        raise argparse.ArgumentTypeError(f"县级行政区划代码应为 6 位数字，例如 370830；收到 {value!r}")
    return value


COUNTY_CODE_HELP = "本县 6 位行政区划代码（多个县共用一个仓库时必填；默认 JUNHENG_COUNTY_CODE，未设置为 000000）"


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment and the command's --warehouse, --data-dir and --county-code."""
    from junheng.settings import load_settings

    return load_settings(
        warehouse_url=args.warehouse,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        county_code=getattr(args, "county_code", None),
    )


def _prefect_env(data_dir: Path) -> None:
    """Without a configured Prefect API, keep the ephemeral server's state beside the data."""
    if not os.environ.get("PREFECT_API_URL") and not os.environ.get("PREFECT_HOME"):
        home = (data_dir / ".prefect").resolve()
        home.mkdir(parents=True, exist_ok=True)  # Prefect creates only the last level
        os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The ephemeral server's telemetry heartbeat only adds "database is locked" noise on SQLite.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def cmd_template(args: argparse.Namespace) -> int:
    if args.county:
        from tasks.publish.county_template import write_county_template

        path = write_county_template(Path(args.out))
        print(f"已生成空白县级报表模板（县级指标）：{path}")
        return 0
    from tasks.publish.template import write_template

    path = write_template(Path(args.out))
    print(f"已生成空白报表模板：{path}")
    return 0


def cmd_policy_show(args: argparse.Namespace) -> int:
    from junheng.policy import describe, rule_order, rules_in_force, selected_overlays

    rules = rules_in_force(args.period)
    overlays = "、".join(selected_overlays()) or "无"
    print(f"{args.period} 生效的规则 {len(rules)} 条（地方政策：{overlays}）：")
    for r in sorted(rules, key=rule_order):
        print("  " + describe(r))
    return 0


def cmd_recompute(args: argparse.Namespace) -> int:
    import uuid

    from tasks.model.recompute import recompute_period

    settings = _settings(args)
    url = settings.resolved_warehouse_url()
    out = recompute_period(
        url, args.period, settings.choices.cv_method, str(uuid.uuid4()), county_code=settings.county_code
    )
    print(
        f"已按现行政策文件重新评判 {args.period}：生效规则 {out['rules']} 条，"
        f"评估总览 {out['scorecard_rows']} 行，未达标 {out['violations']} 条"
    )
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from tasks.demo.returns import make_demo_county

    paths = make_demo_county(
        Path(args.outdir),
        schools=args.schools,
        period=args.period,
        seed=args.seed,
        broken=args.broken,
        drift=args.drift,
        county_return=args.county_return,
    )
    print(f"已生成 {len(paths)} 份演示报表：{args.outdir}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not Path(args.inbox).is_dir():
        raise ConfigError(f"收件目录不存在：{args.inbox}", "检查 --inbox 路径；本期收到的报表应放在这个目录里")
    _prefect_env(settings.data_dir)
    _show_progress()
    from flows.monthly import monthly_returns
    from tasks.publish.summary import summary_lines

    result = monthly_returns(
        period=args.period,
        inbox=str(args.inbox),
        warehouse_url=args.warehouse,
        data_dir=args.data_dir,
        out_dir=args.out,
        county_code=settings.county_code,
    )
    for line in summary_lines(result):
        print(line)
    reports = result["reports"]
    assert isinstance(reports, dict)
    print("报告：")
    for kind in ("xlsx", "html", "county_xlsx", "county_html", "feedback"):
        if kind in reports:
            print(f"  {reports[kind]}")
    print(f"数据仓库：{result['warehouse_url']}")
    return 0


STAGES = {
    "check-output": "检查输出目录",
    "archive-inbox": "归档收件",
    "read-returns": "读取报表",
    "load-county-return": "县级报表入库",
    "validate-returns": "校验数据",
    "roster-check": "核对学校名册",
    "load-and-compute": "入库并计算指标",
    "policy-violations": "核查政策标准",
    "missing-returns": "统计逾期未报",
    "alerts": "生成预警并通知",
    "read-marts": "读取结果",
    "publish-reports": "发布报告",
    "county-report": "县域分析报告",
    "school-feedback": "学校反馈与报送情况",
}


class _Progress(logging.Handler):
    """Prints one line per finished pipeline stage, so a long run shows where it is."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.done = 0

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        name = str(getattr(record, "task_name", "") or "")
        label = STAGES.get(name, name)
        if " - Retry " in msg and isinstance(record.args, tuple) and len(record.args) >= 4:
            _, exc, attempt, total = record.args[:4]
            print(f"  {label}失败（{type(exc).__name__}），第 {attempt}/{total} 次重试", flush=True)
            return
        if not msg.startswith("Finished in state"):
            return
        if label:
            self.done += 1
            state = "完成" if "Completed" in msg or "Cached" in msg else msg.removeprefix("Finished in state ")
            print(f"  [{self.done}] {label}：{state}", flush=True)


def _show_progress() -> None:
    """Prefect re-applies its logging config when it starts a server, which drops foreign handlers;
    so the progress handler is (re)installed after every Prefect logging set-up."""
    import prefect.logging.configuration as plc

    handler = _Progress()

    def install() -> None:
        logger = logging.getLogger("prefect.task_runs")
        logger.setLevel(logging.INFO)
        logger.propagate = False  # the stage lines replace Prefect's own INFO lines in the terminal
        if handler not in logger.handlers:
            logger.addHandler(handler)

    original = plc.setup_logging

    def setup_logging(incremental: bool | None = None) -> dict[str, object]:
        config = original(incremental)
        install()
        return config

    plc.setup_logging = setup_logging
    install()


def _print_result(result: dict[str, object]) -> None:
    from tasks.publish.summary import summary_lines

    for line in summary_lines(result):
        print(line)
    reports = result.get("reports")
    if isinstance(reports, dict):
        print("报告：")
        for kind in ("xlsx", "html"):
            if kind in reports:
                print(f"  {reports[kind]}")


def cmd_rerun(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _prefect_env(settings.data_dir)
    _show_progress()
    from flows.monthly import monthly_returns

    reread: Literal["new", "failed", "all"] = "failed" if args.only_failed else "all" if args.all else "new"
    how = {"failed": "只重读被退回的文件", "all": "重读全部文件", "new": "只读新文件"}[reread]
    print(f"重新运行 {args.period}（{how}）")
    result = monthly_returns(
        period=args.period,
        inbox=args.inbox,
        warehouse_url=args.warehouse,
        data_dir=args.data_dir,
        out_dir=args.out,
        reread=reread,
        county_code=settings.county_code,
    )
    _print_result(result)
    print(f"数据仓库：{result['warehouse_url']}")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _prefect_env(settings.data_dir)
    _show_progress()
    from flows.backfill import rerun_returns

    outcome = rerun_returns(
        period_from=args.period_from,
        period_to=args.period_to,
        reread="failed" if args.only_failed else "new",
        warehouse_url=args.warehouse,
        data_dir=args.data_dir,
        out_dir=args.out,
        county_code=settings.county_code,
    )
    labels = {"completed": "完成", "skipped": "跳过（没有收件目录）"}
    for period, state in outcome.items():
        print(f"{period}：{labels.get(state, state)}")
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    from tasks.ingest.roster import import_roster

    settings = _settings(args)
    n = import_roster(settings.resolved_warehouse_url(), Path(args.file), county_code=settings.county_code)
    print(f"已导入学校名册：{n} 所学校（{args.file}）")
    return 0


def cmd_warehouse_init(args: argparse.Namespace) -> int:
    from junheng.settings import load_settings
    from warehouse.engine import connected, init_warehouse
    from warehouse.roles import create_analyst_role

    settings = load_settings(warehouse_url=args.warehouse, data_dir=Path(args.data_dir) if args.data_dir else None)
    url = settings.resolved_warehouse_url()
    with connected(url) as engine:
        if args.analyst_role:
            create_analyst_role(engine, args.analyst_role)
        else:
            init_warehouse(engine)
    print(f"数据仓库已初始化：{engine.url.render_as_string(hide_password=True)}")
    if args.analyst_role:
        print(f"只读分析员角色「{args.analyst_role}」：可读 mart 下全部视图（含以后新建的），不能写入任何表")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="junheng", description="义务教育优质均衡监测数据管道")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("template", help="生成空白学校报表模板（JH-2026.1）")
    t.add_argument("out", help="输出文件，如 template.xlsx")
    t.add_argument("--county", action="store_true", help="生成县级报表模板（工作表“县级指标”）")
    t.set_defaults(func=cmd_template)

    po = sub.add_parser("policy", help="政策规则")
    po_sub = po.add_subparsers(dest="policy_command", required=True)
    ps = po_sub.add_parser("show", help="列出某报表期生效的规则（含 JUNHENG_POLICY_OVERLAYS 选定的地方政策）")
    ps.add_argument("--period", type=_period, required=True)
    ps.set_defaults(func=cmd_policy_show)

    rc = sub.add_parser("recompute", help="按现行政策文件重新评判已入库的报表期（不重新读取报表）")
    rc.add_argument("--period", type=_period, required=True)
    rc.add_argument("--warehouse", default=None, help="SQLAlchemy URL；默认 data/ 下的 DuckDB 文件")
    rc.add_argument("--data-dir", default=None, help="默认仓库所在目录（默认 ./data）")
    rc.add_argument("--county-code", type=_county_code, default=None, help=COUNTY_CODE_HELP)
    rc.set_defaults(func=cmd_recompute)

    d = sub.add_parser("demo-data", help="生成一个演示县的学校报表")
    d.add_argument("outdir")
    d.add_argument("--schools", type=int, default=24)
    d.add_argument("--period", type=_period, default="2026-10")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--broken", action="store_true", help="另加几份有错误的报表，用来演示退回")
    d.add_argument("--county-return", action="store_true", help="另加一份县级报表（县级指标），用来演示评估总览")
    d.add_argument("--drift", type=float, default=0.0, help="各期之间办学条件的随机变动幅度（如 0.08），用于多期演示")
    d.set_defaults(func=cmd_demo_data)

    r = sub.add_parser("run", help="运行月度流程：归档、校验、入库、计算、发布")
    r.add_argument("--period", type=_period, required=True)
    r.add_argument("--inbox", required=True, help="本期收到的报表所在目录")
    r.add_argument("--warehouse", default=None, help="SQLAlchemy URL；默认 data/ 下的 DuckDB 文件")
    r.add_argument("--data-dir", default=None, help="归档和默认仓库所在目录（默认 ./data）")
    r.add_argument("--out", default=None, help="报告输出目录（默认 data/reports）")
    r.add_argument("--county-code", type=_county_code, default=None, help=COUNTY_CODE_HELP)
    r.set_defaults(func=cmd_run)

    rr = sub.add_parser("rerun", help="重新运行一个报表期（默认只读新文件；--only-failed 只重读被退回的文件）")
    rr.add_argument("--period", type=_period, required=True)
    how = rr.add_mutually_exclusive_group()
    how.add_argument("--only-failed", action="store_true", help="只重读上次被退回（拒收）的文件，从归档读取")
    how.add_argument("--all", action="store_true", help="重读本期全部文件（读取或校验规则修正后）")
    rr.add_argument(
        "--inbox",
        default=None,
        help="收件目录（默认 data/inbox/<报表期>；设了县代码时为 data/inbox/<县代码>/<报表期>）",
    )
    rr.add_argument("--warehouse", default=None)
    rr.add_argument("--data-dir", default=None)
    rr.add_argument("--out", default=None)
    rr.add_argument("--county-code", type=_county_code, default=None, help=COUNTY_CODE_HELP)
    rr.set_defaults(func=cmd_rerun)

    b = sub.add_parser(
        "backfill",
        help="补跑一段报表期：每期的收件目录为 data/inbox/<报表期>/（设了县代码时为 data/inbox/<县代码>/<报表期>/）",
    )
    b.add_argument("--from", dest="period_from", type=_period, required=True)
    b.add_argument("--to", dest="period_to", type=_period, required=True)
    b.add_argument("--only-failed", action="store_true", help="每期只重读被退回的文件")
    b.add_argument("--warehouse", default=None)
    b.add_argument("--data-dir", default=None)
    b.add_argument("--out", default=None)
    b.add_argument("--county-code", type=_county_code, default=None, help=COUNTY_CODE_HELP)
    b.set_defaults(func=cmd_backfill)

    ro = sub.add_parser("roster", help="学校名册")
    ro_sub = ro.add_subparsers(dest="roster_command", required=True)
    ri = ro_sub.add_parser("import", help="导入学校名册（xlsx：学校标识码、学校名称、办学类型、乡镇……）")
    ri.add_argument("file")
    ri.add_argument("--warehouse", default=None)
    ri.add_argument("--data-dir", default=None)
    ri.add_argument("--county-code", type=_county_code, default=None, help=COUNTY_CODE_HELP)
    ri.set_defaults(func=cmd_roster_import)

    wh = sub.add_parser("warehouse", help="数据仓库管理")
    wh_sub = wh.add_subparsers(dest="warehouse_command", required=True)
    wi = wh_sub.add_parser("init", help="建立仓库的模式、表和视图；可同时建立只读分析员角色（仅 PostgreSQL）")
    wi.add_argument("--warehouse", default=None, help="SQLAlchemy URL；默认 data/ 下的 DuckDB 文件")
    wi.add_argument("--data-dir", default=None)
    wi.add_argument("--analyst-role", default=None, help="只读角色名（PostgreSQL），可读 mart 视图、不能写入")
    wi.set_defaults(func=cmd_warehouse_init)
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
    except Exception as exc:
        from junheng.retry import is_io_error

        if not is_io_error(exc):
            raise
        first = (str(exc).splitlines() or [""])[0][:300]
        print(
            f"错误：数据仓库或文件无法访问，重试后仍然失败（{type(exc).__name__}: {first}）；"
            "入库在一个事务中完成，不会留下半写的数据。"
            "处理办法：检查数据库是否在运行、地址和端口是否正确、文件共享是否已挂载，然后重新运行",
            file=sys.stderr,
        )
        code = 3
    if argv is None:  # only when run as the command, never inside a caller's process
        _quiet_interpreter_exit()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
