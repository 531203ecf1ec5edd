"""How analytics name sections and show indicator values: Chinese section names, units, number format."""

from __future__ import annotations

SECTION_ZH = {"primary": "小学", "junior": "初中"}
RESOURCE_UNITS = {"R1": "人", "R2": "人", "R3": "人", "R4": "平方米", "R5": "平方米", "R6": "元", "R7": "间"}
VALUE_UNITS = {
    "R1": "人/百名学生",
    "R2": "人/百名学生",
    "R3": "人/百名学生",
    "R4": "平方米/生",
    "R5": "平方米/生",
    "R6": "元/生",
    "R7": "间/百名学生",
}


def fmt_value(v: float, code: str) -> str:
    """An indicator value for a message: whole 元 for R6, two decimals otherwise."""
    decimals = 0 if code == "R6" else 2
    return f"{v:,.{decimals}f}"
