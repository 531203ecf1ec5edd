"""The `junheng` command: the parser (in Chinese), the exit codes and the entry point.

Only the standard library is imported here: a pipeline command hands its arguments to a supervised
child process at once (cli.supervise), and the commands' modules are imported by the parser.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from cli.supervise import SUPERVISED_ENV, run_supervised
from cli.zh_argparse import ChineseArgumentParser
from junheng.errors import JunhengError

PERIOD_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # ASCII digits only: \d would take ０ or ٠
COUNTY_CODE_RE = re.compile(r"[0-9]{6}")


def _period(value: str) -> str:
    if not PERIOD_RE.fullmatch(value):
        raise argparse.ArgumentTypeError(f"报表期应为 YYYY-MM（半角数字），例如 2026-10；收到 {value!r}")
    return value


def _county_code(value: str) -> str:
    if not COUNTY_CODE_RE.fullmatch(value):
        raise argparse.ArgumentTypeError(f"县级行政区划代码应为 6 位半角数字，例如 370830；收到 {value!r}")
    return value


def _version() -> str:
    try:
        return version("junheng")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "未安装版本"


COUNTY_CODE_HELP = "本县 6 位行政区划代码（多个县共用一个仓库时必填；默认 JUNHENG_COUNTY_CODE，未设置为 000000）"

EXAMPLES = """\
示例：
  junheng template 学校报表模板.xlsx                  生成下发给学校的空白报表
  junheng demo-data 演示/收件 --broken                生成一个演示县的报表（含几份错误报表）
  junheng run --period 2026-10 --inbox 收件/2026-10   处理本期报表并发布报告
  junheng rerun --period 2026-10 --only-failed        学校改正后只重读被退回的文件
  junheng policy show --period 2026-10                查看本期生效的评估标准

退出码：
  0  运行完成（部分报表被退回也算完成，见 报送情况）
  1  运行异常中止（内存不足、被人为结束等），已停止本次运行启动的后台服务，可直接重新运行
  2  参数、设置或数据有误，按提示改正后重新运行
  3  数据仓库或文件共享无法访问（已重试），检查后重新运行
  4  本期无有效报表（没有收到报表或全部退回），没有作出评判
  5  city run：有县的月度运行失败（其余县和汇总已完成，摘要列出失败的县）

用 junheng <命令> --help 查看每个命令的选项。"""


def _warehouse_options(p: argparse.ArgumentParser, *, out: bool = False) -> None:
    """The options every command that reads or writes the warehouse takes, with the same meaning."""
    g = p.add_argument_group("数据仓库")
    g.add_argument("--warehouse", metavar="URL", default=None, help="SQLAlchemy 地址；默认 <数据目录>/junheng.duckdb")
    g.add_argument("--data-dir", metavar="目录", default=None, help="归档、收件和默认仓库所在目录（默认 ./data）")
    g.add_argument("--county-code", metavar="代码", type=_county_code, default=None, help=COUNTY_CODE_HELP)
    if out:
        g.add_argument("--out", metavar="目录", default=None, help="报告输出目录（默认 <数据目录>/reports）")


def _period_option(p: argparse.ArgumentParser, **kw: object) -> None:
    p.add_argument("--period", metavar="YYYY-MM", type=_period, help="报表期，如 2026-10", **kw)  # type: ignore[arg-type]


def _sub(sub: Any, name: str, what: str, example: str) -> argparse.ArgumentParser:
    """A sub-command whose help, description and one example are in Chinese (sub: add_subparsers()'s result)."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=what, description=what, epilog=f"示例：\n  {example}")
    return parser


def build_parser() -> argparse.ArgumentParser:
    from cli import commands as c
    from cli.city import add_city_parser
    from cli.server import add_server_parser

    p = ChineseArgumentParser(prog="junheng", description="义务教育优质均衡监测数据管道", epilog=EXAMPLES)
    p.add_argument("--version", action="version", version=f"junheng {_version()}", help="显示版本号并退出")
    sub = p.add_subparsers(dest="command", required=True, title="命令", metavar="命令")

    t = _sub(sub, "template", "生成空白学校报表模板（JH-2026.1）", "junheng template 学校报表模板.xlsx")
    t.add_argument("out", metavar="输出文件", help="如 学校报表模板.xlsx")
    t.add_argument("--county", action="store_true", help="生成县级报表模板（工作表“县级指标”）")
    t.add_argument("--force", action="store_true", help="文件已存在时覆盖（默认不覆盖：它可能是已填好的报表）")
    t.set_defaults(func=c.cmd_template)

    po = _sub(sub, "policy", "评估标准（政策规则）", "junheng policy show --period 2026-10")
    po_sub = po.add_subparsers(dest="policy_command", required=True, title="命令", metavar="命令")
    ps = _sub(
        po_sub,
        "show",
        "列出某报表期生效的评估标准（含 JUNHENG_POLICY_OVERLAYS 选定的地方政策）",
        "junheng policy show --period 2026-10",
    )
    _period_option(ps, required=True)
    _warehouse_options(ps)
    ps.set_defaults(func=c.cmd_policy_show)

    rc = _sub(
        sub, "recompute", "按现行政策文件重新评判已入库的报表期（不重新读取报表）", "junheng recompute --period 2026-10"
    )
    _period_option(rc, required=True)
    _warehouse_options(rc)
    rc.set_defaults(func=c.cmd_recompute)

    d = _sub(sub, "demo-data", "生成一个演示县的学校报表", "junheng demo-data 演示/收件/2026-10 --schools 24 --broken")
    d.add_argument("outdir", metavar="输出目录")
    d.add_argument("--schools", metavar="数量", type=int, default=24, help="学校数（默认 24）")
    _period_option(d, default="2026-10")
    d.add_argument("--seed", metavar="种子", type=int, default=7, help="随机数种子（默认 7）")
    d.add_argument("--broken", action="store_true", help="另加几份有错误的报表，用来演示退回")
    d.add_argument("--county-return", action="store_true", help="另加一份县级报表（县级指标），用来演示评估总览")
    d.add_argument("--drift", metavar="幅度", type=float, default=0.0, help="各期之间办学条件的随机变动幅度（如 0.08）")
    d.add_argument("--findings", action="store_true", help="每份报表带一两个问题（超大班额、设备值多填一个 0、未达标）")
    d.set_defaults(func=c.cmd_demo_data)

    r = _sub(
        sub,
        "run",
        "运行月度流程：归档、校验、入库、计算、发布",
        "junheng run --period 2026-10 --inbox 收件/2026-10 --data-dir data",
    )
    _period_option(r, required=True)
    r.add_argument("--inbox", metavar="目录", required=True, help="本期收到的报表所在目录")
    _warehouse_options(r, out=True)
    r.set_defaults(func=c.cmd_run)

    rr = _sub(sub, "rerun", "重新运行一个报表期（默认只读新文件）", "junheng rerun --period 2026-10 --only-failed")
    _period_option(rr, required=True)
    how = rr.add_mutually_exclusive_group()
    how.add_argument("--only-failed", action="store_true", help="只重读上次被退回（拒收）的文件，从归档读取")
    how.add_argument("--all", action="store_true", help="重读本期全部文件（读取或校验规则修正后）")
    rr.add_argument(
        "--inbox",
        metavar="目录",
        default=None,
        help="收件目录（默认 <数据目录>/inbox/<报表期>；设了县代码时为 <数据目录>/inbox/<县代码>/<报表期>）",
    )
    _warehouse_options(rr, out=True)
    rr.set_defaults(func=c.cmd_rerun)

    b = _sub(
        sub,
        "backfill",
        "补跑一段报表期：每期的收件目录为 <数据目录>/inbox/[<县代码>/]<报表期>/",
        "junheng backfill --from 2026-07 --to 2026-10",
    )
    b.add_argument("--from", dest="period_from", metavar="YYYY-MM", type=_period, required=True, help="起始报表期")
    b.add_argument("--to", dest="period_to", metavar="YYYY-MM", type=_period, required=True, help="结束报表期（含）")
    b.add_argument("--only-failed", action="store_true", help="每期只重读被退回的文件")
    _warehouse_options(b, out=True)
    b.set_defaults(func=c.cmd_backfill)

    ro = _sub(sub, "roster", "学校名册", "junheng roster import 学校名册.xlsx")
    ro_sub = ro.add_subparsers(dest="roster_command", required=True, title="命令", metavar="命令")
    ri = _sub(
        ro_sub,
        "import",
        "导入学校名册（xlsx：学校标识码、学校名称、办学类型、乡镇……）",
        "junheng roster import 学校名册.xlsx --county-code 370830",
    )
    ri.add_argument("file", metavar="名册文件")
    _warehouse_options(ri)
    ri.set_defaults(func=c.cmd_roster_import)

    wh = _sub(
        sub, "warehouse", "数据仓库管理", "junheng warehouse init --warehouse postgresql+psycopg://junheng@db/junheng"
    )
    wh_sub = wh.add_subparsers(dest="warehouse_command", required=True, title="命令", metavar="命令")
    wi = _sub(
        wh_sub,
        "init",
        "建立仓库的模式、表和视图；可同时建立只读分析员角色（仅 PostgreSQL）",
        "junheng warehouse init --analyst-role analyst",
    )
    _warehouse_options(wi)
    wi.add_argument(
        "--analyst-role", metavar="角色名", default=None, help="只读角色名（PostgreSQL），可读 mart 视图、不能写入"
    )
    wi.set_defaults(func=c.cmd_warehouse_init)
    wu = _sub(
        wh_sub,
        "upgrade",
        "把早先版本建立的仓库升级到本版本的结构，保留全部数据（DuckDB 与 PostgreSQL）",
        "junheng warehouse upgrade --warehouse duckdb:///data/junheng.duckdb",
    )
    _warehouse_options(wu)
    wu.set_defaults(func=c.cmd_warehouse_upgrade)

    add_city_parser(sub, _sub, _period_option)
    add_server_parser(sub, _sub)
    return p


_EXIT_CODE: list[int] = []  # the command's exit code, once it has finished


def _exit_now() -> None:
    """The last exit handler (registered first): once every other one has run (Prefect's flushes, the
    worker pools' shutdown), end the process without the interpreter's own finalization, which only
    frees memory and takes seconds with Prefect, pandas and GX loaded (measured: 5.3 s of a county's
    rerun under load). Logs are flushed first."""
    if _EXIT_CODE:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_CODE[0])


def _quiet_interpreter_exit() -> None:
    """duckdb 2.0 (nanobind) prints a wall of benign "leaked instance" lines at interpreter exit
    when Great Expectations was imported in the same process (duckdb/duckdb-python#522). The run
    is over by then, so stderr is closed just before exit to keep the terminal readable."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


# Commands that start a Prefect server and worker processes: run under supervision (cli.supervise).
SUPERVISED_COMMANDS = frozenset({"run", "rerun", "backfill", "city"})


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # run as the command: never inside a caller's process
        atexit.register(_exit_now)
    if argv is None and sys.argv[1:2] and sys.argv[1] in SUPERVISED_COMMANDS and not os.environ.get(SUPERVISED_ENV):
        # The child parses the arguments (and reports a mistake in them) itself: the parser's imports
        # are not paid twice.
        return run_supervised(sys.argv[1:])
    from cli import commands as c

    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
    except JunhengError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        code = c.EXIT_ERROR
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
        code = c.EXIT_IO
    if argv is None:  # only when run as the command, never inside a caller's process
        _quiet_interpreter_exit()
        _EXIT_CODE.append(code)
    return code
