"""Chinese names of the rules behind findings, as a school reads them (never a rule id).

The names themselves live in one list, expectations.messages.RULE_NAMES_ZH, which the period report
reads too; a rule the list does not know yet is named by its family.
"""

from __future__ import annotations

from expectations.messages import RULE_NAMES_ZH
from junheng.policy import INDICATOR_NAMES

# Neutral on purpose: "file." covers notes about files that were read (an identical copy) as well as
# files that could not be opened.
_PREFIX_NAMES = {
    "file.": "文件问题",
    "sheet.": "工作表结构",
    "header.": "表头",
    "value.": "填写的值",
    "text.": "文字内容",
    "roster.": "学校名册",
    "plausibility.": "请核实的数值",
}


def rule_name(rule: str) -> str:
    """「R1 每百名学生拥有…」for an indicator, a short Chinese name for a data rule; never the rule id."""
    if rule in INDICATOR_NAMES:
        return f"{rule} {INDICATOR_NAMES[rule]}"
    if rule in RULE_NAMES_ZH:
        return RULE_NAMES_ZH[rule]
    for prefix, name in _PREFIX_NAMES.items():
        if rule.startswith(prefix):
            return name
    return "其他问题"
