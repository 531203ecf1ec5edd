"""The `junheng` command speaks Chinese: help, usage and every argparse error it can print (issue 12)."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from cli import build_parser, main
from cli.zh_argparse import translate

# Words that may stay in Latin letters: the command and option names, file types, product names,
# environment variables and the metavars people type (URL, YYYY-MM).
ALLOWED = re.compile(
    r"expectations/plans/\S*|--?[a-z][a-z-]*|junheng|JUNHENG_[A-Z_]+|SQLAlchemy|PostgreSQL|DuckDB|postgresql\+psycopg://\S+|"
    r"JH-2026\.1|\.?xlsx|URL|YYYY-MM|inbox|reports|duckdb|mart|analyst|template|policy|show|recompute|"
    r"demo-data|run|rerun|backfill|roster|import|warehouse|init|upgrade|data|bogus|Excel|WPS|city|rollup|yuxi|"
    r"Prefect|server|start|stop|status"
)


def english_left(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", ALLOWED.sub("", text))


COMMANDS = [
    [],
    ["policy"],
    ["policy", "show"],
    ["recompute"],
    ["template"],
    ["demo-data"],
    ["run"],
    ["rerun"],
    ["backfill"],
    ["roster"],
    ["roster", "import"],
    ["warehouse"],
    ["warehouse", "init"],
    ["warehouse", "upgrade"],
    ["city"],
    ["city", "run"],
    ["city", "rollup"],
    ["server"],
    ["server", "start"],
    ["server", "stop"],
    ["server", "status"],
]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "junheng")
def test_help_is_chinese_with_an_example(cmd: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*cmd, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：junheng")
    assert "选项：" in out and "示例：" in out
    assert english_left(out) == [], out


# Every kind of message argparse prints for our commands, each provoked once.
BAD = [
    (["run"], "缺少必填参数：--period, --inbox"),
    (["bogus"], "参数 命令：无效的选择：'bogus'（可选：'template'"),
    (["demo-data", "x", "--schools", "x"], "参数 --schools：'x' 不是有效的整数"),
    (["demo-data", "x", "--drift", "x"], "参数 --drift：'x' 不是有效的数字"),
    (["rerun", "--period", "2026-10", "--all", "--only-failed"], "参数 --only-failed：不能与 --all 同时使用"),
    (["run", "--period", "2026-10", "--inbox", "x", "--zz"], "无法识别的参数：--zz"),
    (["run", "--period"], "参数 --period：需要一个值"),
    (["rerun", "--period", "2026-10", "--all=是"], "参数 --all：此选项不带值，多余的值 '是'"),
    (["run", "--period", "2026-13", "--inbox", "x"], "报表期应为 YYYY-MM"),
    (["run", "--period", "2026-010", "--inbox", "x"], "报表期应为 YYYY-MM"),
    (["run", "--period", "2026-1０", "--inbox", "x"], "报表期应为 YYYY-MM（半角数字）"),  # full-width ０
    (["recompute", "--period", "2026-10", "--county-code", "37083٠"], "6 位半角数字"),  # Arabic-Indic ٠
    (["recompute", "--period", "2026-10", "--county-code", "370830\n"], "6 位半角数字"),
    (["policy"], "缺少必填参数：命令"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=lambda x: " ".join(x) if isinstance(x, list) else "")
def test_errors_are_chinese(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：junheng")
    assert "：错误：" in err and message in err
    assert english_left(err.split("：错误：", 1)[1].split("（可选")[0]) == [], err


def test_translate_covers_the_remaining_argparse_messages() -> None:
    assert translate("ambiguous option: --w could match --warehouse, --with") == (
        "选项 --w 不明确，可能是：--warehouse, --with"
    )
    assert translate("one of the arguments --a --b is required") == "必须给出以下参数之一：--a --b"
    assert translate("expected at least one argument") == "至少需要一个值"
    assert translate("expected at most one argument") == "最多一个值"
    assert translate("argument --x: expected 2 arguments") == "参数 --x：需要 2 个值"


def test_version_comes_from_the_package(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"junheng {version('junheng')}\n"


def test_every_warehouse_command_takes_the_same_options() -> None:
    parser = build_parser()
    for cmd in (["policy", "show"], ["recompute"], ["run"], ["rerun"], ["roster", "import"], ["warehouse", "init"]):
        extra = {"run": ["--inbox", "x"], "import": ["f.xlsx"]}.get(cmd[-1], [])
        args = parser.parse_args(
            [
                *cmd,
                *extra,
                "--period",
                "2026-10",
                "--warehouse",
                "duckdb:///w",
                "--data-dir",
                "d",
                "--county-code",
                "370830",
            ]
            if cmd[-1] not in ("import", "init")
            else [*cmd, *extra, "--warehouse", "duckdb:///w", "--data-dir", "d", "--county-code", "370830"]
        )
        assert (args.warehouse, args.data_dir, args.county_code) == ("duckdb:///w", "d", "370830"), cmd
    args = parser.parse_args(["backfill", "--from", "2026-07", "--to", "2026-08", "--data-dir", "d"])
    assert args.data_dir == "d"


def test_policy_show_accepts_the_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show", "--period", "2026-10", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("2026-10 生效的规则")


def test_template_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filled = tmp_path / "已填报表.xlsx"
    filled.write_bytes(b"a school's filled-in return")
    assert main(["template", str(filled)]) == 2
    err = capsys.readouterr().err
    assert "已存在" in err and "--force" in err
    assert filled.read_bytes() == b"a school's filled-in return"
    assert main(["template", "--county", str(filled)]) == 2
    assert filled.read_bytes() == b"a school's filled-in return"
    assert main(["template", "--force", str(filled)]) == 0
    assert filled.read_bytes()[:2] == b"PK"


def test_progress_lines_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from cli.progress import Progress

    p = Progress()

    def emit(msg: str, *args: object) -> None:
        rec = logging.LogRecord("prefect.task_runs", logging.INFO, "", 0, msg, args, None)
        rec.task_name = "load-and-compute"
        p.emit(rec)

    emit("Task run failed with %s: %r - Retry %s/%s will start %s", "exception", ConnectionError("x"), 2, 5, "now")
    emit("Finished in state Failed('Task run encountered an exception OperationalError')")
    emit("Finished in state Completed()")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "  入库并计算指标数据仓库或文件暂时无法访问，第 2/5 次重试",
        "  [1] 入库并计算指标：失败",
        "  [2] 入库并计算指标：完成",
    ]
