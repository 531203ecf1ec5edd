"""What each `junheng` command does: a thin layer over the flows and the template tools.

The heavy modules (Prefect, pandas, the flows) are imported inside the commands that use them, so
`junheng --help` and a mistyped option answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cli.progress import show_progress
from junheng.errors import ConfigError

if TYPE_CHECKING:
    from junheng.settings import Settings

EXIT_OK = 0
EXIT_ERROR = 2  # wrong arguments, settings or data: running again gives the same answer
EXIT_IO = 3  # the warehouse or a file share could not be reached, after retries
EXIT_NO_VALID_RETURNS = 4  # 本期无有效报表: nothing to judge, so no verdict

REPORT_KINDS = ("xlsx", "html", "county_xlsx", "county_html", "feedback")


def settings_of(args: argparse.Namespace) -> Settings:
    """Settings from the environment and the command's --warehouse, --data-dir and --county-code."""
    from junheng.settings import load_settings

    return load_settings(
        warehouse_url=args.warehouse,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        county_code=args.county_code,
    )


def _prefect_env(data_dir: Path) -> None:
    """Prefect's settings for a run, before Prefect is imported.

    PREFECT_API_URL set: that server. Else the project's Prefect home (``<data-dir>/.prefect`` unless
    PREFECT_HOME is set) and, when `junheng server start` left a server running there, that server;
    else Prefect's ephemeral server, its state kept in the same home. Telemetry is off either way.
    """
    from cli.server import QUIET_ENV, prefect_home, running_api_url

    if not os.environ.get("PREFECT_API_URL"):
        home = prefect_home(data_dir)
        home.mkdir(parents=True, exist_ok=True)  # Prefect creates only the last level
        os.environ["PREFECT_HOME"] = str(home)
        url = running_api_url(home)
        if url:
            os.environ["PREFECT_API_URL"] = url
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    for key, value in QUIET_ENV.items():  # no telemetry heartbeat, no usage events, no error when offline
        os.environ.setdefault(key, value)


# A county's inbox: its checks go to a process of their own (expectations.gx_suite.start_checks_process).
CHECKS_PROCESS_MAX_FILES = 200


def _start_checks_process(period: str, inbox: Path | None, data_dir: Path) -> bool:
    """Where a county's checks run; False when they stay in this process (then ``_warm_up_in_thread`` once
    the flows are imported). Called before Prefect and the flows are imported.

    A county's inbox (at most CHECKS_PROCESS_MAX_FILES entries) and a rerun of the failed files (few, read
    from the archive) go to the checks service that `junheng server start` keeps running, when it runs this
    code: GX is loaded there already. Else a county's inbox goes to a checks process started now, which
    loads GX, its context and the period's suites on the machine's other core while this process imports
    Prefect and the flows and starts the run (the wait in validation fell from 2.9 to 1.9 s)."""
    from cli.server import prefect_home
    from expectations.gx_suite import start_checks_process, use_checks_service

    if inbox is None or not inbox.is_dir():
        return use_checks_service(prefect_home(data_dir))
    with os.scandir(inbox) as it:
        entries = sum(1 for _ in zip(it, range(CHECKS_PROCESS_MAX_FILES + 1), strict=False))
    if entries > CHECKS_PROCESS_MAX_FILES:
        return False
    if not use_checks_service(prefect_home(data_dir)):
        start_checks_process(period)
    return True


def _warm_up_in_thread(period: str) -> None:
    """Pay GX's fixed costs (its import, the context, the period's suites) in a thread, for runs too large
    for the checks process: it runs while the reader waits on its worker processes (the checks then stay
    in this process, the batch being too large to send). An error here is left for validation to raise in
    its stage. The county commands start it once the flows are imported (two threads importing the same
    modules at once risk the import locks' deadlock error); the city run starts it before, to overlap
    Prefect's start-up."""
    from expectations.gx_suite import warm_up

    def work() -> None:
        try:
            warm_up(period)
        except Exception:  # noqa: S110 - validation builds the same and reports the error in its stage
            pass

    # A daemon: a run that stops early (a wrong setting) exits without waiting for GX to finish loading.
    threading.Thread(target=work, name="junheng-checks-warm-up", daemon=True).start()


def cmd_template(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:
        raise ConfigError(
            f"文件 {out} 已存在，没有覆盖（它可能是学校已填好的报表）",
            "换一个文件名，或确认可以覆盖后加 --force 重新运行",
        )
    if args.county:
        from tasks.publish.county_template import write_county_template

        path = write_county_template(out)
        print(f"已生成空白县级报表模板（县级指标）：{path}")
        return EXIT_OK
    from tasks.publish.template import write_template

    path = write_template(out)
    print(f"已生成空白报表模板：{path}")
    return EXIT_OK


def cmd_policy_show(args: argparse.Namespace) -> int:
    from junheng.policy import describe, overlay_titles, rule_order, rules_in_force

    settings_of(args)  # the common options are checked like on every other command
    rules = rules_in_force(args.period)
    overlays = "、".join(overlay_titles()) or "无"
    print(f"{args.period} 生效的规则 {len(rules)} 条（地方政策：{overlays}）：")
    for r in sorted(rules, key=rule_order):
        print("  " + describe(r))
    return EXIT_OK


def cmd_recompute(args: argparse.Namespace) -> int:
    import uuid

    from tasks.model.recompute import recompute_period

    settings = settings_of(args)
    url = settings.resolved_warehouse_url()
    out = recompute_period(
        url,
        args.period,
        settings.choices.cv_method,
        str(uuid.uuid4()),
        county_code=settings.county_code,
        private_in_school_rule=settings.choices.private_in_school_rule,
    )
    print(
        f"已按现行政策文件重新评判 {args.period}：生效规则 {out['rules']} 条，"
        f"评估总览 {out['scorecard_rows']} 行，未达标 {out['violations']} 条"
    )
    return EXIT_OK


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
        findings=args.findings,
    )
    print(f"已生成 {len(paths)} 份演示报表：{args.outdir}")
    return EXIT_OK


def _print_reports(result: dict[str, object]) -> None:
    reports = result.get("reports")
    if isinstance(reports, dict) and reports:
        print("报告：")
        for kind in REPORT_KINDS:
            if kind in reports:
                print(f"  {reports[kind]}")
    print(f"数据仓库：{result['warehouse_url']}")


def _finish(result: dict[str, object], inbox: str | None) -> int:
    """The run's summary, its reports, and exit 4 with what to check when no return was valid."""
    from tasks.publish.summary import summary_lines

    if not result.get("no_valid_returns"):
        for line in summary_lines(result):
            print(line)
        _print_reports(result)
        return EXIT_OK
    received, rejected = result.get("files_received", 0), result.get("files_rejected", 0)
    print(f"{result.get('county', '')} {result.get('period', '')}：收到报表 {received} 份，退回 {rejected} 份")
    _print_reports(result)
    reports = result.get("reports")
    overview = reports.get("feedback") if isinstance(reports, dict) else None
    where = f"收件目录 {inbox} " if inbox else "本期的收件目录"
    county = result.get("files_county", 0)
    if not received:
        got = "没有收到任何报表文件"
    elif rejected == received:
        got = f"收到的 {received} 份文件都被退回"
    else:
        got = f"收到 {received} 份文件，其中没有可入库的学校报表（退回 {rejected} 份，县级报表 {county} 份）"
    print(
        f"错误：本期无有效报表（{got}），没有作出评判。"
        f"处理办法：检查{where}是否正确（--inbox 和 --period 是否对应同一个报表期），"
        "报表是否用本县下发的 JH-2026.1 模板填写并保存为 .xlsx；"
        + (f"被退回文件的原因见 {overview}；" if received and overview else "")
        + "改正后重新运行",
        file=sys.stderr,
    )
    return EXIT_NO_VALID_RETURNS


def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if not Path(args.inbox).is_dir():
        raise ConfigError(f"收件目录不存在：{args.inbox}", "检查 --inbox 路径；本期收到的报表应放在这个目录里")
    _prefect_env(settings.data_dir)
    early = _start_checks_process(args.period, Path(args.inbox), settings.data_dir)
    show_progress()
    from flows.monthly import monthly_returns

    if not early:
        _warm_up_in_thread(args.period)
    result = monthly_returns(
        period=args.period,
        inbox=str(args.inbox),
        warehouse_url=args.warehouse,
        data_dir=args.data_dir,
        out_dir=args.out,
        county_code=settings.county_code,
    )
    return _finish(result, str(args.inbox))


def cmd_rerun(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    _prefect_env(settings.data_dir)
    reread: Literal["new", "failed", "all"] = "failed" if args.only_failed else "all" if args.all else "new"
    how = {"failed": "只重读被退回的文件", "all": "重读全部文件", "new": "只读新文件"}[reread]
    print(f"重新运行 {args.period}（{how}）", flush=True)
    inbox = None if reread == "failed" else Path(args.inbox or settings.inbox_dir(args.period))
    early = _start_checks_process(args.period, inbox, settings.data_dir)
    show_progress()
    from flows.monthly import monthly_returns

    if not early:
        _warm_up_in_thread(args.period)
    result = monthly_returns(
        period=args.period,
        inbox=args.inbox,
        warehouse_url=args.warehouse,
        data_dir=args.data_dir,
        out_dir=args.out,
        reread=reread,
        county_code=settings.county_code,
    )
    return _finish(result, args.inbox or str(settings.inbox_dir(args.period)))


BACKFILL_STATES = {
    "completed": "完成",
    "skipped": "跳过（没有收件目录）",
    "no_valid_returns": "无有效报表（没有收到报表或全部退回），未作评判",
}


def cmd_backfill(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    _prefect_env(settings.data_dir)
    show_progress()
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
    for period, state in outcome.items():
        print(f"{period}：{BACKFILL_STATES.get(state, state)}")
    if "no_valid_returns" in outcome.values():
        print("错误：有报表期无有效报表，见上；检查这些期的收件目录后重新运行", file=sys.stderr)
        return EXIT_NO_VALID_RETURNS
    return EXIT_OK


def cmd_roster_import(args: argparse.Namespace) -> int:
    from tasks.ingest.roster import import_roster

    settings = settings_of(args)
    n = import_roster(settings.resolved_warehouse_url(), Path(args.file), county_code=settings.county_code)
    print(f"已导入学校名册：{n} 所学校（{args.file}）")
    return EXIT_OK


def cmd_warehouse_init(args: argparse.Namespace) -> int:
    from warehouse.engine import connected, init_warehouse
    from warehouse.roles import create_analyst_role

    url = settings_of(args).resolved_warehouse_url()
    with connected(url) as engine:
        if args.analyst_role:
            create_analyst_role(engine, args.analyst_role)
        else:
            init_warehouse(engine)
    print(f"数据仓库已初始化：{engine.url.render_as_string(hide_password=True)}")
    if args.analyst_role:
        print(f"只读分析员角色「{args.analyst_role}」：可读 mart 下全部视图（含以后新建的），不能写入任何表")
    return EXIT_OK


def cmd_warehouse_upgrade(args: argparse.Namespace) -> int:
    from warehouse.engine import connected, upgrade_warehouse

    url = settings_of(args).resolved_warehouse_url()
    with connected(url) as engine:
        before, after = upgrade_warehouse(engine)
    shown = engine.url.render_as_string(hide_password=True)
    if before == after:
        print(f"数据仓库已是最新结构（版本 {after}），视图已重建：{shown}")
    else:
        print(f"数据仓库已升级：版本 {before} → {after}，原有数据全部保留：{shown}")
    return EXIT_OK
