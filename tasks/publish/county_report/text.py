"""How the county report writes numbers and names: Chinese labels, display formats, Excel number formats."""

from __future__ import annotations

from junheng.policy import INDICATOR_NAMES
from tasks.model.analytics.labels import RESOURCE_UNITS

SECTIONS = ("primary", "junior")
SECTION_ZH = {"primary": "小学", "junior": "初中"}
SEVERITY_ZH = {"error": "错误", "violation": "未达标", "warning": "警告", "info": "提示"}
METHOD_ZH = {"cross_section": "与全县同学段比较", "own_history": "与本校历史比较"}
VERDICT_ZH = {True: "达标", False: "未达标", None: "无法判定"}

# Excel number formats officials expect: CV to 3 decimals, 元 and m² with thousands separators.
FMT_CV = "0.000"
FMT_PCT = "0.0%"
FMT_INT = "#,##0"
FMT_2 = "#,##0.00"
FMT_1 = "#,##0.0"


def section_zh(section: object) -> str:
    s = "" if section is None else str(section)
    return SECTION_ZH.get(s, s)


def value_format(code: str) -> str:
    return FMT_INT if code == "R6" else FMT_2


def need_format(code: str) -> str:
    """Amounts to add are whole (people, rooms, m², 元: rounded up), so no decimals, whatever the indicator."""
    return FMT_INT


def decimals(code: str) -> int:
    return 0 if code == "R6" else 2


def fmt_value(v: float | None, code: str) -> str:
    return "—" if v is None else f"{v:,.{decimals(code)}f}"


def fmt_need(v: float | None, code: str) -> str:
    if v is None:
        return "—"
    whole = RESOURCE_UNITS.get(code) in ("人", "间", "元") or float(v).is_integer()
    return f"{v:,.0f}" if whole else f"{v:,.1f}"


def fmt_cv(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1%}"


def ind_label(code: str) -> str:
    return f"{code} {INDICATOR_NAMES.get(code, code)}"


SECTION_ORDER = {"primary": 0, "junior": 1}
PART_ORDER = {"资源配置": 0, "政府保障程度": 1, "教育质量": 2, "社会认可度": 3, "否决": 4}
COMPARATOR = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}
STATUS_ZH = {"met": "达标", "unmet": "未达标", "not_reported": "未报告", "evidence_pending": "待审核"}


def section_key(section: object) -> int:
    """Sort key that puts 小学 before 初中 (alphabetically junior would come first)."""
    return SECTION_ORDER.get(str(section), 9)


def code_key(code: object) -> tuple[str, int, str]:
    """Sort key for indicator codes: G3 before G12, R_MIN_MET after R7."""
    text = str(code)
    digits = "".join(ch for ch in text[1:] if ch.isdigit())
    return (text[:1], int(digits) if digits and text[1:].isdigit() else 99, text)


def plain(v: float, digits: int = 2) -> str:
    """A number with at most ``digits`` decimals and no trailing zeros: 96.969697 → 96.97, 2000.0 → 2,000."""
    text = f"{v:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# What one unit of each resource costs, by the settings' UnitCosts field (R6 is in 元 already).
COST_FIELD = {"R1": "teacher", "R2": "teacher", "R3": "teacher", "R4": "building_m2", "R5": "sports_m2", "R7": "room"}
COST_UNIT = {"teacher": "元/人/年", "room": "元/间", "building_m2": "元/平方米", "sports_m2": "元/平方米"}
COST_NAME = {
    "teacher": "每增加一名教师",
    "room": "每间网络多媒体教室",
    "building_m2": "每平方米教学及辅助用房",
    "sports_m2": "每平方米体育运动场馆",
}
