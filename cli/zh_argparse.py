"""argparse in Chinese: usage, section titles, the help option and every parse error.

argparse builds its messages in English; the parser below overrides the two public hooks it
offers (``error`` and the formatter class) and translates each message it can print. A message
not in the table is printed as it came, so a new Python release cannot hide an error.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

_SECTIONS = {"positional arguments": "参数", "options": "选项", "optional arguments": "选项"}

_HEADING = re.compile(r"^(\S[^\n]*):$", re.MULTILINE)

_TYPE_NAMES = {"int": "整数", "float": "数字"}

# (English pattern from argparse, Chinese replacement). Applied in order, the argument prefix last.
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the following arguments are required: (.+)$"), r"缺少必填参数：\1"),
    (re.compile(r"^one of the arguments (.+) is required$"), r"必须给出以下参数之一：\1"),
    (re.compile(r"^unrecognized arguments: (.+)$"), r"无法识别的参数：\1"),
    (re.compile(r"^ambiguous option: (\S+) could match (.+)$"), r"选项 \1 不明确，可能是：\2"),
    (re.compile(r"^unexpected option string: (.+)$"), r"意外的选项：\1"),
    (re.compile(r"^invalid choice: (.+) \(choose from (.+)\)$", re.DOTALL), r"无效的选择：\1（可选：\2）"),
    (re.compile(r"^not allowed with argument (.+)$"), r"不能与 \1 同时使用"),
    (re.compile(r"^ignored explicit argument (.+)$"), r"此选项不带值，多余的值 \1"),
    (re.compile(r"^expected one argument$"), "需要一个值"),
    (re.compile(r"^expected at most one argument$"), "最多一个值"),
    (re.compile(r"^expected at least one argument$"), "至少需要一个值"),
    (re.compile(r"^expected (\d+) arguments?$"), r"需要 \1 个值"),
    (re.compile(r"^cannot have multiple subparser arguments$"), "命令只能有一个"),
]
_ARGUMENT = re.compile(r"^argument (.+?): (.+)$", re.DOTALL)
_INVALID_TYPE = re.compile(r"^invalid (\w+) value: (.+)$")


def translate(message: str) -> str:
    """One argparse error message in Chinese (unknown messages are returned unchanged)."""
    m = _ARGUMENT.match(message)
    if m:
        return f"参数 {m.group(1)}：{translate(m.group(2))}"
    m = _INVALID_TYPE.match(message)
    if m:
        return f"{m.group(2)} 不是有效的{_TYPE_NAMES.get(m.group(1), '值')}"
    for pattern, repl in _MESSAGES:
        if pattern.match(message):
            return pattern.sub(repl, message)
    return message


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help in Chinese: the usage prefix and the section titles; descriptions and examples keep their lines."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(_SECTIONS.get(heading or "", heading))


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors are in Chinese (its sub-commands get the same class)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(add_help=False, **kwargs)
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def format_help(self) -> str:
        # argparse ends each section title with a half-width colon; Chinese text takes the full-width one.
        return _HEADING.sub(r"\1：", super().format_help())

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{translate(message)}\n")
