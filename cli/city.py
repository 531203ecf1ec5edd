"""`junheng city run` and `junheng city rollup`: a city's counties against its plan, in Chinese."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from cli.commands import _prefect_env, _warm_up_in_thread
from junheng.plans import load_plan
from junheng.settings import load_settings

EXIT_OK = 0
EXIT_COUNTY_FAILED = 5  # the roll-up ran; at least one county's monthly run failed (named in the summary)


def _print_summary(result: dict[str, Any]) -> None:
    status: dict[str, list[str]] = result.get("status", {})
    print(f"{result['city']} {result['period']}：计划内 {result['counties']} 个县（市、区）")
    for name, counties in status.items():
        print(f"  {name}：{len(counties)} 个" + (f"（{'、'.join(counties)}）" if counties else ""))
    if "ran" in result:
        print(f"  本次运行的县：{'、'.join(result['ran']) or '无'}")
        if result["no_returns"]:
            print(f"  收件目录没有报表、未运行的县：{'、'.join(result['no_returns'])}")
        for name, reason in result["failed"].items():
            print(f"  运行失败：{name}——{reason}")
    alerts = result.get("alerts") or {}
    if alerts:
        print(
            f"  市级预警：新增 {alerts['opened']}，解除 {alerts['resolved']}，"
            f"待发送通知 {alerts['notifications_pending']}"
            + (
                ""
                if alerts.get("channels", True)
                else "（未设置市级接收人，预警只记录在仓库中；"
                "设置 JUNHENG_CITY_WEBHOOK_URL 或 JUNHENG_CITY_SMTP_TO 后发送）"
            )
        )
    reports = result.get("reports") or {}
    for kind, label in (("city_xlsx", "城市报告（Excel）"), ("city_html", "城市报告（网页）")):
        if kind in reports:
            print(f"  {label}：{reports[kind]}")


def _setup(args: argparse.Namespace) -> Path:
    """The run's data folder, once the plan loads and Prefect's settings are made."""
    load_plan(args.plan)  # a wrong plan name or file stops here, before any county runs
    settings = load_settings(warehouse_url=args.warehouse, data_dir=Path(args.data_dir) if args.data_dir else None)
    _prefect_env(settings.data_dir)  # no per-task progress: a city runs ~15 stages per county; a summary per period
    return settings.data_dir


def _place_checks(data_dir: Path, period: str) -> bool:
    """True when each county's checks go to the checks service (`junheng server start` left one running
    with this code). Else GX's import, context and suites load in a thread while Prefect starts and the
    first county is read: paid once for the whole city or province, off the first county's critical path."""
    from cli.server import prefect_home
    from expectations.gx_suite import use_checks_service

    if use_checks_service(prefect_home(data_dir)):
        return True
    _warm_up_in_thread(period)
    return False


def cmd_city_run(args: argparse.Namespace) -> int:
    _place_checks(_setup(args), args.period_from or args.period)
    from flows.backfill import periods_between
    from flows.city import city_monthly

    failed = False
    # --from: every period up to --period in one process (one Prefect start-up, checks warmed up once).
    for period in periods_between(args.period_from or args.period, args.period):
        result = city_monthly(
            plan=args.plan,
            period=period,
            warehouse_url=args.warehouse,
            data_dir=args.data_dir,
            concurrency=args.concurrency,
        )
        if period == args.period:
            _print_summary(result)
        else:  # an earlier period of --from: one line
            counts = "，".join(f"{k} {len(v)}" for k, v in result["status"].items())
            print(f"已处理 {result['city']} {period}：{counts}" + ("；有县运行失败" if result["failed"] else ""))
        failed = failed or bool(result["failed"])
    return EXIT_COUNTY_FAILED if failed else EXIT_OK


def cmd_city_rollup(args: argparse.Namespace) -> int:
    _setup(args)
    from flows.city import city_rollup

    _print_summary(
        city_rollup(plan=args.plan, period=args.period, warehouse_url=args.warehouse, data_dir=args.data_dir)
    )
    return EXIT_OK


def _period(value: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
        raise argparse.ArgumentTypeError(f"报表期应为 YYYY-MM（半角数字），例如 2026-08；收到 {value!r}")
    return value


def add_city_parser(sub: Any, sub_parser: Any, period_option: Any) -> None:
    """`city run` and `city rollup` (sub: the top-level add_subparsers(); sub_parser: its _sub helper)."""
    ci = sub_parser(
        sub, "city", "城市：各县对照计划目标年度的进展", "junheng city run --plan yuxi-2023 --period 2026-10"
    )
    ci_sub = ci.add_subparsers(dest="city_command", required=True, title="命令", metavar="命令")
    for name, what, func in (
        (
            "run",
            "运行计划内各县本期的月度处理（收件目录 <数据目录>/inbox/<县代码>/<报表期>/ 有报表的县），再汇总",
            cmd_city_run,
        ),
        ("rollup", "只重新汇总：按各县已有的数据计算进展、生成城市报告和市级预警", cmd_city_rollup),
    ):
        p = sub_parser(ci_sub, name, what, f"junheng city {name} --plan yuxi-2023 --period 2026-10")
        p.add_argument("--plan", metavar="计划名", required=True, help="城市计划（expectations/plans/<计划名>.yaml）")
        period_option(p, required=True)
        g = p.add_argument_group("数据仓库")
        g.add_argument(
            "--warehouse", metavar="URL", default=None, help="SQLAlchemy 地址；默认 <数据目录>/junheng.duckdb"
        )
        g.add_argument("--data-dir", metavar="目录", default=None, help="收件、报告和默认仓库所在目录（默认 ./data）")
        if name == "run":
            p.add_argument(
                "--from",
                dest="period_from",
                metavar="YYYY-MM",
                type=_period,
                default=None,
                help="从这一期起逐期运行到 --period（补跑几个月，只启动一次）",
            )
            p.add_argument(
                "--concurrency", type=int, default=None, metavar="N", help="PostgreSQL 上同时运行的县数（默认 2）"
            )
        p.set_defaults(func=func)
